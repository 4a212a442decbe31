// A recording stand-in for the real system calls, for unit tests: every call
// is appended to `calls`; `failOn` makes a call throw a SysError.
import { SysError, errnoOf } from './errors.js';
import type { IdMap, Pty, Spawned, StatFs, Sys, WaitStatus } from './types.js';

export interface RecordedCall {
  name: keyof Sys;
  args: unknown[];
}

export class FakeSys implements Sys {
  readonly calls: RecordedCall[] = [];
  /** name → errno name, e.g. { mount: 'EPERM' } */
  failOn: Partial<Record<keyof Sys, string>> = {};
  xattrs = new Map<string, Map<string, Buffer>>();
  statfsType = 0x794c7630;
  nextPid = 4242;

  private rec(name: keyof Sys, args: unknown[], path?: string): void {
    this.calls.push({ name, args });
    const e = this.failOn[name];
    if (e) throw new SysError(name, errnoOf(e), path);
  }

  mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null) { this.rec('mount', [source, target, fstype, flags, data], target); }
  umount2(target: string, flags: number) { this.rec('umount2', [target, flags], target); }
  unshare(flags: number) { this.rec('unshare', [flags]); }
  setns(fd: number, nstype: number) { this.rec('setns', [fd, nstype]); }
  mknod(path: string, mode: number, major: number, minor: number) { this.rec('mknod', [path, mode, major, minor], path); }
  lchown(path: string, uid: number, gid: number) { this.rec('lchown', [path, uid, gid], path); }
  lsetxattr(path: string, name: string, value: Buffer, flags: number) {
    this.rec('lsetxattr', [path, name, value, flags], path);
    if (!this.xattrs.has(path)) this.xattrs.set(path, new Map());
    this.xattrs.get(path)!.set(name, value);
  }
  lgetxattr(path: string, name: string) { this.rec('lgetxattr', [path, name], path); return this.xattrs.get(path)?.get(name) ?? null; }
  llistxattr(path: string) { this.rec('llistxattr', [path], path); return [...(this.xattrs.get(path)?.keys() ?? [])]; }
  lremovexattr(path: string, name: string) { this.rec('lremovexattr', [path, name], path); this.xattrs.get(path)?.delete(name); }
  flock(fd: number, op: number) { this.rec('flock', [fd, op]); }
  async flockWait(fd: number, op: number) { this.rec('flockWait', [fd, op]); }
  kill(pid: number, signal: number) { this.rec('kill', [pid, signal]); }
  statfs(path: string): StatFs { this.rec('statfs', [path], path); return { type: this.statfsType, bsize: 4096, blocks: 1000, bfree: 500, bavail: 500, files: 100, ffree: 50, flags: 0 }; }
  openpty(): Pty { this.rec('openpty', []); return { master: 100, slave: 101, name: '/dev/pts/9' }; }
  openptyAt(ptmxPath: string): Pty { this.rec('openptyAt', [ptmxPath]); return { master: 100, slave: 101, name: '/dev/pts/0' }; }
  getWinsize(fd: number) { this.rec('getWinsize', [fd]); return { rows: 24, cols: 80 }; }
  setWinsize(fd: number, rows: number, cols: number) { this.rec('setWinsize', [fd, rows, cols]); }
  setOutputProcessing(fd: number, on: boolean) { this.rec('setOutputProcessing', [fd, on]); }
  prctl(option: number, a2 = 0, a3 = 0, a4 = 0, a5 = 0) { this.rec('prctl', [option, a2, a3, a4, a5]); return 0; }
  pipe(cloexec = true): [number, number] { this.rec('pipe', [cloexec]); return [200, 201]; }
  dup(fd: number) { this.rec('dup', [fd]); return fd + 1000; }
  setCloexec(fd: number, on: boolean) { this.rec('setCloexec', [fd, on]); }
  spawn(plan: Buffer, cloneFlags: number, pidnsFd = -1): Spawned { this.rec('spawn', [plan, cloneFlags, pidnsFd]); return { pid: this.nextPid, pidfd: 300, syncFd: 301, reportFd: 302 }; }
  async wait(pid: number): Promise<WaitStatus> { this.rec('wait', [pid]); return { kind: 'exited', code: 0 }; }
  waitNoHang(pid: number): WaitStatus | null { this.rec('waitNoHang', [pid]); return null; }
  buildId() { return 'fake'; }
  connectUnix(socketPath: string) { this.rec('connectUnix', [socketPath], socketPath); return 212; }
  socketpair(): [number, number] { this.rec('socketpair', []); return [210, 211]; }
  recvFd(sock: number) { this.rec('recvFd', [sock]); return { fd: 220, name: '/dev/pts/0' }; }
  pidfdOpen(pid: number) { this.rec('pidfdOpen', [pid]); return 230; }
  pidfdSendSignal(pidfd: number, signal: number) { this.rec('pidfdSendSignal', [pidfd, signal]); }
  close(fd: number) { this.rec('close', [fd]); }
  eventfd() { this.rec('eventfd', []); return 240; }
  async pollReadable(fds: number[], timeoutMs: number) { this.rec('pollReadable', [fds, timeoutMs]); return 0; }
  /** Programs "attached" per target fd, by id; loads hand out ids from 100. */
  bpfAttached = new Map<number, number[]>();
  private nextBpf = 100;
  bpfProgLoad(type: number, insns: Buffer, license: string, name: string) { this.rec('bpfProgLoad', [type, insns, license, name]); return this.nextBpf++; }
  bpfProgAttach(targetFd: number, progFd: number, attachType: number, flags: number) {
    this.rec('bpfProgAttach', [targetFd, progFd, attachType, flags]);
    this.bpfAttached.set(targetFd, [...(this.bpfAttached.get(targetFd) ?? []), progFd]);
  }
  bpfProgDetach(targetFd: number, progFd: number, attachType: number) {
    this.rec('bpfProgDetach', [targetFd, progFd, attachType]);
    this.bpfAttached.set(targetFd, (this.bpfAttached.get(targetFd) ?? []).filter((p) => p !== progFd));
  }
  bpfProgQuery(targetFd: number, attachType: number) { this.rec('bpfProgQuery', [targetFd, attachType]); return [...(this.bpfAttached.get(targetFd) ?? [])]; }
  bpfProgGetFdById(id: number) { this.rec('bpfProgGetFdById', [id]); return id; }
  validatePlan(plan: Buffer) { this.rec('validatePlan', [plan]); return null; }
  openInRoot(root: string, path: string, opts: { walk?: boolean } = {}) { this.rec('openInRoot', [root, path, opts], path); return 240; }
  shiftOwnership(root: string, uids: IdMap[], gids: IdMap[]) { this.rec('shiftOwnership', [root, uids, gids], root); return 0; }
}
