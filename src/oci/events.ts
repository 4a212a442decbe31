// `events`: a container's cgroup statistics and OOM kills as runc's JSON
// events (runc events.go, types/events.go), one object a line:
//   {"type":"stats","id":ID,"data":{cpu,cpuset,memory,pids,blkio,hugetlb,intel_rdt,network_interfaces}}
//   {"type":"oom","id":ID}
//
// Following a container waits on fds, never on a timer (the stats interval
// is the only clock):
//
//   pidfd of its process ───────┐
//   v1: eventfd registered on    ├─ poll(2), off the event loop ─→ exit 0 / "oom" / stop
//       memory.oom_control       │
//   wake pipe (SIGINT/SIGTERM) ──┘
//   v2: inotify (fs.watch) on memory.events; "oom_kill" grew → "oom"
import { closeSync, openSync, readSync, watch, writeFileSync, writeSync, type FSWatcher } from 'node:fs';
import { posix } from 'node:path';
import { FailedPreconditionError } from '../errors.js';
import { readStats, type RuncStats, type StatsSource } from './cgroups/index.js';
import { hasCgroupFile, tryReadCgroupFile } from './cgroups/files.js';
import { parseKeyed } from './cgroups/stats.js';
import { cgroupOf, stateOf, type Runtime } from './lifecycle.js';
import { isAlive } from './state.js';

export interface RuncEvent {
  type: 'stats' | 'oom';
  id: string;
  data?: RuncStats;
}

/** The container's cgroup, refusing a stopped container as runc words it. */
function openRunning(rt: Runtime, id: string) {
  const { record, status } = stateOf(rt, id);
  if (status === 'stopped') throw new FailedPreconditionError(`container with id ${id} is not running`);
  return { record, src: cgroupOf(record).statsSource() };
}

/** One stats event (`events --stats`). */
export function statsEvent(rt: Runtime, id: string): RuncEvent {
  return { type: 'stats', id, data: readStats(openRunning(rt, id).src) };
}

export interface FollowOptions {
  intervalMs: number;
  emit: (e: RuncEvent) => void;
  /** A stats read that failed (the cgroup vanished meanwhile): reported, the follow goes on, as runc logs it. */
  onError: (e: unknown) => void;
}

export interface Follow {
  /** Resolves when the container has stopped or stop() was called. */
  done: Promise<void>;
  stop(): void;
}

/** Stats every interval and an event per OOM kill, until the container's process exits. */
export function followEvents(rt: Runtime, id: string, o: FollowOptions): Follow {
  const { record, src } = openRunning(rt, id);
  const { sys } = rt;
  const pidfd = sys.pidfdOpen(record.pid);
  const [wakeR, wakeW] = sys.pipe();
  const opened: number[] = [pidfd, wakeR, wakeW];
  let oom: OomWatch | undefined;
  let ticker: NodeJS.Timeout | undefined;
  const cleanup = () => {
    clearInterval(ticker);
    oom?.close();
    for (const fd of opened) { try { closeSync(fd); } catch { /* closed */ } }
  };
  try {
    oom = watchOom(rt, src, () => o.emit({ type: 'oom', id }));
  } catch (e) {
    cleanup();
    throw e;
  }
  ticker = setInterval(() => {
    try { o.emit({ type: 'stats', id, data: readStats(src) }); } catch (e) { o.onError(e); }
  }, o.intervalMs);
  const done = (async () => {
    try {
      // The pid could have exited (and been reused) before pidfd_open: the start time says.
      if (!isAlive(record)) return;
      for (;;) {
        const mask = await sys.pollReadable([pidfd, oom.fd ?? -1, wakeR], -1);
        if (mask & 2) oom.fired();
        if (mask & 1) { oom.final(); return; }
        if (mask & 4) return;
      }
    } finally {
      cleanup();
    }
  })();
  return { done, stop: () => { try { writeSync(wakeW, 'x'); } catch { /* already done */ } } };
}

interface OomWatch {
  /** An fd for the poll (v1's eventfd), if the watch has one. */
  fd?: number;
  /** The fd fired: consume it and report. */
  fired(): void;
  /** At exit: report kills recorded but not yet seen (v2's inotify event may trail the exit). */
  final(): void;
  close(): void;
}

/**
 * v1 (a memory hierarchy): an eventfd registered with cgroup.event_control
 * against memory.oom_control (cgroup-v1/memory.rst "OOM control"); it
 * fires on each OOM in the cgroup. Otherwise v2's memory.events, watched.
 */
function watchOom(rt: Runtime, src: StatsSource, onOom: () => void): OomWatch {
  const memV1 = src.v1.get('memory');
  if (memV1) {
    const efd = rt.sys.eventfd();
    let ofd: number | undefined;
    try {
      ofd = openSync(posix.join(memV1, 'memory.oom_control'), 'r');
      writeFileSync(posix.join(memV1, 'cgroup.event_control'), `${efd} ${ofd}`);
    } catch (e) {
      closeSync(efd);
      if (ofd !== undefined) closeSync(ofd);
      throw e;
    }
    const counter = Buffer.alloc(8);
    return {
      fd: efd,
      fired() {
        try { readSync(efd, counter, 0, 8, null); } catch { return; }
        // The kernel also signals when the cgroup is removed (runc checks cgroup.event_control is still there).
        if (hasCgroupFile(memV1, 'cgroup.event_control')) onOom();
      },
      final() {},
      close() { closeSync(efd); closeSync(ofd!); },
    };
  }
  if (src.unified && hasCgroupFile(src.unified, 'memory.events')) return watchMemoryEvents(src.unified, onOom);
  return { fired() {}, final() {}, close() {} };
}

/** cgroup v2: inotify on memory.events (the kernel notifies a modify when a counter changes); one "oom" per oom_kill counted. */
export function watchMemoryEvents(dir: string, onOom: () => void): OomWatch {
  const kills = () => parseKeyed(tryReadCgroupFile(dir, 'memory.events')).get('oom_kill') ?? 0n;
  let seen = kills();
  const check = () => {
    const now = kills();
    for (; seen < now; seen++) onOom();
  };
  const w: FSWatcher = watch(posix.join(dir, 'memory.events'), { persistent: false }, check);
  w.on('error', () => undefined);
  return { fired() {}, final: check, close: () => w.close() };
}
