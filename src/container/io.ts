// The container's standard streams. With a terminal: a pty whose slave is
// the container's 0-2 and /dev/console, the host terminal in raw mode
// (restored on every exit path), window size at start and on SIGWINCH.
// Without: the CLI's own fds 0-2 pass straight through, pipes included.
import { closeSync } from 'node:fs';
import tty from 'node:tty';
import type { Sys } from '../sys/index.js';

export interface ContainerIo {
  /** fds the child gets as 0, 1, 2. */
  stdio: [number, number, number];
  /** The pty slave path for /dev/console, with a terminal. */
  consolePath?: string;
  /** Call after the child has its copy: drops the parent's slave fd and starts copying. */
  started(): void;
  /** Resolves once the container's output has been drained (pty EOF/EIO). */
  drained(): Promise<void>;
  /** Restores the host terminal and closes fds. Safe to call twice. */
  close(): void;
}

export function passThroughIo(): ContainerIo {
  return { stdio: [0, 1, 2], started() {}, drained: () => Promise.resolve(), close() {} };
}

/** The host terminal's size, for a pty allocated in the container (undefined when stdout is not a terminal). */
export function hostTerminalSize(stdout: NodeJS.WriteStream = process.stdout): { rows: number; cols: number } | undefined {
  return stdout.isTTY && stdout.rows && stdout.columns ? { rows: stdout.rows, cols: stdout.columns } : undefined;
}

/**
 * A new pty on the host's devpts; or, with opts.master, the master of a pty
 * the container allocated itself (TSPL_OPEN_PTY) and sent us.
 */
export function ptyIo(sys: Sys, opts: { stdin?: NodeJS.ReadStream; stdout?: NodeJS.WriteStream; master?: { fd: number; name: string } } = {}): ContainerIo {
  const stdin = opts.stdin ?? process.stdin;
  const stdout = opts.stdout ?? process.stdout;
  const pty: { master: number; slave: number; name: string } = opts.master ? { master: opts.master.fd, slave: -1, name: opts.master.name } : sys.openpty();
  let closed = false;
  let rawSet = false;
  let reader: tty.ReadStream | undefined;
  let writer: tty.WriteStream | undefined;
  let done!: () => void;
  const drainedP = new Promise<void>((r) => { done = r; });
  const resize = () => {
    if (stdout.isTTY && stdout.rows && stdout.columns) {
      try { sys.setWinsize(pty.master, stdout.rows, stdout.columns); } catch { /* the pty may be gone */ }
    }
  };
  const restore = () => {
    if (rawSet && stdin.isTTY) { try { stdin.setRawMode(false); } catch { /* terminal gone */ } rawSet = false; }
  };
  resize();
  const onData = (d: Buffer) => writer?.write(d);
  const io: ContainerIo = {
    stdio: [pty.slave, pty.slave, pty.slave],
    consolePath: pty.name,
    started() {
      if (pty.slave >= 0) closeSync(pty.slave);
      // Separate fds for reading and writing: libuv refuses two handles on one fd.
      reader = new tty.ReadStream(pty.master);
      writer = new tty.WriteStream(sys.dup(pty.master));
      reader.on('data', (d: Buffer) => stdout.write(d));
      // EIO on the master means every slave fd is closed: the container is done writing.
      reader.on('error', () => done());
      reader.on('end', () => done());
      reader.on('close', () => done());
      if (stdin.isTTY) {
        stdin.setRawMode(true);
        rawSet = true;
        // The container's pty already turned "\n" into "\r\n": ours must pass bytes as they are.
        try { sys.setOutputProcessing((stdin as unknown as { fd: number }).fd ?? 0, false); } catch { /* not a terminal we may change */ }
      }
      process.on('exit', restore);
      process.on('SIGWINCH', resize);
      stdin.on('data', onData);
      stdin.resume();
    },
    drained: () => drainedP,
    close() {
      if (closed) return;
      closed = true;
      restore();
      process.off('SIGWINCH', resize);
      process.off('exit', restore);
      stdin.off('data', onData);
      stdin.pause();
      if (stdin !== process.stdin) stdin.destroy(); else if (typeof (stdin as { unref?: () => void }).unref === 'function') (stdin as unknown as { unref: () => void }).unref();
      reader?.destroy();
      writer?.destroy();
      if (!reader) { try { if (pty.slave >= 0) closeSync(pty.slave); } catch { /* closed */ } try { closeSync(pty.master); } catch { /* closed */ } }
      done();
    },
  };
  return io;
}
