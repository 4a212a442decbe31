// Drives a command through a real pty, as a person at a terminal would.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync } from 'node:fs';
import tty from 'node:tty';
import type { Sys } from '../../src/sys/index.js';

export class PtySession {
  output = '';
  readonly child: ChildProcess;
  private reader: tty.ReadStream;
  private writer: tty.WriteStream;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private readonly sys: Sys;
  private readonly master: number;
  private slave: number | undefined;

  constructor(sys: Sys, argv: string[], size = { rows: 30, cols: 100 }) {
    const pty = sys.openpty();
    this.sys = sys;
    this.master = pty.master;
    sys.setWinsize(pty.master, size.rows, size.cols);
    // detached: setsid(), so the pty can become the controlling terminal.
    this.child = spawn(argv[0]!, argv.slice(1), { stdio: [pty.slave, pty.slave, pty.slave], detached: true });
    // The slave stays open here until close(): when the last slave fd closes, Linux hangs the
    // pty up and a read of the master can fail with EIO before the child's last writes are read
    // (a shell's final `echo` was lost this way in CI). With ours open the master never sees EIO.
    this.slave = pty.slave;
    this.reader = new tty.ReadStream(pty.master);
    this.writer = new tty.WriteStream(sys.dup(pty.master));
    this.reader.on('data', (d: Buffer) => { this.output += d.toString('utf8'); });
    this.reader.on('error', () => {}); // EIO once the last slave fd closes
    // With our slave fd open the master never ends by itself: it must not keep the test
    // process alive after its last test (a session a test forgot to close() hung uvu).
    this.reader.unref();
    this.writer.unref();
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Resizes the terminal, as a window manager would, and tells the program (SIGWINCH). */
  resize(rows: number, cols: number, o: { group?: boolean } = {}): void {
    this.sys.setWinsize(this.master, rows, cols);
    // group: the whole process group (the child leads it: spawned detached), for a program run by a wrapper shell.
    if (o.group) process.kill(-this.child.pid!, 'SIGWINCH');
    else this.child.kill('SIGWINCH');
  }

  send(text: string): void {
    this.writer.write(text);
  }

  /** Waits until the output (after `from`) matches; returns the text from `from`. */
  async waitFor(re: RegExp, from = 0, timeoutMs = 15000): Promise<string> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      const tail = this.output.slice(from);
      if (re.test(tail)) return tail;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`timed out waiting for ${re} in:\n${this.output.slice(from)}`);
  }

  /** Runs a shell command in the session and returns what it printed. */
  async sh(cmd: string): Promise<string> {
    const from = this.output.length;
    // The marker is split in the typed text so the echo of the line does not match.
    this.send(`${cmd}; echo "__DO""NE__"\r`);
    const out = await this.waitFor(/__DONE__\r?\n/, from);
    const lines = out.split(/\r?\n/);
    // Drop the echoed command line and the marker.
    return lines.slice(1, lines.findIndex((l) => l.startsWith('__DONE__'))).join('\n');
  }

  close(): void {
    this.reader.destroy();
    this.writer.destroy();
    if (this.slave !== undefined) closeSync(this.slave);
    this.slave = undefined;
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}
