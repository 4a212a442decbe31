// The only importer of ffi-rs. Each libc function is defined once, with errno
// captured; a failure throws SysError naming the call and the path.
import { DataType, define, open } from 'ffi-rs';
import { closeSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BpfLoadError, SysError } from './errors.js';
import { decodeWaitStatus, type Pty, type Spawned, type StatFs, type Sys, type WaitStatus } from './types.js';

const here = dirname(fileURLToPath(import.meta.url));
// dist/src/sys → repo root is three levels up; src/sys (ts-node) is two.
function findNativeLibrary(): string {
  const env = process.env.TSCTR_NATIVE_LIB;
  if (env) return env;
  for (const up of ['../../..', '../..']) {
    const p = join(here, up, 'native/build/libtsctr.so');
    if (existsSync(p)) return p;
  }
  throw new Error('native/build/libtsctr.so is missing: run `npm run build:native` (needs a C compiler)');
}

open({ library: 'libc', path: '' });
open({ library: 'tsctr', path: findNativeLibrary() });

const S = DataType.String;
const I32 = DataType.I32;
const I64 = DataType.I64;
const BUF = DataType.U8Array;

const libc = define({
  mount: { library: 'libc', retType: I32, paramsType: [S, S, S, I64, S], errno: true },
  umount2: { library: 'libc', retType: I32, paramsType: [S, I32], errno: true },
  unshare: { library: 'libc', retType: I32, paramsType: [I32], errno: true },
  setns: { library: 'libc', retType: I32, paramsType: [I32, I32], errno: true },
  mknod: { library: 'libc', retType: I32, paramsType: [S, I32, I64], errno: true },
  gnu_dev_makedev: { library: 'libc', retType: I64, paramsType: [I32, I32] },
  lchown: { library: 'libc', retType: I32, paramsType: [S, I32, I32], errno: true },
  lsetxattr: { library: 'libc', retType: I64, paramsType: [S, S, BUF, I64, I32], errno: true },
  lgetxattr: { library: 'libc', retType: I64, paramsType: [S, S, BUF, I64], errno: true },
  llistxattr: { library: 'libc', retType: I64, paramsType: [S, BUF, I64], errno: true },
  lremovexattr: { library: 'libc', retType: I32, paramsType: [S, S], errno: true },
  flock: { library: 'libc', retType: I32, paramsType: [I32, I32], errno: true },
  kill: { library: 'libc', retType: I32, paramsType: [I32, I32], errno: true },
  prctl: { library: 'libc', retType: I32, paramsType: [I32, I64, I64, I64, I64], errno: true },
  fcntl: { library: 'libc', retType: I32, paramsType: [I32, I32, I32], errno: true },
});

const native = define({
  tsctr_spawn: { library: 'tsctr', retType: I32, paramsType: [BUF, I32, I64, I32, BUF] },
  tsctr_wait: { library: 'tsctr', retType: I32, paramsType: [I32, I32] },
  tsctr_openpty_at: { library: 'tsctr', retType: I32, paramsType: [S, BUF] },
  tsctr_get_winsize: { library: 'tsctr', retType: I32, paramsType: [I32, BUF] },
  tsctr_set_winsize: { library: 'tsctr', retType: I32, paramsType: [I32, I32, I32] },
  tsctr_set_opost: { library: 'tsctr', retType: I32, paramsType: [I32, I32] },
  tsctr_statfs: { library: 'tsctr', retType: I32, paramsType: [S, BUF] },
  tsctr_pipe: { library: 'tsctr', retType: I32, paramsType: [I32, BUF] },
  tsctr_set_cloexec: { library: 'tsctr', retType: I32, paramsType: [I32, I32] },
  tsctr_build_id: { library: 'tsctr', retType: S, paramsType: [] },
  tsctr_socketpair: { library: 'tsctr', retType: I32, paramsType: [BUF] },
  tsctr_recv_fd: { library: 'tsctr', retType: I32, paramsType: [I32, BUF, I32] },
  tsctr_pidfd_open: { library: 'tsctr', retType: I32, paramsType: [I32] },
  tsctr_pidfd_send_signal: { library: 'tsctr', retType: I32, paramsType: [I32, I32] },
  tsctr_bpf_prog_load: { library: 'tsctr', retType: I32, paramsType: [I32, BUF, I32, S, S, BUF, I32] },
  tsctr_bpf_prog_attach: { library: 'tsctr', retType: I32, paramsType: [I32, I32, I32, I32] },
  tsctr_bpf_prog_detach: { library: 'tsctr', retType: I32, paramsType: [I32, I32, I32] },
  tsctr_bpf_prog_query: { library: 'tsctr', retType: I32, paramsType: [I32, I32, BUF, I32] },
  tsctr_bpf_prog_get_fd_by_id: { library: 'tsctr', retType: I32, paramsType: [I32] },
  tsctr_validate_plan: { library: 'tsctr', retType: I32, paramsType: [BUF, I32, BUF, I32] },
  tsctr_open_in_root: { library: 'tsctr', retType: I32, paramsType: [S, S, I32] },
  tsctr_shift_ownership: { library: 'tsctr', retType: I64, paramsType: [S, BUF, I32, I32, BUF, I32] },
  tsctr_eventfd: { library: 'tsctr', retType: I32, paramsType: [] },
  tsctr_poll3: { library: 'tsctr', retType: I32, paramsType: [I32, I32, I32, I32], runInNewThread: true },
  tsctr_connect_unix: { library: 'tsctr', retType: I32, paramsType: [S] },
});

interface ErrnoResult<T> { value: T; errnoCode: number }

function check<T extends number>(r: ErrnoResult<T>, syscall: string, path?: string): T {
  if (Number(r.value) < 0) throw new SysError(syscall, r.errnoCode, path);
  return r.value;
}

/** Native helpers return -errno. */
function checkNeg(r: number, syscall: string, path?: string): number {
  if (r < 0) throw new SysError(syscall, -r, path);
  return r;
}

// Nothing here blocks a thread: a blocked call parked on an ffi-rs worker
// would hold one of libuv's four pool threads, and four waiters would starve
// every fs call of the process (seen with concurrent pulls). Waiting for a
// child is driven by SIGCHLD, locking by a LOCK_NB poll.
const waiters = new Map<number, (status: number) => void>();
// A signal listener does not keep the event loop alive; this timer does, and
// it also catches an exit whose SIGCHLD merged with another.
let keepalive: NodeJS.Timeout | undefined;
function reapWaiters(): void {
  for (const [pid, done] of waiters) {
    const r = native.tsctr_wait([pid, 1]) as number;
    if (r === -11 /* EAGAIN: still running */) continue;
    waiters.delete(pid);
    done(r);
  }
  if (waiters.size === 0) {
    process.off('SIGCHLD', reapWaiters);
    clearInterval(keepalive);
    keepalive = undefined;
  }
}
function waitForChild(pid: number): Promise<number> {
  return new Promise((resolve) => {
    if (waiters.size === 0) {
      process.on('SIGCHLD', reapWaiters);
      keepalive = setInterval(reapWaiters, 500);
    }
    waiters.set(pid, resolve);
    // The child may have exited before the handler was in place.
    reapWaiters();
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const XATTR_MAX = 65536;
/** The verifier's log of a refused program: ours are a few dozen instructions. */
const BPF_LOG_SIZE = 64 * 1024;
const O_CLOEXEC = 0o2000000;
const LOCK_NB = 4;

export const libcSys: Sys = {
  mount(source, target, fstype, flags, data) {
    check(libc.mount([source ?? '', target, fstype ?? '', flags, data ?? '']) as ErrnoResult<number>, 'mount', target);
  },
  umount2(target, flags) {
    check(libc.umount2([target, flags]) as ErrnoResult<number>, 'umount2', target);
  },
  unshare(flags) {
    check(libc.unshare([flags]) as ErrnoResult<number>, 'unshare');
  },
  setns(fd, nstype) {
    check(libc.setns([fd, nstype]) as ErrnoResult<number>, 'setns');
  },
  mknod(path, mode, major, minor) {
    const dev = libc.gnu_dev_makedev([major, minor]) as number;
    check(libc.mknod([path, mode, dev]) as ErrnoResult<number>, 'mknod', path);
  },
  lchown(path, uid, gid) {
    check(libc.lchown([path, uid, gid]) as ErrnoResult<number>, 'lchown', path);
  },
  lsetxattr(path, name, value, flags) {
    check(libc.lsetxattr([path, name, value, value.length, flags]) as ErrnoResult<number>, `lsetxattr ${name}`, path);
  },
  lgetxattr(path, name) {
    const buf = Buffer.alloc(XATTR_MAX);
    const r = libc.lgetxattr([path, name, buf, buf.length]) as ErrnoResult<number>;
    if (Number(r.value) < 0) {
      if (r.errnoCode === 61 /* ENODATA */) return null;
      throw new SysError(`lgetxattr ${name}`, r.errnoCode, path);
    }
    return Buffer.from(buf.subarray(0, Number(r.value)));
  },
  llistxattr(path) {
    const buf = Buffer.alloc(XATTR_MAX);
    const r = libc.llistxattr([path, buf, buf.length]) as ErrnoResult<number>;
    const n = Number(check(r, 'llistxattr', path));
    return buf.subarray(0, n).toString('utf8').split('\0').filter((s) => s.length > 0);
  },
  lremovexattr(path, name) {
    check(libc.lremovexattr([path, name]) as ErrnoResult<number>, `lremovexattr ${name}`, path);
  },
  flock(fd, op) {
    check(libc.flock([fd, op]) as ErrnoResult<number>, 'flock');
  },
  async flockWait(fd, op) {
    for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
      const r = libc.flock([fd, op | LOCK_NB]) as ErrnoResult<number>;
      if (Number(r.value) === 0) return;
      if (r.errnoCode !== 11 /* EWOULDBLOCK */) check(r, 'flock');
      await sleep(delay);
    }
  },
  kill(pid, signal) {
    check(libc.kill([pid, signal]) as ErrnoResult<number>, 'kill');
  },
  prctl(option, a2 = 0, a3 = 0, a4 = 0, a5 = 0) {
    return check(libc.prctl([option, a2, a3, a4, a5]) as ErrnoResult<number>, 'prctl');
  },
  statfs(path): StatFs {
    const out = Buffer.alloc(64);
    checkNeg(native.tsctr_statfs([path, out]) as number, 'statfs', path);
    const v = (i: number) => Number(out.readBigInt64LE(i * 8));
    return { type: v(0), bsize: v(1), blocks: v(2), bfree: v(3), bavail: v(4), files: v(5), ffree: v(6), flags: v(7) };
  },
  openpty(): Pty {
    return libcSys.openptyAt('/dev/ptmx');
  },
  openptyAt(ptmxPath): Pty {
    const out = Buffer.alloc(12);
    checkNeg(native.tsctr_openpty_at([ptmxPath, out]) as number, 'openpty', ptmxPath);
    return { master: out.readInt32LE(0), slave: out.readInt32LE(4), name: `/dev/pts/${out.readInt32LE(8)}` };
  },
  getWinsize(fd) {
    const out = Buffer.alloc(4);
    checkNeg(native.tsctr_get_winsize([fd, out]) as number, 'ioctl TIOCGWINSZ');
    return { rows: out.readUInt16LE(0), cols: out.readUInt16LE(2) };
  },
  setWinsize(fd, rows, cols) {
    checkNeg(native.tsctr_set_winsize([fd, rows, cols]) as number, 'ioctl TIOCSWINSZ');
  },
  setOutputProcessing(fd, on) {
    checkNeg(native.tsctr_set_opost([fd, on ? 1 : 0]) as number, 'tcsetattr');
  },
  pipe(cloexec = true) {
    const out = Buffer.alloc(8);
    checkNeg(native.tsctr_pipe([cloexec ? O_CLOEXEC : 0, out]) as number, 'pipe2');
    return [out.readInt32LE(0), out.readInt32LE(4)];
  },
  dup(fd) {
    const F_DUPFD_CLOEXEC = 1030;
    return check(libc.fcntl([fd, F_DUPFD_CLOEXEC, 0]) as ErrnoResult<number>, 'fcntl F_DUPFD_CLOEXEC');
  },
  setCloexec(fd, on) {
    checkNeg(native.tsctr_set_cloexec([fd, on ? 1 : 0]) as number, 'fcntl F_SETFD');
  },
  spawn(plan, cloneFlags, pidnsFd = -1): Spawned {
    const out = Buffer.alloc(16);
    const r = native.tsctr_spawn([plan, plan.length, cloneFlags, pidnsFd, out]) as number;
    // A plan the executor refuses is a bug in tsctr: say which op and why, not just EINVAL.
    if (r < 0 && (r === -22 || r === -71)) {
      const why = libcSys.validatePlan(plan);
      if (why) throw new SysError('launch plan', -r, why);
    }
    checkNeg(r, 'clone');
    return { pid: out.readInt32LE(0), pidfd: out.readInt32LE(4), syncFd: out.readInt32LE(8), reportFd: out.readInt32LE(12) };
  },
  async wait(pid): Promise<WaitStatus> {
    return decodeWaitStatus(checkNeg(await waitForChild(pid), 'waitpid'));
  },
  waitNoHang(pid) {
    const r = native.tsctr_wait([pid, 1]) as number;
    if (r === -11 /* EAGAIN: still running */) return null;
    return decodeWaitStatus(checkNeg(r, 'waitpid'));
  },
  buildId() {
    return native.tsctr_build_id([]) as string;
  },
  connectUnix(socketPath) {
    return checkNeg(native.tsctr_connect_unix([socketPath]) as number, 'connect', socketPath);
  },
  socketpair() {
    const out = Buffer.alloc(8);
    checkNeg(native.tsctr_socketpair([out]) as number, 'socketpair');
    return [out.readInt32LE(0), out.readInt32LE(4)];
  },
  recvFd(sock) {
    const name = Buffer.alloc(256);
    const fd = checkNeg(native.tsctr_recv_fd([sock, name, name.length]) as number, 'recvmsg');
    return { fd, name: name.subarray(0, name.indexOf(0)).toString('utf8') };
  },
  pidfdOpen(pid) {
    return checkNeg(native.tsctr_pidfd_open([pid]) as number, 'pidfd_open');
  },
  pidfdSendSignal(pidfd, signal) {
    checkNeg(native.tsctr_pidfd_send_signal([pidfd, signal]) as number, 'pidfd_send_signal');
  },
  close(fd) {
    closeSync(fd);
  },
  eventfd() {
    return checkNeg(native.tsctr_eventfd([]) as number, 'eventfd');
  },
  async pollReadable(fds, timeoutMs) {
    // One thread of ffi-rs's pool blocks in poll(2): only `events` waits this way, once.
    const [a = -1, b = -1, c = -1] = fds;
    return checkNeg(await (native.tsctr_poll3([a, b, c, timeoutMs]) as unknown as Promise<number>), 'poll');
  },
  bpfProgLoad(type, insns, license, name) {
    const log = Buffer.alloc(BPF_LOG_SIZE);
    const r = native.tsctr_bpf_prog_load([type, insns, insns.length / 8, license, name, log, log.length]) as number;
    if (r < 0) throw new BpfLoadError(-r, log.subarray(0, Math.max(0, log.indexOf(0))).toString('utf8').trim());
    return r;
  },
  bpfProgAttach(targetFd, progFd, attachType, flags) {
    checkNeg(native.tsctr_bpf_prog_attach([targetFd, progFd, attachType, flags]) as number, 'bpf BPF_PROG_ATTACH');
  },
  bpfProgDetach(targetFd, progFd, attachType) {
    checkNeg(native.tsctr_bpf_prog_detach([targetFd, progFd, attachType]) as number, 'bpf BPF_PROG_DETACH');
  },
  bpfProgQuery(targetFd, attachType) {
    // 64 as runc starts with; BPF_F_ALLOW_MULTI allows at most 64 programs per cgroup and type.
    const ids = Buffer.alloc(4 * 64);
    const n = checkNeg(native.tsctr_bpf_prog_query([targetFd, attachType, ids, 64]) as number, 'bpf BPF_PROG_QUERY');
    return Array.from({ length: n }, (_, i) => ids.readUInt32LE(i * 4));
  },
  bpfProgGetFdById(id) {
    return checkNeg(native.tsctr_bpf_prog_get_fd_by_id([id]) as number, 'bpf BPF_PROG_GET_FD_BY_ID');
  },
  validatePlan(plan) {
    const msg = Buffer.alloc(512);
    const r = native.tsctr_validate_plan([plan, plan.length, msg, msg.length]) as number;
    return r === 0 ? null : cString(msg);
  },
  openInRoot(root, path, opts = {}) {
    return checkNeg(native.tsctr_open_in_root([root, path, opts.walk ? 1 : 0]) as number, 'open (in root)', `${root}:${path}`);
  },
  shiftOwnership(root, uids, gids) {
    const maps = Buffer.alloc((uids.length + gids.length) * 12);
    [...uids, ...gids].forEach((m, i) => { maps.writeUInt32LE(m.containerID, i * 12); maps.writeUInt32LE(m.hostID, i * 12 + 4); maps.writeUInt32LE(m.size, i * 12 + 8); });
    const err = Buffer.alloc(4096);
    const r = Number(native.tsctr_shift_ownership([root, maps, uids.length, gids.length, err, err.length]));
    if (r < 0) throw new SysError('lchown (id shift)', -r, `${root}${cString(err)}`);
    return r;
  },
};

function cString(b: Buffer): string {
  const end = b.indexOf(0);
  return b.subarray(0, end < 0 ? b.length : end).toString('utf8');
}
