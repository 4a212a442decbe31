// process.terminal: a pty whose master goes to --console-socket with
// SCM_RIGHTS (as runc sends it: the message is the pty's name) and whose
// slave becomes the container's 0-2 and /dev/console. The pty comes from the
// host's devpts (the exec area's in-container pty op will replace this).
import { closeSync } from 'node:fs';
import { InvalidArgumentError } from '../errors.js';
import type { Sys } from '../sys/index.js';

export interface Console {
  slave: number;
  /** The slave's path, bound onto /dev/console. */
  path: string;
  close(): void;
}

/** size: process.consoleSize, set on the pty before anyone reads it (runc sets it the same way). */
export async function openConsole(sys: Sys, socketPath: string | undefined, size?: { height: number; width: number }): Promise<Console> {
  if (!socketPath) throw new InvalidArgumentError('cannot allocate tty if runc will detach without setting console socket', { hint: 'pass --console-socket SOCK, or set process.terminal to false' });
  const pty = sys.openpty();
  try {
    if (size && size.height > 0 && size.width > 0) sys.setWinsize(pty.slave, size.height, size.width);
    sys.sendFd(socketPath, pty.name, pty.master);
  } catch (e) {
    closeSync(pty.master);
    closeSync(pty.slave);
    throw e;
  }
  closeSync(pty.master);
  return { slave: pty.slave, path: pty.name, close: () => closeSync(pty.slave) };
}
