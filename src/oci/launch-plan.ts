// The launch plan: what the native executor runs between clone() and
// execve(). Types, the binary encoding (mirrors native/plan.h) and the text
// form used by --dry-run and --trace.

export type PlanOp =
  | { op: 'mount'; source: string | null; target: string; fstype: string | null; flags: number; data: string | null; ignoreMissing?: boolean; preserveFlags?: boolean; inRoot?: boolean; sourceInRoot?: boolean; noSymlinks?: boolean }
  | { op: 'umount2'; target: string; flags: number; ignoreMissing?: boolean }
  | { op: 'mkdir'; path: string; mode: number; parents?: boolean; inRoot?: boolean }
  | { op: 'symlink'; target: string; linkpath: string; inRoot?: boolean }
  | { op: 'mknod'; path: string; mode: number; major: number; minor: number; inRoot?: boolean }
  | { op: 'chdir'; path: string; inRoot?: boolean }
  | { op: 'pivot_root'; newRoot: string; putOld: string }
  | { op: 'chroot'; path: string }
  | { op: 'sethostname'; name: string }
  | { op: 'setdomainname'; name: string }
  | { op: 'setrlimit'; resource: number; soft: bigint; hard: bigint }
  | { op: 'prctl'; option: number; args: number[] }
  | { op: 'capset'; effective: bigint; permitted: bigint; inheritable: bigint }
  | { op: 'cap_bounding'; keep: bigint; lastCap: number }
  | { op: 'cap_ambient'; raise: bigint; lastCap: number }
  | { op: 'setgroups'; gids: number[] }
  | { op: 'setresgid'; rgid: number; egid: number; sgid: number }
  | { op: 'setresuid'; ruid: number; euid: number; suid: number }
  | { op: 'dup2'; oldfd: number; newfd: number }
  | { op: 'close_from'; fd: number }
  | { op: 'setsid' }
  | { op: 'setctty'; fd: number }
  | { op: 'seccomp'; filter: Buffer; flags: number }
  | { op: 'umask'; mask: number }
  | { op: 'write_file'; path: string; data: string; ignoreMissing?: boolean; inRoot?: boolean }
  | { op: 'unshare'; flags: number }
  | { op: 'setns'; path: string; nstype: number }
  | { op: 'execve'; path: string; argv: string[]; env: string[]; searchPath?: string }
  | { op: 'mask_path'; path: string; inRoot?: boolean }
  | { op: 'create_file'; path: string; mode: number; inRoot?: boolean }
  | { op: 'lchown'; path: string; uid: number; gid: number; inRoot?: boolean }
  | { op: 'sync' }
  | { op: 'loopback_up' }
  // Allocates the terminal inside the container and sends the master to socketFd (native/plan.h, TSPL_OPEN_PTY).
  | { op: 'open_pty'; ptmx: string; fallback?: string; socketFd: number; rows: number; cols: number; uid?: number; gid?: number; message?: string }
  /** The root (a host path tsctr chose) as an O_PATH fd: every inRoot path resolves against it. */
  | { op: 'open_root'; path: string }
  /** After PR_SET_PDEATHSIG: exit unless the launcher is still the parent. */
  | { op: 'check_parent' }
  /** personality(2): the execution domain (PER_LINUX, PER_LINUX32). */
  | { op: 'personality'; persona: number }
  /** ioprio_set(2) of the calling process (who 0 = self). */
  | { op: 'ioprio_set'; which: number; who: number; ioprio: number }
  // The OCI lifecycle (native/lifecycle.c).
  | { op: 'sync_reported' }
  | { op: 'lookup_exec'; path: string; searchPath?: string }
  | { op: 'wait_start'; fd: number; closeFrom: number }
  | { op: 'run_hook'; path: string; argv: string[]; env: string[]; timeout: number };

export type PlanOpName = PlanOp['op'];

export const OPCODES: Record<PlanOpName, number> = {
  mount: 1, umount2: 2, mkdir: 3, symlink: 4, mknod: 5, chdir: 6, pivot_root: 7, chroot: 8,
  sethostname: 9, setdomainname: 10, setrlimit: 11, prctl: 12, capset: 13, cap_bounding: 14,
  cap_ambient: 15, setgroups: 16, setresgid: 17, setresuid: 18, dup2: 19, close_from: 20,
  setsid: 21, setctty: 22, seccomp: 23, umask: 24, write_file: 25, unshare: 26, setns: 27,
  execve: 28, mask_path: 29, create_file: 30, lchown: 31, sync: 32, loopback_up: 33,
  // 50-59: joining and terminals.
  open_pty: 50,
  open_root: 34, check_parent: 35, personality: 36, ioprio_set: 37,
  sync_reported: 60, lookup_exec: 61, wait_start: 62, run_hook: 63,
};

/** Values of a report record's err field that are messages, not errnos (native/plan.h). */
export const REPORT = { WAITING: -1, SYNC: -2 } as const;

// The ABI of native/plan.h; test/unit/oci/plan-abi.test.ts checks these against it.
export const PLAN_ABI = { magic: 0x4c505354, version: 1, headerSize: 16, opSize: 64, reportSize: 16 } as const;
export const HEADER_FLAGS = { TRACE: 1, RESOLVE_WALK: 2 } as const;
export const OP_FLAGS = { IGNORE_ENOENT: 1, PRESERVE_FLAGS: 2, MKDIR_PARENTS: 4, IN_ROOT: 8, SRC_IN_ROOT: 16, NO_SYMLINKS: 32 } as const;
export const PLAN_FLAG_TRACE = HEADER_FLAGS.TRACE;
const { magic: MAGIC, version: VERSION, headerSize: HEADER, opSize: OP_SIZE } = PLAN_ABI;
const { IGNORE_ENOENT: OPF_IGNORE_ENOENT, PRESERVE_FLAGS: OPF_PRESERVE_FLAGS, MKDIR_PARENTS: OPF_MKDIR_PARENTS } = OP_FLAGS;

/** RLIM_INFINITY as the kernel sees it. */
export const RLIM_INFINITY = (1n << 64n) - 1n;

class DataArea {
  readonly chunks: Buffer[] = [];
  size = 0;
  constructor(readonly base: number) {}
  private push(b: Buffer): number {
    const off = this.base + this.size;
    this.chunks.push(b);
    this.size += b.length;
    return off;
  }
  str(s: string | null | undefined): number {
    if (s === null || s === undefined) return 0;
    if (s.includes('\0')) throw new Error(`plan string contains a NUL byte: ${JSON.stringify(s)}`);
    return this.push(Buffer.from(s + '\0', 'utf8'));
  }
  list(items: string[]): number {
    if (items.length === 0) return 0;
    for (const s of items) if (s.includes('\0')) throw new Error(`plan string contains a NUL byte: ${JSON.stringify(s)}`);
    return this.push(Buffer.from(items.map((s) => s + '\0').join(''), 'utf8'));
  }
  blob(b: Buffer): number {
    // Align binary data to 8 bytes: sock_filter and gid arrays are read in place.
    const pad = (8 - ((this.base + this.size) % 8)) % 8;
    if (pad) this.push(Buffer.alloc(pad));
    return this.push(b);
  }
}

export interface EncodeOptions {
  trace?: boolean;
  /** Resolve in-root paths by the O_NOFOLLOW walk instead of openat2 (default: TSCTR_RESOLVE=walk in the environment). */
  resolveWalk?: boolean;
}

/** Whether the environment asks for the walk fallback (for tests of it, and kernels with a broken openat2). */
export function resolveWalkFromEnv(): boolean {
  return process.env.TSCTR_RESOLVE === 'walk';
}

/** Encodes a plan into the binary form native/plan.h describes. */
export function encodePlan(ops: PlanOp[], opts: EncodeOptions = {}): Buffer {
  const head = Buffer.alloc(HEADER + ops.length * OP_SIZE);
  head.writeUInt32LE(MAGIC, 0);
  head.writeUInt32LE(VERSION, 4);
  head.writeUInt32LE(ops.length, 8);
  const walk = opts.resolveWalk ?? resolveWalkFromEnv();
  head.writeUInt32LE((opts.trace ? HEADER_FLAGS.TRACE : 0) | (walk ? HEADER_FLAGS.RESOLVE_WALK : 0), 12);
  const data = new DataArea(head.length);
  ops.forEach((o, i) => {
    const at = HEADER + i * OP_SIZE;
    const n: bigint[] = [0n, 0n, 0n, 0n, 0n];
    const s: number[] = [0, 0, 0, 0];
    let flags = 0;
    if ('inRoot' in o && o.inRoot) flags |= OP_FLAGS.IN_ROOT;
    switch (o.op) {
      case 'mount':
        s[0] = data.str(o.source); s[1] = data.str(o.target); s[2] = data.str(o.fstype); s[3] = data.str(o.data);
        n[0] = BigInt(o.flags);
        if (o.ignoreMissing) flags |= OPF_IGNORE_ENOENT;
        if (o.preserveFlags) flags |= OPF_PRESERVE_FLAGS;
        if (o.sourceInRoot) flags |= OP_FLAGS.SRC_IN_ROOT;
        if (o.noSymlinks) flags |= OP_FLAGS.NO_SYMLINKS;
        break;
      case 'umount2': s[0] = data.str(o.target); n[0] = BigInt(o.flags); if (o.ignoreMissing) flags |= OPF_IGNORE_ENOENT; break;
      case 'mkdir': s[0] = data.str(o.path); n[0] = BigInt(o.mode); if (o.parents) flags |= OPF_MKDIR_PARENTS; break;
      case 'symlink': s[0] = data.str(o.target); s[1] = data.str(o.linkpath); break;
      case 'mknod': s[0] = data.str(o.path); n[0] = BigInt(o.mode); n[1] = BigInt(o.major); n[2] = BigInt(o.minor); break;
      case 'chdir': s[0] = data.str(o.path); break;
      case 'pivot_root': s[0] = data.str(o.newRoot); s[1] = data.str(o.putOld); break;
      case 'chroot': s[0] = data.str(o.path); break;
      case 'sethostname': case 'setdomainname': s[0] = data.str(o.name); break;
      case 'setrlimit': n[0] = BigInt(o.resource); n[1] = o.soft; n[2] = o.hard; break;
      case 'prctl': n[0] = BigInt(o.option); o.args.slice(0, 4).forEach((a, k) => { n[k + 1] = BigInt(a); }); break;
      case 'capset': n[0] = o.effective; n[1] = o.permitted; n[2] = o.inheritable; break;
      case 'cap_bounding': n[0] = o.keep; n[1] = BigInt(o.lastCap); break;
      case 'cap_ambient': n[0] = o.raise; n[1] = BigInt(o.lastCap); break;
      case 'setgroups': {
        n[0] = BigInt(o.gids.length);
        const b = Buffer.alloc(o.gids.length * 4);
        o.gids.forEach((g, k) => b.writeUInt32LE(g, k * 4));
        if (o.gids.length) s[0] = data.blob(b);
        break;
      }
      case 'setresgid': n[0] = BigInt(o.rgid); n[1] = BigInt(o.egid); n[2] = BigInt(o.sgid); break;
      case 'setresuid': n[0] = BigInt(o.ruid); n[1] = BigInt(o.euid); n[2] = BigInt(o.suid); break;
      case 'dup2': n[0] = BigInt(o.oldfd); n[1] = BigInt(o.newfd); break;
      case 'close_from': n[0] = BigInt(o.fd); break;
      case 'setsid': case 'sync': case 'loopback_up': case 'check_parent': break;
      case 'open_root': s[0] = data.str(o.path); break;
      case 'personality': n[0] = BigInt(o.persona); break;
      case 'ioprio_set': n[0] = BigInt(o.which); n[1] = BigInt(o.who); n[2] = BigInt(o.ioprio); break;
      case 'sync_reported': break;
      case 'lookup_exec': s[0] = data.str(o.path); s[3] = data.str(o.searchPath); break;
      case 'wait_start': n[0] = BigInt(o.fd); n[1] = BigInt(o.closeFrom); break;
      case 'run_hook':
        if (o.argv.length === 0) throw new Error('run_hook needs at least argv[0]');
        s[0] = data.str(o.path); s[1] = data.list(o.argv); s[2] = data.list(o.env);
        n[0] = BigInt(o.argv.length); n[1] = BigInt(o.env.length); n[2] = BigInt(o.timeout);
        break;
      case 'setctty': n[0] = BigInt(o.fd); break;
      case 'seccomp':
        if (o.filter.length === 0 || o.filter.length % 8 !== 0) throw new Error('seccomp filter must be a non-empty array of 8-byte instructions');
        n[0] = BigInt(o.filter.length / 8); n[1] = BigInt(o.flags); s[0] = data.blob(o.filter);
        break;
      case 'umask': n[0] = BigInt(o.mask); break;
      case 'write_file': s[0] = data.str(o.path); s[1] = data.str(o.data); if (o.ignoreMissing) flags |= OPF_IGNORE_ENOENT; break;
      case 'unshare': n[0] = BigInt(o.flags); break;
      case 'setns': s[0] = data.str(o.path); n[0] = BigInt(o.nstype); break;
      case 'execve':
        if (o.argv.length === 0) throw new Error('execve needs at least argv[0]');
        s[0] = data.str(o.path); s[1] = data.list(o.argv); s[2] = data.list(o.env); s[3] = data.str(o.searchPath);
        n[0] = BigInt(o.argv.length); n[1] = BigInt(o.env.length);
        break;
      case 'mask_path': s[0] = data.str(o.path); flags |= OPF_IGNORE_ENOENT; break;
      case 'create_file': s[0] = data.str(o.path); n[0] = BigInt(o.mode); break;
      case 'lchown': s[0] = data.str(o.path); n[0] = BigInt(o.uid); n[1] = BigInt(o.gid); break;
      case 'open_pty':
        s[0] = data.str(o.ptmx); s[1] = data.str(o.fallback); s[2] = data.str(o.message);
        n[0] = BigInt(o.socketFd); n[1] = BigInt(o.rows); n[2] = BigInt(o.cols); n[3] = BigInt(o.uid ?? -1); n[4] = BigInt(o.gid ?? -1);
        break;
    }
    head.writeUInt32LE(OPCODES[o.op], at);
    head.writeUInt32LE(flags, at + 4);
    n.forEach((v, k) => head.writeBigInt64LE(BigInt.asIntN(64, v), at + 8 + k * 8));
    s.forEach((v, k) => head.writeUInt32LE(v, at + 48 + k * 4));
  });
  return Buffer.concat([head, ...data.chunks]);
}

const hex = (v: bigint) => '0x' + v.toString(16);
const q = (s: string | null) => (s === null ? 'NULL' : JSON.stringify(s));
/** An in-root path prints as "<root>/dev/null": resolved against the root fd when the op runs. */
const r = (s: string, inRoot: boolean | undefined) => (inRoot ? JSON.stringify('<root>' + (s.startsWith('/') ? s : '/' + s)) : q(s));

/** One line naming the operation and its arguments, as strace would. */
export function describeOp(o: PlanOp): string {
  switch (o.op) {
    case 'mount': return `mount(${o.source !== null && o.sourceInRoot ? r(o.source, true) : q(o.source)}, ${r(o.target, o.inRoot)}, ${q(o.fstype)}, ${mountFlagNames(o.flags)}, ${q(o.data)})${o.noSymlinks ? ' no-symlinks' : ''}`;
    case 'umount2': return `umount2(${q(o.target)}, ${o.flags})`;
    case 'mkdir': return `mkdir${o.parents ? ' -p' : ''}(${r(o.path, o.inRoot)}, 0${o.mode.toString(8)})`;
    case 'symlink': return `symlink(${q(o.target)}, ${r(o.linkpath, o.inRoot)})`;
    case 'mknod': return `mknod(${r(o.path, o.inRoot)}, 0${o.mode.toString(8)}, ${o.major}:${o.minor})`;
    case 'chdir': return `chdir(${r(o.path, o.inRoot)})`;
    case 'pivot_root': return `pivot_root(${q(o.newRoot)}, ${q(o.putOld)})`;
    case 'chroot': return `chroot(${q(o.path)})`;
    case 'sethostname': return `sethostname(${q(o.name)})`;
    case 'setdomainname': return `setdomainname(${q(o.name)})`;
    case 'setrlimit': return `setrlimit(${o.resource}, ${o.soft === RLIM_INFINITY ? 'inf' : o.soft}, ${o.hard === RLIM_INFINITY ? 'inf' : o.hard})`;
    case 'prctl': return `prctl(${o.option}${o.args.map((a) => ', ' + a).join('')})`;
    case 'capset': return `capset(eff=${hex(o.effective)}, prm=${hex(o.permitted)}, inh=${hex(o.inheritable)})`;
    case 'cap_bounding': return `capbset_drop(keep=${hex(o.keep)})`;
    case 'cap_ambient': return `cap_ambient_raise(${hex(o.raise)})`;
    case 'setgroups': return `setgroups([${o.gids.join(', ')}])`;
    case 'setresgid': return `setresgid(${o.rgid}, ${o.egid}, ${o.sgid})`;
    case 'setresuid': return `setresuid(${o.ruid}, ${o.euid}, ${o.suid})`;
    case 'dup2': return `dup2(${o.oldfd}, ${o.newfd})`;
    case 'close_from': return `close_range(${o.fd}, ~0, CLOEXEC)`;
    case 'setsid': return 'setsid()';
    case 'setctty': return `ioctl(${o.fd}, TIOCSCTTY)`;
    case 'seccomp': return `seccomp(SET_MODE_FILTER, ${o.flags}, ${o.filter.length / 8} instructions)`;
    case 'umask': return `umask(0${o.mask.toString(8)})`;
    case 'write_file': return `write(${r(o.path, o.inRoot)}, ${q(o.data)})`;
    case 'unshare': return `unshare(${hex(BigInt(o.flags))})`;
    case 'setns': return `setns(${q(o.path)}, ${hex(BigInt(o.nstype))})`;
    case 'execve': return `execve(${q(o.path)}, [${o.argv.map((a) => JSON.stringify(a)).join(', ')}], ${o.env.length} env)`;
    case 'mask_path': return `mask(${r(o.path, o.inRoot)})`;
    case 'create_file': return `create(${r(o.path, o.inRoot)}, 0${o.mode.toString(8)})`;
    case 'lchown': return `lchown(${r(o.path, o.inRoot)}, ${o.uid}, ${o.gid})`;
    case 'sync': return 'wait-for-parent()';
    case 'loopback_up': return 'ioctl(SIOCSIFFLAGS, "lo", IFF_UP)';
    case 'open_pty': return `open_pty(${q(o.ptmx)}${o.fallback ? ` or ${q(o.fallback)}` : ''}, ${o.rows}x${o.cols}${o.uid !== undefined ? `, owner ${o.uid}` : ''}) → master to fd ${o.socketFd}, slave on 0-2 + setsid + TIOCSCTTY`;
    case 'open_root': return `<root> = open(${q(o.path)}, O_PATH|O_DIRECTORY)`;
    case 'check_parent': return 'check-parent()';
    case 'personality': return `personality(0x${o.persona.toString(16)})`;
    case 'ioprio_set': return `ioprio_set(${o.which}, ${o.who}, class ${o.ioprio >> 13} data ${o.ioprio & 0x1fff})`;
    case 'sync_reported': return 'report-sync-and-wait()';
    case 'lookup_exec': return `lookup-exec(${q(o.path)})`;
    case 'wait_start': return `wait-for-start(fifo fd ${o.fd}${o.closeFrom ? `, close fds >= ${o.closeFrom}` : ''})`;
    case 'run_hook': return `hook(${q(o.path)}, [${o.argv.map((a) => JSON.stringify(a)).join(', ')}]${o.timeout ? `, timeout ${o.timeout}s` : ''})`;
  }
}

const MS_NAMES: [number, string][] = [
  [0x1, 'RDONLY'], [0x2, 'NOSUID'], [0x4, 'NODEV'], [0x8, 'NOEXEC'], [0x20, 'REMOUNT'], [0x400, 'NOATIME'],
  [0x800, 'NODIRATIME'], [0x1000, 'BIND'], [0x2000, 'MOVE'], [0x4000, 'REC'], [0x20000, 'UNBINDABLE'],
  [0x40000, 'PRIVATE'], [0x80000, 'SLAVE'], [0x100000, 'SHARED'], [0x200000, 'RELATIME'], [0x1000000, 'STRICTATIME'],
];
export function mountFlagNames(flags: number): string {
  if (flags === 0) return '0';
  const names: string[] = [];
  let rest = flags;
  for (const [bit, name] of MS_NAMES) if (flags & bit) { names.push('MS_' + name); rest &= ~bit; }
  if (rest) names.push(hex(BigInt(rest)));
  return names.join('|');
}

/** A hint for a failing step, for the errors people meet while experimenting. */
export function hintForStep(o: PlanOp, code: string): string | undefined {
  if (o.op === 'pivot_root' && code === 'EINVAL') return 'the new root is not a mount point, or the current root is on a shared mount (try --no-pivot on a ramfs root)';
  if (o.op === 'lookup_exec' && code === 'ENOENT') return `"${o.path}" was not found in the container's root filesystem (check the bundle's rootfs and PATH)`;
  if (o.op === 'lookup_exec' && code === 'EACCES') return `"${o.path}" is not an executable file in the container`;
  if (o.op === 'wait_start' && code === 'ENOENT') return 'the container has no /proc: the exec fifo is reopened through /proc/self/fd';
  if (o.op === 'execve' && code === 'ENOENT') return `"${o.path}" was not found in the container's root filesystem (check the image and PATH)`;
  if (o.op === 'execve' && code === 'EACCES') return `"${o.path}" is not executable in the container`;
  if (o.op === 'execve' && code === 'ENOEXEC') return `"${o.path}" is not a binary this kernel can run (wrong architecture, or a script without #!)`;
  if (o.op === 'mount' && code === 'EPERM') return 'needs CAP_SYS_ADMIN in the mount namespace\'s owning user namespace';
  if (o.op === 'mount' && code === 'ENODEV') return `the kernel does not know filesystem type "${o.fstype}"`;
  if (o.op === 'mount' && code === 'ENOENT') return `the mount source or target "${o.source ?? o.target}" does not exist`;
  if (o.op === 'setns' && code === 'EINVAL') return 'the file is not a namespace of the named type';
  if ((o.op === 'setresuid' || o.op === 'setresgid') && code === 'EINVAL') return 'the id is not mapped in the container\'s user namespace (check --uidmap/--gidmap)';
  if (o.op === 'sethostname' && code === 'EPERM') return 'setting the hostname needs a new UTS namespace';
  if (o.op === 'seccomp' && code === 'EACCES') return 'loading a filter needs noNewPrivileges or CAP_SYS_ADMIN';
  if (o.op === 'open_pty' && (code === 'ENOTTY' || code === 'ELOOP' || code === 'ENOENT' || code === 'ENXIO')) return `the container's ${o.ptmx} is not the ptmx of a devpts filesystem (was /dev/pts replaced?); run without -t`;
  if (o.op === 'open_pty' && (code === 'EPIPE' || code === 'ECONNRESET')) return 'the console socket\'s receiver closed the connection before the terminal was sent';
  if ('inRoot' in o && o.inRoot && code === 'ELOOP') return o.op === 'mount' && o.noSymlinks
    ? `the image's "${o.target}" is or lies under a symlink: ${o.fstype ?? 'this filesystem'} is only mounted on a real directory`
    : 'too many symlinks, or a /proc magic link, on the way inside the container\'s root';
  if (o.op === 'mask_path' && code === 'ENODEV') return 'the container\'s /dev/null is not the null device';
  if (o.op === 'check_parent') return 'the launching tsctr died before the container started';
  if (code === 'EPERM') return 'needs root or the matching capability';
  return undefined;
}

export interface StepRecord {
  step: number;
  /** 0 on success. */
  errno: number;
  /** Nanoseconds since the child started its plan. */
  ns: number;
}

/**
 * Decodes the step reports in buf (struct tspl_report, plan.h); returns
 * them and the bytes of an incomplete record left over. The one decoder
 * both launch paths use (launcher.ts, container/monitor.ts).
 */
export function decodeStepReports<B extends Buffer>(buf: B): { records: StepRecord[]; rest: B } {
  const records: StepRecord[] = [];
  let at = 0;
  for (; at + PLAN_ABI.reportSize <= buf.length; at += PLAN_ABI.reportSize) {
    records.push({ step: buf.readUInt32LE(at), errno: buf.readInt32LE(at + 4), ns: Number(buf.readBigUInt64LE(at + 8)) });
  }
  return { records, rest: buf.subarray(at) as B };
}
