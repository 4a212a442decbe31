// The monitor as the container's parent (the core's Parent, oci/parent.ts):
// `run -d` and `tasks start -d`. The core compiles and encodes the plan as
// for any container; tsctr-monitor (native/monitor.c, whose header draws the
// exchange) clones the child from it, relays the child's step reports
// unchanged, stays its parent after we exit, reaps it and writes the exit
// status into the core's state directory (<state>/<id>/exit).
//
// Our ends of the monitor's stdin and stdout are plain pipes, so the core's
// launch() reads and writes them exactly as it does the executor's own sync
// and report pipes. fds the plan refers to (stdio, the exec fifo) are passed
// to the monitor at fixed slots 3, 4, …: the child inherits them from it.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, readSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SysError, type Sys } from '../sys/index.js';
import type { Parent, SpawnRequest, SpawnedChild } from '../oci/parent.js';

const MAGIC = 0x4e4d5354;

export function monitorPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  // dist/src/container/ (or the bundle's stand-in for it): the repository is three levels up.
  const p = join(here, '../../..', 'native/build/tsctr-monitor');
  if (existsSync(p)) return p;
  throw new Error('native/build/tsctr-monitor is missing: run `npm run build:native`');
}

/** How the monitor keeps the container's stdio (native/monitor-io.h). */
export type MonitorIo =
  /** fds in *our* process that become the container's 0, 1, 2 (the plan refers to them as 3, 4, 5). */
  | { mode: 'pass'; stdio: [number, number, number] }
  /** The monitor holds stdout/stderr pipes (and stdin's, when stdinOpen), logs them and serves them on socketPath. */
  | { mode: 'pipes'; stdinOpen: boolean; logFile: string; socketPath: string }
  /** The plan's open_pty sends the master on fd 3 to the monitor, which logs and serves the terminal. */
  | { mode: 'tty'; logFile: string; socketPath: string };

/** Bytes per log segment: "log" is renamed to "log.1" when it reaches this, so the last 1 to 2 MiB are kept. */
export const LOG_SEGMENT_KIB = 1024;

/** In the monitor, the container's stdio fds are 3, 4 and 5. */
export const MONITOR_STDIO = { stdin: 3, stdout: 4, stderr: 5 } as const;
/** With io mode 'tty': the plan's open_pty sends the master on this fd of the monitor's. */
export const MONITOR_CONSOLE_FD = 3;
/** The first fd of the monitor's that carries one of ours (the exec fifo): after the stdio slots. */
const FIRST_SLOT = 6;

export interface MonitorEvents {
  /** <root>/events */
  dir: string;
  limit: number;
  namespace: string;
  id: string;
  /** The memory cgroup to watch for OOM kills. */
  oom?: { kind: 'v1' | 'v2'; dir: string };
  /** Where the monitor writes the number of OOM kills it saw. */
  oomFile?: string;
}

/** The request's events block: NUL-terminated key=value strings (native/monitor-events.c). */
export function encodeEventsBlock(e: MonitorEvents | undefined): Buffer {
  if (!e) return Buffer.alloc(0);
  const kv: [string, string][] = [['dir', e.dir], ['limit', String(e.limit)], ['ns', e.namespace], ['id', e.id]];
  if (e.oom) kv.push(['oom', e.oom.kind], ['oom_dir', e.oom.dir]);
  if (e.oomFile) kv.push(['oom_file', e.oomFile]);
  for (const [k, v] of kv) if (v.includes('\0') || Buffer.byteLength(v) > 4095) throw new Error(`monitor request: ${k} is too long or holds a NUL byte`);
  const block = Buffer.from(kv.map(([k, v]) => `${k}=${v}\0`).join(''));
  if (block.length > 16384) throw new Error('monitor request: events block over 16 KiB');
  return block;
}

/** The request the monitor reads on stdin (native/monitor.c): header, plan, pid-namespace path, exit-file path, log path, socket path, the events block (u32 length first). */
export function encodeMonitorRequest(plan: Buffer, cloneFlags: number, pidnsPath: string, exitFile: string, io: MonitorIo, events?: MonitorEvents): Buffer {
  const pidns = Buffer.from(pidnsPath);
  const exit = Buffer.from(exitFile);
  const log = Buffer.from(io.mode === 'pass' ? '' : io.logFile);
  const sock = Buffer.from(io.mode === 'pass' ? '' : io.socketPath);
  const head = Buffer.alloc(40);
  head.writeUInt32LE(MAGIC, 0);
  head.writeUInt32LE(plan.length, 4);
  head.writeBigInt64LE(BigInt(cloneFlags), 8);
  head.writeUInt32LE(pidns.length, 16);
  head.writeUInt32LE(exit.length, 20);
  head.writeUInt32LE(io.mode === 'pass' ? 0 : io.mode === 'pipes' ? 1 | (io.stdinOpen ? 0x100 : 0) : 2, 24);
  head.writeUInt32LE(log.length, 28);
  head.writeUInt32LE(sock.length, 32);
  head.writeUInt32LE(LOG_SEGMENT_KIB, 36);
  const ev = encodeEventsBlock(events);
  const evLen = Buffer.alloc(4);
  evLen.writeUInt32LE(ev.length);
  return Buffer.concat([head, plan, pidns, exit, log, sock, evLen, ev]);
}

function writeAll(fd: number, b: Buffer): void {
  for (let off = 0; off < b.length;) off += writeSync(fd, b, off);
}

function readExactly(fd: number, n: number): Buffer | undefined {
  const b = Buffer.alloc(n);
  let off = 0;
  while (off < n) {
    let r: number;
    try {
      r = readSync(fd, b, off, n - off, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN' || (e as NodeJS.ErrnoException).code === 'EINTR') continue;
      throw e;
    }
    if (r === 0) return undefined;
    off += r;
  }
  return b;
}

/**
 * A parent that is tsctr-monitor; the container outlives us under it. io:
 * how the monitor keeps the container's stdio (it decides the plan's stdio:
 * childStdio). Our fds the plan names go to the monitor at 6, 7, …
 * events: what the monitor journals for the task (/tasks/oom, /tasks/exit).
 */
export function monitorParent(sys: Sys, io: MonitorIo, events?: MonitorEvents): Parent & { monitorPid(): number | undefined } {
  const slots: number[] = [];
  let monitorPid: number | undefined;
  const childStdio = io.mode === 'tty'
    ? { stdio: 'pty' as const, consoleSocket: { fd: MONITOR_CONSOLE_FD } }
    : { stdio: MONITOR_STDIO };
  return {
    kind: 'monitor' as const,
    get pid() { return monitorPid ?? 0; },
    monitorPid: () => monitorPid,
    childStdio,
    fd(ours: number): number {
      const i = slots.indexOf(ours);
      if (i >= 0) return FIRST_SLOT + i;
      slots.push(ours);
      return FIRST_SLOT + slots.length - 1;
    },
    adjust: (ops) => ops,
    async spawn(plan: Buffer, req: SpawnRequest): Promise<SpawnedChild> {
      const [inR, inW] = sys.pipe(true);
      const [outR, outW] = sys.pipe(true);
      // 3-5: the stdio we pass, or (pipes, tty) left free for the monitor to make itself.
      const stdio3to5 = io.mode === 'pass' ? io.stdio : ['ignore', 'ignore', 'ignore'] as const;
      let m;
      try {
        // setsid: the monitor and its container leave our session and terminal.
        m = spawn(monitorPath(), [], { detached: true, stdio: [inR, outW, 'ignore', ...stdio3to5, ...slots] });
      } finally {
        closeSync(inR);
        closeSync(outW);
      }
      const exited = new Promise<void>((r) => { if (m.exitCode !== null) r(); else m.once('exit', () => r()); });
      m.unref();
      monitorPid = m.pid;
      const fail = (e: Error) => { closeSync(inW); closeSync(outR); return e; };
      try {
        writeAll(inW, encodeMonitorRequest(plan, req.cloneFlags, req.pidnsPath ?? '', req.exitFile, io, events));
      } catch (e) {
        throw fail(new Error(`tsctr-monitor did not take the request: ${(e as Error).message}`));
      }
      const head = readExactly(outR, 4);
      if (!head) throw fail(new Error('tsctr-monitor exited before starting the container'));
      const pid = head.readInt32LE(0);
      if (pid < 0) throw fail(new SysError('clone', -pid));
      let pidfd: number;
      try {
        pidfd = sys.pidfdOpen(pid);
      } catch (e) {
        throw fail(e as Error);
      }
      // EOF on its stdin (launch() closes syncFd) makes the monitor abort the child and reap it.
      // unref'd so a detached start does not wait for it; a failed one waits for it to reap the child.
      return { pid, pidfd, syncFd: inW, reportFd: outR, syncPoints: false, reap: () => { m.ref(); return exited; } };
    },
  };
}

/** Where a detached task's log and attach socket live: its bundle directory. */
export function attachSocketPath(taskDir: string): string { return join(taskDir, 'attach.sock'); }

/**
 * How `run -d` and `tasks start -d` keep a task's stdio under the monitor:
 * with tty, the pty is opened in the container and its master sent to the
 * monitor (fd 3); without, the monitor holds pipes (stdin a pipe only with
 * stdinOpen, else /dev/null). Either way the output is logged to
 * <taskDir>/log (last 1-2 MiB) and served on <taskDir>/attach.sock.
 */
export function monitorIoFor(taskDir: string, o: { tty: boolean; stdinOpen?: boolean }): { io: MonitorIo; logFile: string; socketPath: string } {
  const logFile = join(taskDir, 'log');
  const socketPath = attachSocketPath(taskDir);
  if (o.tty) return { io: { mode: 'tty', logFile, socketPath }, logFile, socketPath };
  return { io: { mode: 'pipes', stdinOpen: !!o.stdinOpen, logFile, socketPath }, logFile, socketPath };
}
