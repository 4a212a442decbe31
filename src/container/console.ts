// The terminal of `run -t` and `tasks exec -t`: the container allocates it
// itself (the open_pty op, after its root is the container's) and sends the
// master back over a socketpair; we copy between it and our terminal.
import { closeSync } from 'node:fs';
import type { Sys } from '../sys/index.js';
import type { Launched } from '../oci/launcher.js';
import type { ConsoleSocket } from '../oci/plan/process.js';
import { hostTerminalSize, ptyIo, type ContainerIo } from './io.js';
import type { Teardown } from './teardown.js';

export interface ConsoleChannel {
  /** For the plan (createPlan/createExecPlan opts.consoleSocket): the child's end and our terminal's size. */
  socket: Omit<ConsoleSocket, 'uid'>;
  /** After launch: takes the master the child sent and returns the terminal to supervise with. */
  receive(launched: Pick<Launched, 'pid' | 'pidfd'>): Promise<ContainerIo>;
}

export function openConsoleChannel(sys: Sys, td: Teardown): ConsoleChannel {
  const [ours, theirs] = sys.socketpair();
  // Each end closed once: a number closed twice may by then be the master's.
  const open = new Set([ours, theirs]);
  const close = (fd: number) => { if (open.delete(fd)) { try { closeSync(fd); } catch { /* closed */ } } };
  td.push('close console socket', () => { close(ours); close(theirs); });
  return {
    socket: { fd: theirs, ...hostTerminalSize() },
    async receive(launched) {
      close(theirs);
      let master;
      try {
        master = sys.recvFd(ours);
      } catch (e) {
        // It exec'd, so the master was sent; should it be missing, do not leave the process behind.
        try { sys.pidfdSendSignal(launched.pidfd, 9); } catch { /* gone */ }
        await sys.wait(launched.pid).catch(() => undefined);
        try { closeSync(launched.pidfd); } catch { /* closed */ }
        throw e;
      } finally {
        close(ours);
      }
      const io = ptyIo(sys, { master });
      td.push('close terminal', () => io.close());
      return io;
    },
  };
}
