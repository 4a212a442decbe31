// Launching a detached container through tsctr-monitor (native/monitor.c,
// whose header draws the protocol): the monitor spawns the container with
// the executor and outlives us to reap it and record its exit status.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SysError, decodeWaitStatus, type WaitStatus } from '../sys/index.js';
import { LaunchError, withOps, type StepReport } from '../oci/launcher.js';
import { decodeStepReports, encodePlan, PLAN_ABI, type PlanOp } from '../oci/launch-plan.js';

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

export interface DetachedOptions {
  cloneFlags: number;
  pidNamespacePath?: string;
  /** Where the monitor writes the container's raw wait status when it exits. */
  exitFile: string;
  io: MonitorIo;
  trace?: boolean;
  onStep?: (r: StepReport) => void;
  beforeStart: (pid: number) => void | Promise<void>;
  /** The events the monitor journals for this task (/tasks/oom, /tasks/exit). */
  events?: MonitorEvents;
}

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

/** In the monitor, the container's stdio fds arrive as 3, 4 and 5. */
export const MONITOR_STDIO = { stdin: 3, stdout: 4, stderr: 5 } as const;
/** With io mode 'tty': the plan's open_pty sends the master on this fd of the monitor's. */
export const MONITOR_CONSOLE_FD = 3;

/** Starts the container under a monitor; resolves once it has exec'd, with its pid and the monitor's. */
export async function launchDetached(ops: PlanOp[], o: DetachedOptions): Promise<{ pid: number; monitorPid: number }> {
  const plan = encodePlan(ops, { trace: o.trace });
  const pidns = Buffer.from(o.pidNamespacePath ?? '');
  const exit = Buffer.from(o.exitFile);
  const io = o.io;
  const log = Buffer.from(io.mode === 'pass' ? '' : io.logFile);
  const sock = Buffer.from(io.mode === 'pass' ? '' : io.socketPath);
  const head = Buffer.alloc(40);
  head.writeUInt32LE(MAGIC, 0);
  head.writeUInt32LE(plan.length, 4);
  head.writeBigInt64LE(BigInt(o.cloneFlags), 8);
  head.writeUInt32LE(pidns.length, 16);
  head.writeUInt32LE(exit.length, 20);
  head.writeUInt32LE(io.mode === 'pass' ? 0 : io.mode === 'pipes' ? 1 | (io.stdinOpen ? 0x100 : 0) : 2, 24);
  head.writeUInt32LE(log.length, 28);
  head.writeUInt32LE(sock.length, 32);
  head.writeUInt32LE(LOG_SEGMENT_KIB, 36);
  // setsid: the monitor and its container leave our session and terminal. Except in 'pass' mode, it makes fds 3-5 itself.
  const stdio = io.mode === 'pass' ? io.stdio : [];
  const m = spawn(monitorPath(), [], { detached: true, stdio: ['pipe', 'pipe', 'ignore', ...stdio] });
  const exited = new Promise<number | null>((r) => m.on('exit', (c) => r(c)));
  let buf = Buffer.alloc(0);
  let ended = false;
  let wake: (() => void) | undefined;
  m.stdout!.on('data', (d: Buffer) => { buf = Buffer.concat([buf, d]); wake?.(); });
  m.stdout!.on('end', () => { ended = true; wake?.(); });
  const need = async (n: number) => {
    while (buf.length < n && !ended) await new Promise<void>((r) => { wake = r; });
    wake = undefined;
    return buf.length >= n;
  };
  const events = encodeEventsBlock(o.events);
  const eventsLen = Buffer.alloc(4);
  eventsLen.writeUInt32LE(events.length);
  m.stdin!.write(Buffer.concat([head, plan, pidns, exit, log, sock, eventsLen, events]));
  if (!(await need(4))) throw new Error(`tsctr-monitor exited (${await exited}) before starting the container`);
  const pid = buf.readInt32LE(0);
  buf = buf.subarray(4);
  if (pid < 0) throw new SysError('clone', -pid);
  try {
    await o.beforeStart(pid);
  } catch (e) {
    m.stdin!.end(); // the monitor aborts the child and reaps it
    throw e;
  }
  m.stdin!.end('g');
  const steps: StepReport[] = [];
  while (await need(PLAN_ABI.reportSize)) {
    const { records, rest } = decodeStepReports(buf);
    buf = rest;
    for (const r of withOps(records, ops)) {
      steps.push(r);
      o.onStep?.(r);
    }
  }
  const failed = steps.find((s) => s.errno !== 0);
  if (failed) {
    await exited;
    throw new LaunchError(failed.step, failed.op, failed.errno);
  }
  m.unref();
  (m.stdout as unknown as { unref?: () => void }).unref?.();
  return { pid, monitorPid: m.pid! };
}

/** The exit status the monitor recorded, or undefined while the container runs. */
export function readExitFile(path: string): WaitStatus | undefined {
  try {
    return decodeWaitStatus(Number(readFileSync(path, 'utf8').trim()));
  } catch {
    return undefined;
  }
}

/** Where a detached task's log and attach socket live: its state directory. */
export function attachSocketPath(taskDir: string): string { return join(taskDir, 'attach.sock'); }

/**
 * What `run -d` (and `tasks start -d`) hand to createPlan and launchDetached
 * for a task kept by the monitor: with tty, the pty is opened in the container
 * and its master sent to the monitor (fd 3); without, the monitor holds pipes
 * (stdin a pipe only with stdinOpen, else /dev/null). Either way the output is
 * logged to <taskDir>/log (last 1-2 MiB) and served on <taskDir>/attach.sock.
 */
export function monitorIoFor(taskDir: string, o: { tty: boolean; stdinOpen?: boolean }): {
  plan: { stdio: 'pty'; consoleSocket: { fd: number } } | { stdio: typeof MONITOR_STDIO };
  io: MonitorIo;
  logFile: string;
  socketPath: string;
} {
  const logFile = join(taskDir, 'log');
  const socketPath = attachSocketPath(taskDir);
  if (o.tty) return { plan: { stdio: 'pty', consoleSocket: { fd: MONITOR_CONSOLE_FD } }, io: { mode: 'tty', logFile, socketPath }, logFile, socketPath };
  return { plan: { stdio: MONITOR_STDIO }, io: { mode: 'pipes', stdinOpen: !!o.stdinOpen, logFile, socketPath }, logFile, socketPath };
}
