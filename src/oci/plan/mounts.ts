// Spec mounts → plan ops, after runc libcontainer/rootfs_linux.go
// (mountToRootfs) and specconv.go (parseMountOptions).
import { posix } from 'node:path';
import { InvalidArgumentError } from '../../errors.js';
import { MS } from '../../sys/constants.js';
import type { PlanOp } from '../launch-plan.js';
import type { Mount } from '../spec/types.js';
import type { CgroupMountSource } from '../cgroups/manager.js';

/** Options that set (or, with clear, reset) a mount(2) flag (runc specconv mountFlags). */
const FLAG_OPTIONS: Record<string, { clear?: boolean; flag: number }> = {
  async: { clear: true, flag: MS.SYNCHRONOUS },
  atime: { clear: true, flag: MS.NOATIME },
  bind: { flag: MS.BIND },
  defaults: { flag: 0 },
  dev: { clear: true, flag: MS.NODEV },
  diratime: { clear: true, flag: MS.NODIRATIME },
  dirsync: { flag: MS.DIRSYNC },
  exec: { clear: true, flag: MS.NOEXEC },
  mand: { flag: MS.MANDLOCK },
  noatime: { flag: MS.NOATIME },
  nodev: { flag: MS.NODEV },
  nodiratime: { flag: MS.NODIRATIME },
  noexec: { flag: MS.NOEXEC },
  nomand: { clear: true, flag: MS.MANDLOCK },
  norelatime: { clear: true, flag: MS.RELATIME },
  nostrictatime: { clear: true, flag: MS.STRICTATIME },
  nosuid: { flag: MS.NOSUID },
  nosymfollow: { flag: MS.NOSYMFOLLOW },
  rbind: { flag: MS.BIND | MS.REC },
  relatime: { flag: MS.RELATIME },
  remount: { flag: MS.REMOUNT },
  ro: { flag: MS.RDONLY },
  rw: { clear: true, flag: MS.RDONLY },
  strictatime: { flag: MS.STRICTATIME },
  suid: { clear: true, flag: MS.NOSUID },
  sync: { flag: MS.SYNCHRONOUS },
};

/** Propagation options become a separate mount(2) call: the kernel refuses them mixed with other flags. */
export const PROPAGATION_OPTIONS: Record<string, number> = {
  private: MS.PRIVATE,
  rprivate: MS.PRIVATE | MS.REC,
  shared: MS.SHARED,
  rshared: MS.SHARED | MS.REC,
  slave: MS.SLAVE,
  rslave: MS.SLAVE | MS.REC,
  unbindable: MS.UNBINDABLE,
  runbindable: MS.UNBINDABLE | MS.REC,
};

export interface ParsedOptions {
  flags: number;
  propagation: number[];
  /** Options the filesystem itself reads (mode=755,size=65536k), or null. */
  data: string | null;
}

export function parseMountOptions(options: string[] = []): ParsedOptions {
  let flags = 0;
  const propagation: number[] = [];
  const data: string[] = [];
  for (const o of options) {
    const f = FLAG_OPTIONS[o];
    if (f) flags = f.clear ? flags & ~f.flag : flags | f.flag;
    else if (o in PROPAGATION_OPTIONS) propagation.push(PROPAGATION_OPTIONS[o]!);
    else data.push(o);
  }
  return { flags, propagation, data: data.length ? data.join(',') : null };
}

// Device nodes and well-known files are bind-mounted as files; anything
// else is taken for a directory unless its last component has an extension.
const FILE_NAMES = new Set(['hosts', 'hostname', 'resolv.conf', 'passwd', 'group', 'shadow', 'localtime', 'timezone', 'machine-id', 'mtab']);
/** The default sourceIsDir hook: a guess from the path alone (createPlan is pure and cannot stat). */
export function guessSourceIsDir(path: string): boolean {
  if (path.startsWith('/dev/') && !['/dev/pts', '/dev/shm', '/dev/mqueue', '/dev/net', '/dev/hugepages'].includes(path)) return false;
  const base = posix.basename(path);
  if (FILE_NAMES.has(base)) return false;
  return !/^[^.].*\.[A-Za-z0-9_-]+$/.test(base);
}

/**
 * A path inside the container's root, normalised ("/dev/null"). The plan
 * never joins it to the host path of the rootfs: the executor resolves it
 * against the root fd when the op runs (inRoot ops, native/root-ops.c).
 */
export function inRootPath(dest: string): string {
  const p = posix.normalize('/' + dest);
  return p.length > 1 ? p.replace(/\/+$/, '') : p;
}

export type { CgroupMountSource };

export interface MountContext {
  sourceIsDir: (path: string) => boolean;
  cgroupMounts?: CgroupMountSource[];
  inUserns?: boolean;
  /** The plan unshares a cgroup namespace before the mounts. */
  newCgroupns?: boolean;
}

export function isBindMount(m: Mount): boolean {
  return m.type === 'bind' || (m.options ?? []).some((o) => o === 'bind' || o === 'rbind');
}

/** Filesystems runc and crun refuse to mount on a symlink: their contents steer the host (proc/sys writes). */
const NO_SYMLINK_TYPES = new Set(['proc', 'sysfs']);

/** The ops for one spec mount; the target is inside the root (resolved by the executor). */
export function compileMount(m: Mount, index: number, ctx: MountContext): PlanOp[] {
  const target = inRootPath(m.destination);
  const inRoot = true;
  const { flags, propagation, data } = parseMountOptions(m.options);
  const ops: PlanOp[] = [];
  const propagate = () => propagation.forEach((p) => ops.push({ op: 'mount', source: null, target, fstype: null, flags: p, data: null, inRoot }));
  if (m.uidMappings?.length || m.gidMappings?.length) {
    throw new InvalidArgumentError(`mounts[${index}].uidMappings: id-mapped mounts are not supported (the executor has no mount_setattr op)`);
  }
  if (isBindMount(m)) {
    const source = m.source!;
    if (ctx.sourceIsDir(source)) ops.push({ op: 'mkdir', path: target, mode: 0o755, parents: true, inRoot });
    else ops.push({ op: 'mkdir', path: posix.dirname(target), mode: 0o755, parents: true, inRoot }, { op: 'create_file', path: target, mode: 0o644, inRoot });
    // mount(2) ignores every flag but MS_REC on the first bind; the rest
    // need a remount (runc: "bind mounts need a remount to apply flags").
    ops.push({ op: 'mount', source, target, fstype: 'bind', flags: flags & (MS.BIND | MS.REC), data: null, inRoot });
    const rest = flags & ~(MS.BIND | MS.REC | MS.REMOUNT);
    if (rest) {
      // In a user namespace the source's nosuid/nodev/... are locked: keep them (preserveFlags).
      ops.push({ op: 'mount', source: null, target, fstype: null, flags: rest | MS.BIND | MS.REMOUNT | (flags & MS.REC), data: null, preserveFlags: true, inRoot });
    }
    propagate();
    return ops;
  }
  if (m.type === 'cgroup') return compileCgroupMount(target, flags, ctx);
  ops.push({ op: 'mkdir', path: target, mode: 0o755, parents: true, inRoot });
  ops.push({ op: 'mount', source: m.source ?? m.type!, target, fstype: m.type!, flags, data, inRoot, ...(NO_SYMLINK_TYPES.has(m.type!) ? { noSymlinks: true } : {}) });
  propagate();
  return ops;
}

/**
 * /sys/fs/cgroup. Given the container's host cgroup directories (from the
 * cgroup manager), bind them the way runc does: on v1 a tmpfs with one bind
 * per hierarchy, read-only when asked; on v2 the one directory. Without
 * them, a fresh cgroup2 mount: inside a cgroup namespace it shows the
 * namespace's root, otherwise the whole unified tree.
 */
function compileCgroupMount(target: string, flags: number, ctx: MountContext): PlanOp[] {
  const inRoot = true;
  const ops: PlanOp[] = [{ op: 'mkdir', path: target, mode: 0o755, parents: true, inRoot }];
  const sources = ctx.cgroupMounts ?? [];
  const ro = flags & MS.RDONLY;
  const lock = MS.NOSUID | MS.NODEV | MS.NOEXEC;
  if (sources.length === 0) {
    if (ctx.inUserns && !ctx.newCgroupns) {
      // A user namespace may mount cgroup2 only inside a cgroup namespace it
      // owns (EPERM otherwise): show the host's tree read-only instead.
      ops.push({ op: 'mount', source: '/sys/fs/cgroup', target, fstype: 'bind', flags: MS.BIND | MS.REC, data: null, inRoot });
      ops.push({ op: 'mount', source: null, target, fstype: null, flags: MS.BIND | MS.REMOUNT | MS.REC | lock | ro, data: null, preserveFlags: true, inRoot });
      return ops;
    }
    ops.push({ op: 'mount', source: 'cgroup', target, fstype: 'cgroup2', flags: flags & ~(MS.BIND | MS.REC), data: null, inRoot });
    return ops;
  }
  const bindOne = (hostPath: string, at: string) => {
    ops.push({ op: 'mount', source: hostPath, target: at, fstype: 'bind', flags: MS.BIND | MS.REC, data: null, inRoot });
    ops.push({ op: 'mount', source: null, target: at, fstype: null, flags: MS.BIND | MS.REMOUNT | lock | ro, data: null, preserveFlags: true, inRoot });
  };
  if (sources.length === 1 && sources[0]!.name === '') {
    bindOne(sources[0]!.hostPath, target);
    return ops;
  }
  ops.push({ op: 'mount', source: 'tmpfs', target, fstype: 'tmpfs', flags: lock, data: 'mode=755', inRoot });
  for (const s of sources) {
    const at = posix.join(target, s.name);
    ops.push({ op: 'mkdir', path: at, mode: 0o755, inRoot });
    bindOne(s.hostPath, at);
    // A co-mounted hierarchy ("cpu,cpuacct") is also reachable by each name, as on the host.
    if (s.name.includes(',')) for (const part of s.name.split(',')) ops.push({ op: 'symlink', target: s.name, linkpath: posix.join(target, part), inRoot });
  }
  if (ro) ops.push({ op: 'mount', source: null, target, fstype: null, flags: MS.REMOUNT | MS.RDONLY | lock, data: 'mode=755', inRoot });
  return ops;
}
