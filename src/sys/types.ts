// The system-call interface core modules take as a parameter. The real one
// (libc.ts) goes through ffi-rs; fake.ts records calls for unit tests.

export interface StatFs {
  type: number;
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
  flags: number;
}

export interface Pty {
  master: number;
  slave: number;
  /** The slave's path, e.g. /dev/pts/3. */
  name: string;
}

export interface Spawned {
  pid: number;
  pidfd: number;
  /** Write one byte to let the child run its plan; close it to abort. */
  syncFd: number;
  /** Step reports from the child; EOF after a successful execve. */
  reportFd: number;
}

export type WaitStatus =
  | { kind: 'exited'; code: number }
  | { kind: 'signaled'; signal: number; coreDumped: boolean };

export interface Sys {
  mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null): void;
  umount2(target: string, flags: number): void;
  unshare(flags: number): void;
  setns(fd: number, nstype: number): void;
  mknod(path: string, mode: number, major: number, minor: number): void;
  lchown(path: string, uid: number, gid: number): void;
  lsetxattr(path: string, name: string, value: Buffer, flags: number): void;
  /** null when the attribute does not exist (ENODATA). */
  lgetxattr(path: string, name: string): Buffer | null;
  llistxattr(path: string): string[];
  lremovexattr(path: string, name: string): void;
  /** Non-blocking when op includes LOCK.NB; throws SysError EWOULDBLOCK/EAGAIN then. */
  flock(fd: number, op: number): void;
  /** Blocking flock off the event loop. */
  flockWait(fd: number, op: number): Promise<void>;
  kill(pid: number, signal: number): void;
  statfs(path: string): StatFs;
  openpty(): Pty;
  /** A pty on the devpts instance behind ptmxPath; name is the slave's path inside that instance's mount (/dev/pts/N). */
  openptyAt(ptmxPath: string): Pty;
  getWinsize(fd: number): { rows: number; cols: number };
  setWinsize(fd: number, rows: number, cols: number): void;
  /** Output post-processing (OPOST) of a terminal on or off. */
  setOutputProcessing(fd: number, on: boolean): void;
  prctl(option: number, a2?: number, a3?: number, a4?: number, a5?: number): number;
  pipe(cloexec?: boolean): [number, number];
  /** dup(2) with FD_CLOEXEC set on the copy. */
  dup(fd: number): number;
  setCloexec(fd: number, on: boolean): void;
  /** clone() the child that runs the launch plan; see native/executor.c. */
  spawn(plan: Buffer, cloneFlags: number, pidnsFd?: number): Spawned;
  /** Wait for a child without blocking the event loop. */
  wait(pid: number): Promise<WaitStatus>;
  /** null when the child is still running. */
  waitNoHang(pid: number): WaitStatus | null;
  buildId(): string;
  /** A unix stream socket connected to socketPath (close-on-exec): runc's --console-socket, for the open_pty op. */
  connectUnix(socketPath: string): number;
  /** A unix stream socketpair, both ends close-on-exec. */
  socketpair(): [number, number];
  /** One fd passed with SCM_RIGHTS, and the message's text; non-blocking (EAGAIN when nothing is there yet). */
  recvFd(sock: number): { fd: number; name: string };
  /** pidfd_open(2): throws SysError ESRCH when there is no such process. */
  pidfdOpen(pid: number): number;
  /** pidfd_send_signal(2): throws SysError ESRCH once the process has exited. */
  pidfdSendSignal(pidfd: number, signal: number): void;
  close(fd: number): void;
  /** eventfd(2), close-on-exec (cgroup v1 OOM notification). */
  eventfd(): number;
  /** Resolves when one of up to three fds is readable or hung up: a bit mask by position (0 on timeout; timeoutMs -1 waits without limit). Off the event loop. */
  pollReadable(fds: number[], timeoutMs: number): Promise<number>;
  /** bpf(BPF_PROG_LOAD): the program's fd (the caller closes it); a refusal throws BpfLoadError with the verifier's log. */
  bpfProgLoad(type: number, insns: Buffer, license: string, name: string): number;
  bpfProgAttach(targetFd: number, progFd: number, attachType: number, flags: number): void;
  bpfProgDetach(targetFd: number, progFd: number, attachType: number): void;
  /** The ids of the programs attached to a cgroup (directory fd) for attachType. */
  bpfProgQuery(targetFd: number, attachType: number): number[];
  /** A fd for a loaded program by id (the caller closes it). */
  bpfProgGetFdById(id: number): number;
  /** The executor's own check of a launch plan: null when valid, else one line naming the op and what is wrong. */
  validatePlan(plan: Buffer): string | null;
  /**
   * Opens path inside root for reading, resolved as the container would see
   * it (native/resolve.c: openat2 RESOLVE_IN_ROOT, or the O_NOFOLLOW walk
   * with walk): an image's symlink never reaches a host file.
   */
  openInRoot(root: string, path: string, opts?: { walk?: boolean }): number;
  /** Shifts ownership below root (one filesystem) from container to host ids, never following a symlink. Returns the count changed. */
  shiftOwnership(root: string, uids: IdMap[], gids: IdMap[]): number;
}

/** One line of a uid/gid map (the OCI IdMapping shape). */
export interface IdMap { containerID: number; hostID: number; size: number }

export function decodeWaitStatus(status: number): WaitStatus {
  const sig = status & 0x7f;
  if (sig === 0) return { kind: 'exited', code: (status >> 8) & 0xff };
  return { kind: 'signaled', signal: sig, coreDumped: (status & 0x80) !== 0 };
}

/** Shell convention: the exit code, or 128 + signal. */
export function exitCodeOf(s: WaitStatus): number {
  return s.kind === 'exited' ? s.code : 128 + s.signal;
}
