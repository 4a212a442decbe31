// process.terminal with runc's --console-socket (create, run, exec): the pty
// is allocated INSIDE the container by the open_pty op (native/console.c:
// ptmx must be c 5:2, slave by TIOCGPTPEER, process.consoleSize applied) and
// its master sent over this socket with SCM_RIGHTS, one fd, the message
// "/dev/ptmx" as runc sends it (the master's name; go-runc ignores it).
// We connect here, before clone(), so a bad path fails before anything is
// created; the child inherits the connected socket.
import { InvalidArgumentError } from '../errors.js';
import type { Sys } from '../sys/index.js';
import type { ConsoleSocket } from './plan/process.js';
import type { Process } from './spec/index.js';

export const CONSOLE_MESSAGE = '/dev/ptmx';

/** runc's checkTerminal, in its words; detach is true for create. tsctr-runc also lets a foreground run/exec use a socket. */
export function checkConsoleFlags(p: Pick<Process, 'terminal'>, consoleSocket: string | undefined, detach: boolean, what: string): void {
  if (p.terminal && !consoleSocket && detach) throw new InvalidArgumentError('cannot allocate tty if runc will detach without setting console socket', { hint: 'pass --console-socket SOCK, or set process.terminal to false' });
  if (p.terminal && !consoleSocket) throw new InvalidArgumentError(`${what} with a terminal needs --console-socket in tsctr-runc (it does not relay a terminal itself)`, { hint: 'pass --console-socket SOCK (as containerd does), or set process.terminal to false' });
  if (!p.terminal && consoleSocket) throw new InvalidArgumentError('cannot use console socket if runc will not detach or allocate tty', { hint: 'set process.terminal (exec: --tty), or drop --console-socket' });
}

/** Connects to the receiver; the caller closes the fd once the child has been launched. */
export function connectConsoleSocket(sys: Sys, path: string, p: Pick<Process, 'consoleSize'>): Omit<ConsoleSocket, 'uid'> {
  let fd: number;
  try {
    fd = sys.connectUnix(path);
  } catch (e) {
    const code = (e as { code?: string }).code;
    const hint = code === 'ENOENT' ? 'nothing listens there: start the receiver first'
      : code === 'ECONNREFUSED' ? 'the path is not a listening unix socket'
        : undefined;
    throw new InvalidArgumentError(`--console-socket ${JSON.stringify(path)}: ${(e as Error).message}`, { cause: e, hint });
  }
  return { fd, rows: p.consoleSize?.height, cols: p.consoleSize?.width, message: CONSOLE_MESSAGE };
}
