import { constants } from 'node:os';

const errnoNames = new Map<number, string>();
for (const [name, num] of Object.entries(constants.errno)) {
  if (!errnoNames.has(num)) errnoNames.set(num, name);
}
// Node omits a few the kernel returns.
errnoNames.set(95, 'EOPNOTSUPP');
errnoNames.set(524, 'ENOTSUPP');

// strerror(3) texts for the errnos a container runtime meets most; the rest fall back to libuv's.
const MESSAGES: Record<string, string> = {
  EPERM: 'Operation not permitted', ENOENT: 'No such file or directory', ESRCH: 'No such process',
  EINTR: 'Interrupted system call', EIO: 'Input/output error', ENXIO: 'No such device or address',
  E2BIG: 'Argument list too long', ENOEXEC: 'Exec format error', EBADF: 'Bad file descriptor',
  ECHILD: 'No child processes', EAGAIN: 'Resource temporarily unavailable', ENOMEM: 'Cannot allocate memory',
  EACCES: 'Permission denied', EFAULT: 'Bad address', ENOTBLK: 'Block device required',
  EBUSY: 'Device or resource busy', EEXIST: 'File exists', EXDEV: 'Invalid cross-device link',
  ENODEV: 'No such device', ENOTDIR: 'Not a directory', EISDIR: 'Is a directory', EINVAL: 'Invalid argument',
  ENFILE: 'Too many open files in system', EMFILE: 'Too many open files', ENOTTY: 'Inappropriate ioctl for device',
  ETXTBSY: 'Text file busy', EFBIG: 'File too large', ENOSPC: 'No space left on device', ESPIPE: 'Illegal seek',
  EROFS: 'Read-only file system', EMLINK: 'Too many links', EPIPE: 'Broken pipe', ERANGE: 'Numerical result out of range',
  ENAMETOOLONG: 'File name too long', ENOSYS: 'Function not implemented', ENOTEMPTY: 'Directory not empty',
  ELOOP: 'Too many levels of symbolic links', ENODATA: 'No data available', EOPNOTSUPP: 'Operation not supported',
  EUSERS: 'Too many users', ECANCELED: 'Operation canceled', EPROTO: 'Protocol error', ENOTSUPP: 'Operation not supported',
};

export function errnoName(errno: number): string {
  return errnoNames.get(errno) ?? `E${errno}`;
}

export function errnoMessage(errno: number): string {
  return MESSAGES[errnoName(errno)] ?? `error ${errno}`;
}

/**
 * A failed system call. The message reads like crun's error sites:
 *   mount "/proc": EBUSY (Device or resource busy)
 */
export class SysError extends Error {
  readonly syscall: string;
  readonly code: string;
  readonly errno: number;
  readonly path?: string;
  constructor(syscall: string, errno: number, path?: string) {
    const code = errnoName(errno);
    super(`${syscall}${path !== undefined ? ` ${JSON.stringify(path)}` : ''}: ${code} (${errnoMessage(errno)})`);
    this.name = 'SysError';
    this.syscall = syscall;
    this.errno = errno;
    this.code = code;
    this.path = path;
  }
}

export function errnoOf(name: string): number {
  const n = (constants.errno as Record<string, number>)[name];
  if (n === undefined) throw new Error(`unknown errno ${name}`);
  return n;
}

/** BPF_PROG_LOAD refused: the verifier's log says why. */
export class BpfLoadError extends SysError {
  readonly log: string;
  constructor(errno: number, log: string) {
    super('bpf BPF_PROG_LOAD', errno);
    this.log = log;
  }
}
