// `tasks attach`: the caller's terminal onto a detached task's terminal (or
// its output streams), through the monitor's attach socket (frames in
// attach-protocol.ts, drawn in native/monitor-clients.c). The terminal is put back
// on every way out: the task's exit, a detach, an error, a signal.
import { closeSync, openSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { basename, dirname } from 'node:path';
import { FailedPreconditionError, NotFoundError, UnavailableError } from '../errors.js';
import { exitCodeOf } from '../sys/types.js';
import type { Sys } from '../sys/index.js';
import { decodeWaitStatus } from '../sys/index.js';
import { DetachScanner, encodeResize, encodeStdin, FrameDecoder, ProtocolError, type MonitorFrame } from './attach-protocol.js';
import type { ContainerStore } from './store.js';
import type { Task } from './task.js';
import { describeTask, readTaskFacts } from './task-state.js';

export interface AttachOptions {
  store: ContainerStore;
  sys: Sys;
  id: string;
  detachKeys: Buffer;
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
  stderr?: NodeJS.WriteStream;
  /** Told once, when the detach keys were typed. */
  onDetach?: () => void;
}

/** Resolves to the task's exit code when it exits, 0 after a detach. */
export async function attachTask(o: AttachOptions): Promise<number> {
  const t = attachableTask(o.store, o.id);
  const sock = await connectTo(t.attachSocket!).catch((e: NodeJS.ErrnoException) => {
    // The task may have exited between our look and the connect.
    refuseStopped(o.store, o.id);
    throw new UnavailableError(`attach ${o.id}: connect "${t.attachSocket}": ${e.code ?? e.message}`, { hint: 'the task\'s monitor is gone; see tsctr tasks ls' });
  });
  const session = new Session(o, sock);
  try {
    const r = await session.done;
    if (r.exit !== undefined) return exitCodeOf(decodeWaitStatus(r.exit));
    if (r.detached) return 0;
    // The monitor closed without an exit frame: it was killed, or the exit raced our connect.
    const after = o.store.getTask(o.id);
    const facts = after && readTaskFacts(after);
    if (facts?.exit) return exitCodeOf(facts.exit);
    throw new UnavailableError(`attach ${o.id}: the monitor closed the connection${r.error ? ` (${r.error})` : ''}`, { hint: 'see tsctr tasks ls' });
  } finally {
    session.close();
  }
}

/** The task, if it is one we can attach to; else one clear error. */
function attachableTask(store: ContainerStore, id: string): Task {
  const t = store.getTask(id);
  if (!t) {
    store.get(id); // NotFound for a container that does not exist at all
    throw new NotFoundError(`container "${id}" has no task`, { hint: `start one with tsctr run -d -t IMAGE ${id}` });
  }
  // Stopped first: the monitor removes the socket when the task exits.
  refuseStopped(store, id);
  if (!t.attachSocket) throw new FailedPreconditionError(`task "${id}" has no attach socket: it was not started detached (run -d, tasks start -d)`, { hint: 'a foreground task is attached to the terminal that started it' });
  return t;
}

function refuseStopped(store: ContainerStore, id: string): void {
  const t = store.getTask(id);
  if (!t) throw new NotFoundError(`container "${id}" has no task`);
  const st = describeTask(readTaskFacts(t));
  if (st.status === 'STOPPED' || st.status === 'UNKNOWN') throw new FailedPreconditionError(`task "${id}" is ${st.text}: nothing to attach to`, { hint: `see its output with tsctr tasks logs ${id}; delete it with tsctr tasks rm ${id}` });
}

/** sun_path holds 108 bytes; a long state path is reached through /proc/self/fd/N of its directory. */
function connectTo(path: string): Promise<Socket> {
  let dirFd: number | undefined;
  let target = path;
  if (Buffer.byteLength(path) > 100) {
    dirFd = openSync(dirname(path), 'r');
    target = `/proc/self/fd/${dirFd}/${basename(path)}`;
  }
  return new Promise<Socket>((resolve, reject) => {
    const s = connect(target);
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  }).finally(() => { if (dirFd !== undefined) closeSync(dirFd); });
}

interface SessionEnd { exit?: number; detached?: boolean; error?: string }

class Session {
  readonly done: Promise<SessionEnd>;
  private finish!: (r: SessionEnd) => void;
  private readonly stdin: NodeJS.ReadStream;
  private readonly stdout: NodeJS.WriteStream;
  private readonly stderr: NodeJS.WriteStream;
  private readonly decoder = new FrameDecoder();
  private readonly scanner: DetachScanner;
  private raw = false;
  private reading = false;
  private ended = false;
  private readonly signals: Array<[NodeJS.Signals, () => void]> = [];

  constructor(private readonly o: AttachOptions, private readonly sock: Socket) {
    this.stdin = o.stdin ?? process.stdin;
    this.stdout = o.stdout ?? process.stdout;
    this.stderr = o.stderr ?? process.stderr;
    this.scanner = new DetachScanner(o.detachKeys);
    this.done = new Promise((r) => { this.finish = r; });
    sock.on('data', (d: Buffer) => {
      let frames: MonitorFrame[];
      try { frames = this.decoder.push(d); } catch (e) { this.end({ error: e instanceof ProtocolError ? `protocol: ${e.message}` : String(e) }); return; }
      for (const f of frames) this.onFrame(f);
    });
    sock.on('error', (e: NodeJS.ErrnoException) => this.end({ error: e.code ?? e.message }));
    sock.on('close', () => this.end({}));
    process.on('exit', this.restore);
    for (const sig of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const) {
      // A signal detaches (the task keeps running) and puts the terminal back.
      const h = () => { process.exitCode = 128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const)[sig]; this.end({ detached: true }); };
      this.signals.push([sig, h]);
      process.on(sig, h);
    }
  }

  private onFrame(f: MonitorFrame): void {
    if (this.ended) return;
    if (f.type === 'hello') this.start(f.tty, f.tty || f.stdinOpen);
    else if (f.type === 'stdout') this.stdout.write(f.data);
    else if (f.type === 'stderr') this.stderr.write(f.data);
    else if (f.type === 'exit') this.end({ exit: f.status });
  }

  private start(tty: boolean, input: boolean): void {
    if (tty && this.stdin.isTTY) {
      this.stdin.setRawMode(true);
      this.raw = true;
      // The task's pty already turned "\n" into "\r\n": ours passes bytes as they are.
      try { this.o.sys.setOutputProcessing((this.stdin as unknown as { fd?: number }).fd ?? 0, false); } catch { /* not ours to change */ }
    }
    if (tty) {
      this.resize();
      process.on('SIGWINCH', this.resize);
    }
    if (input) {
      this.reading = true;
      this.stdin.on('data', this.onInput);
      this.stdin.resume();
    }
  }

  private readonly onInput = (d: Buffer | string) => {
    const { forward, detach } = this.scanner.push(typeof d === 'string' ? Buffer.from(d) : d);
    if (forward.length) this.sock.write(encodeStdin(forward));
    if (detach) {
      this.o.onDetach?.();
      this.end({ detached: true });
    }
  };

  private readonly resize = () => {
    if (this.stdout.isTTY && this.stdout.rows && this.stdout.columns) this.sock.write(encodeResize(this.stdout.rows, this.stdout.columns));
  };

  private readonly restore = () => {
    if (!this.raw) return;
    this.raw = false;
    try { this.stdin.setRawMode(false); } catch { /* the terminal is gone */ }
  };

  private end(r: SessionEnd): void {
    if (this.ended) return;
    this.ended = true;
    this.restore();
    this.finish(r);
  }

  close(): void {
    this.end({});
    process.off('exit', this.restore);
    process.off('SIGWINCH', this.resize);
    for (const [sig, h] of this.signals) process.off(sig, h);
    if (this.reading) {
      this.stdin.off('data', this.onInput);
      this.stdin.pause();
      (this.stdin as unknown as { unref?: () => void }).unref?.();
    }
    this.sock.destroy();
  }
}
