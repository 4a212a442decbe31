// createPlan: an OCI config → the launch plan the native executor runs in
// the child between clone() and execve(). Pure: no I/O, table-tested.
//
// Order, after runc (nsexec.c, rootfs_linux.go prepareRootfs/pivotRoot,
// standard_init_linux.go Init, init_linux.go finalizeNamespace):
//   setns into joined namespaces; unshare what clone() could not create
//   mount propagation of "/"; bind the rootfs onto itself; open it as the root fd
//   spec mounts in order; /dev nodes, symlinks, console
//   pivot_root(".", ".") + detach the old root   (or MS_MOVE + chroot); mkdir -p cwd
//   hostname, domainname, sysctls, readonly paths, masked paths, "/" read-only
//   rlimits, oom_score_adj, stdio, chdir, capabilities + ids, umask
//   no_new_privs, seccomp, execve
//
// Notes for the executor (native/, owned by the lead):
// - There is no open() op, so a pty slave reaches fds 0-2 by dup2 from an fd
//   the parent holds (opts.consoleFd), not by opening consoleSlavePath.
// - There is no fchdir(), so the old root after pivot_root(".", ".") is
//   reached as "." (pivot_root(2) NOTES describe exactly this sequence).
// - Every path inside the container's root is an inRoot op: the plan holds
//   it root-relative ("/dev/null", printed "<root>/dev/null") and the
//   executor resolves it against the root fd (open_root) when the op runs,
//   with openat2(RESOLVE_IN_ROOT) or an O_NOFOLLOW walk (native/resolve.c).
//   The image controls every symlink in its tree; nothing here follows one.
import { posix } from 'node:path';
import { InvalidArgumentError } from '../../errors.js';
import { CLONE, MNT, MS, NAMESPACE_FLAGS, PR } from '../../sys/constants.js';
import type { PlanOp } from '../launch-plan.js';
import { IOPRIO_WHO_PROCESS, parseIoPriority, parsePersonality, parseTimeOffsets } from '../spec/linux-attrs.js';
import { validateSpec } from '../spec/validate.js';
import type { IdMapping, Linux, NamespaceName, Spec } from '../spec/types.js';
import { compileConsole, compileDevices, compileDevSymlinks } from './devices.js';
import { compileMount, guessSourceIsDir, inRootPath, isBindMount, PROPAGATION_OPTIONS, type CgroupMountSource } from './mounts.js';
import { compileCredentials, compileExec, compileRlimits, compileSeccompOp, compileStdio, type ConsoleSocket, type Stdio } from './process.js';

export { guessSourceIsDir, inRootPath, parseMountOptions, type CgroupMountSource } from './mounts.js';
export { statSourceIsDir } from './host.js';
export type { Stdio } from './process.js';

export interface PlanOptions {
  /** Absolute host path of the container's root filesystem. */
  rootfs: string;
  /** Bound onto /dev/console when the process has a terminal. */
  consoleSlavePath?: string;
  /** With stdio 'pty': the parent's fd of the pty slave, dup2'd onto 0-2. */
  consoleFd?: number;
  /**
   * With stdio 'pty', instead of consoleFd/consoleSlavePath: the pty is
   * opened inside the container after pivot_root (open_pty) and its master
   * sent to this socket fd; /dev/console is then bound to the slave.
   */
  consoleSocket?: Omit<ConsoleSocket, 'uid'>;
  /** Default: the parent's 0, 1, 2 (made inheritable). */
  stdio?: Stdio;
  /** MS_MOVE + chroot instead of pivot_root (a ramfs root cannot pivot). */
  noPivot?: boolean;
  /** /proc/sys/kernel/cap_last_cap of the running kernel. */
  lastCap: number;
  /** Whether a bind source is a directory (stat it); default guessSourceIsDir. */
  sourceIsDir?: (path: string) => boolean;
  /** The container's cgroup directories on the host, for a "cgroup" mount (cgroup manager mountSources()). */
  cgroupMounts?: CgroupMountSource[];
}

export interface JoinNamespace {
  type: NamespaceName;
  path: string;
}

export interface Plan {
  cloneFlags: number;
  ops: PlanOp[];
  /** Namespaces setns() cannot move the child itself into: pass an fd to spawn (pidnsFd). */
  joinNamespaces: JoinNamespace[];
  /** For the parent to write to /proc/<pid>/uid_map and gid_map while the child waits. */
  uidMappings: IdMapping[];
  gidMappings: IdMapping[];
  /** Things done differently from what was asked (unknown caps or syscalls skipped). */
  warnings: string[];
}

// setns order: the user namespace first, so the others are joined with its
// privileges; the mount namespace last, as it changes root and cwd (nsexec.c).
const JOIN_ORDER: NamespaceName[] = ['user', 'ipc', 'uts', 'network', 'cgroup', 'time', 'mount'];

export function createPlan(spec: Spec, opts: PlanOptions): Plan {
  validateSpec(spec);
  if (!opts.rootfs.startsWith('/')) throw new InvalidArgumentError(`rootfs: must be an absolute host path, got ${JSON.stringify(opts.rootfs)}`);
  const rootfs = posix.normalize(opts.rootfs).replace(/(.)\/+$/, '$1');
  const proc = spec.process!;
  const linux = spec.linux ?? {};
  const namespaces = linux.namespaces ?? [];
  const warnings: string[] = [];
  const ops: PlanOp[] = [];
  const joinNamespaces: JoinNamespace[] = [];
  const fresh = new Set<NamespaceName>();
  const joined = new Map<NamespaceName, string>();
  namespaces.forEach((ns) => {
    if (!ns.path) { fresh.add(ns.type); return; }
    if (ns.type === 'pid') joinNamespaces.push({ type: 'pid', path: ns.path });
    else joined.set(ns.type, ns.path);
  });
  if (!fresh.has('mount') && !joined.has('mount')) throw new InvalidArgumentError('linux.namespaces: a mount namespace is required (the rootfs is set up in one)');
  const inUserns = fresh.has('user') || joined.has('user');

  // clone() creates the new namespaces, owned by the user namespace created
  // with them. After joining a user namespace, new ones must be unshared so
  // that it owns them; a new pid namespace then cannot be had (unshare
  // CLONE_NEWPID applies to children only).
  let cloneFlags = 0;
  let unshareFlags = 0;
  for (const t of fresh) {
    // The cgroup namespace is unshared in the plan: the parent joins the
    // cgroups while the child waits, so its root is the container's cgroup.
    if (t === 'cgroup') continue;
    // CLONE_NEWTIME (0x80) collides with clone()'s exit-signal bits: unshared below.
    if (t === 'time') continue;
    if (joined.has('user') && t !== 'user') {
      if (t === 'pid') throw new InvalidArgumentError('linux.namespaces: a new pid namespace inside a joined user namespace is not supported');
      unshareFlags |= NAMESPACE_FLAGS[t];
    } else cloneFlags |= NAMESPACE_FLAGS[t];
  }
  for (const t of JOIN_ORDER) {
    const path = joined.get(t);
    if (path) ops.push({ op: 'setns', path, nstype: NAMESPACE_FLAGS[t] });
    if (t === 'user' && unshareFlags) ops.push({ op: 'unshare', flags: unshareFlags });
  }
  // In a user namespace we still carry the host's kuid (unmapped there, so
  // files we create would fail with EOVERFLOW): become the namespace's
  // root once the parent has written the maps, as runc's nsexec does.
  if (inUserns) ops.push({ op: 'setresgid', rgid: 0, egid: 0, sgid: 0 }, { op: 'setresuid', ruid: 0, euid: 0, suid: 0 });
  if (fresh.has('cgroup')) ops.push({ op: 'unshare', flags: CLONE.NEWCGROUP });
  if (fresh.has('time')) ops.push(...compileTimeNamespace(linux.timeOffsets));

  // The root is set up in the container's mount namespace, new or joined
  // (runc does the same: the spec puts the process in the joined namespace
  // and still asks for root and mounts; pivot_root(2) then moves every
  // process of that namespace whose root was the old one). The plan opens
  // the root as a fd (open_root) and resolves every path inside it there.
  const ownRoot = true;
  ops.push(...compileRootfs(spec, rootfs, opts, inUserns));

  // The rest runs in the container's root.
  if (spec.hostname) ops.push({ op: 'sethostname', name: spec.hostname });
  if (spec.domainname) ops.push({ op: 'setdomainname', name: spec.domainname });
  // Sysctls go before the read-only paths: /proc/sys is one of them (runc order).
  for (const [name, value] of Object.entries(linux.sysctl ?? {})) {
    ops.push({ op: 'write_file', path: '/proc/sys/' + name.replace(/\./g, '/'), data: value, inRoot: ownRoot });
  }
  if (ownRoot) {
    // A bind of a path onto itself, then its read-only remount: both resolved in the root at the time.
    for (const p of linux.readonlyPaths ?? []) {
      const path = inRootPath(p);
      ops.push({ op: 'mount', source: path, target: path, fstype: null, flags: MS.BIND | MS.REC, data: null, ignoreMissing: true, inRoot: true, sourceInRoot: true });
      ops.push({ op: 'mount', source: null, target: path, fstype: null, flags: MS.BIND | MS.REMOUNT | MS.RDONLY | MS.REC, data: null, preserveFlags: true, ignoreMissing: true, inRoot: true });
    }
    for (const path of linux.maskedPaths ?? []) ops.push({ op: 'mask_path', path: inRootPath(path), inRoot: true });
    if (spec.root?.readonly) ops.push({ op: 'mount', source: null, target: '/', fstype: null, flags: MS.BIND | MS.REMOUNT | MS.RDONLY, data: null, preserveFlags: true });
  }

  ops.push(...compileRlimits(proc));
  // Lowering oom_score_adj below the current value needs CAP_SYS_RESOURCE: do it before dropping caps.
  if (proc.oomScoreAdj !== undefined) ops.push({ op: 'write_file', path: '/proc/self/oom_score_adj', data: String(proc.oomScoreAdj), inRoot: ownRoot });
  if (linux.personality) ops.push({ op: 'personality', persona: parsePersonality(linux.personality).value! });
  // The realtime class needs CAP_SYS_ADMIN: set it while we hold it.
  if (proc.ioPriority) ops.push({ op: 'ioprio_set', which: IOPRIO_WHO_PROCESS, who: 0, ioprio: parseIoPriority(proc.ioPriority).value! });
  if (proc.terminal && opts.stdio !== 'pty') throw new InvalidArgumentError('process.terminal: true needs stdio "pty" (createPlan opts.stdio)');
  ops.push(...compileStdio(opts.stdio, opts.consoleFd, opts.consoleSocket && { ...opts.consoleSocket, uid: proc.user.uid }));
  // fd 0 is now the slave; compileRootfs created /dev/console for it in our /dev.
  if (opts.stdio === 'pty' && opts.consoleSocket && ownDev(spec, ownRoot)) ops.push({ op: 'mount', source: '/proc/self/fd/0', target: '/dev/console', fstype: null, flags: MS.BIND, data: null, inRoot: true });
  // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: load it while we hold it (runc order).
  const seccomp = linux.seccomp ? compileSeccompOp(linux.seccomp, warnings) : undefined;
  if (seccomp && !proc.noNewPrivileges) ops.push(seccomp);
  // chdir while still root, as runc tries first: the user may lack search
  // permission on the way to a cwd that is theirs (a chowned volume).
  // A plain chdir: after pivot_root (or chroot) the kernel resolves from the
  // container's root and ".." stops there, and the filter loaded just above
  // may refuse openat2 (an older profile without it answers EPERM).
  ops.push({ op: 'chdir', path: proc.cwd });
  ops.push(...compileCredentials(proc, { lastCap: opts.lastCap, warnings }));
  ops.push({ op: 'umask', mask: proc.user.umask ?? 0o022 });
  if (proc.noNewPrivileges) ops.push({ op: 'prctl', option: PR.SET_NO_NEW_PRIVS, args: [1, 0, 0, 0] });
  if (seccomp && proc.noNewPrivileges) ops.push(seccomp);
  ops.push(compileExec(proc));

  return {
    cloneFlags,
    ops,
    joinNamespaces,
    uidMappings: fresh.has('user') ? linux.uidMappings ?? [] : [],
    gidMappings: fresh.has('user') ? linux.gidMappings ?? [] : [],
    warnings,
  };
}

/**
 * A new time namespace with its offsets (time_namespaces(7)). unshare()
 * puts only later children in it, and its offsets can be written only while
 * no process is inside; so: unshare, write /proc/self/timens_offsets (which
 * names the namespace our children would get), then setns() into
 * /proc/self/ns/time_for_children, which a single-threaded process may do
 * for itself. crun does the same; runc writes them from its stage-1 child.
 */
function compileTimeNamespace(offsets: Linux['timeOffsets']): PlanOp[] {
  const ops: PlanOp[] = [{ op: 'unshare', flags: CLONE.NEWTIME }];
  const text = offsets ? parseTimeOffsets(offsets).value : undefined;
  if (text) ops.push({ op: 'write_file', path: '/proc/self/timens_offsets', data: text });
  ops.push({ op: 'setns', path: '/proc/self/ns/time_for_children', nstype: CLONE.NEWTIME });
  return ops;
}

/** Whether /dev is a tmpfs this plan mounts (not a bind of the host's or the user's). */
function ownDev(spec: Spec, ownRoot: boolean): boolean {
  const devMount = (spec.mounts ?? []).find((m) => inRootPath(m.destination) === '/dev');
  return ownRoot && !!devMount && !isBindMount(devMount);
}

/** Everything up to and including the switch to the new root. */
function compileRootfs(spec: Spec, rootfs: string, opts: PlanOptions, inUserns: boolean): PlanOp[] {
  const linux = spec.linux ?? {};
  const mounts = spec.mounts ?? [];
  // Device nodes need mode 0666 exactly; the umask is set for the process later.
  const ops: PlanOp[] = [{ op: 'umask', mask: 0 }];
  // Keep our mounts from propagating back to the host (runc prepareRoot).
  const prop = linux.rootfsPropagation ? PROPAGATION_OPTIONS[linux.rootfsPropagation]! : MS.SLAVE | MS.REC;
  ops.push({ op: 'mount', source: null, target: '/', fstype: null, flags: prop & MS.SHARED ? MS.SLAVE | MS.REC : prop, data: null });
  // pivot_root(2): new_root must be a mount point.
  ops.push({ op: 'mount', source: rootfs, target: rootfs, fstype: 'bind', flags: MS.BIND | MS.REC, data: null });
  // From here on the root is a fd: the image's symlinks are followed inside it, never from the host's "/".
  ops.push({ op: 'open_root', path: rootfs });
  const newCgroupns = (linux.namespaces ?? []).some((n) => n.type === 'cgroup' && !n.path);
  const ctx = { sourceIsDir: opts.sourceIsDir ?? guessSourceIsDir, cgroupMounts: opts.cgroupMounts, inUserns, newCgroupns };
  mounts.forEach((m, i) => ops.push(...compileMount(m, i, ctx)));
  const devMount = mounts.find((m) => inRootPath(m.destination) === '/dev');
  if (devMount && !isBindMount(devMount)) {
    ops.push(...compileDevices(linux.devices ?? [], inUserns));
    ops.push(...compileDevSymlinks());
    if (opts.consoleSlavePath) ops.push(...compileConsole(opts.consoleSlavePath));
    else if (opts.stdio === 'pty' && opts.consoleSocket) ops.push({ op: 'create_file', path: '/dev/console', mode: 0o666, inRoot: true });
  } else {
    // A bound /dev is the host's (or the user's): do not add nodes to it.
    if (linux.devices?.length) ops.push(...compileDevices(linux.devices, inUserns, false));
  }
  ops.push({ op: 'chdir', path: '/', inRoot: true });
  if (opts.noPivot) {
    ops.push({ op: 'mount', source: rootfs, target: '/', fstype: null, flags: MS.MOVE, data: null });
    ops.push({ op: 'chroot', path: '.' });
  } else {
    ops.push({ op: 'pivot_root', newRoot: '.', putOld: '.' });
    // The old root now sits on top of "."; make it a slave so the detach
    // does not propagate unmounts to the host, then drop it.
    ops.push({ op: 'mount', source: null, target: '.', fstype: null, flags: MS.SLAVE | MS.REC, data: null });
    ops.push({ op: 'umount2', target: '.', flags: MNT.DETACH });
  }
  ops.push({ op: 'chdir', path: '/' });
  // The working directory is made (a missing one is not an error, as in
  // runc) once the root is "/", through the root fd all the same.
  ops.push({ op: 'mkdir', path: inRootPath(spec.process!.cwd), mode: 0o755, parents: true, inRoot: true });
  if (linux.rootfsPropagation) ops.push({ op: 'mount', source: null, target: '/', fstype: null, flags: prop, data: null });
  return ops;
}
