// OOM kills of a foreground task's cgroup, seen as they happen (the monitor
// does the same for detached tasks in C: native/oom.c).
//   v1: an eventfd registered for memory.oom_control through
//       cgroup.event_control; a read of it waits in libuv's thread pool and
//       is woken by our own write when we stop.
//   v2: memory.events, watched with inotify (fs.watch).
// Either only wakes us: kills are counted from the oom_kill key (v1
// memory.oom_control since Linux 4.13, v2 memory.events), so memory.high
// events or the cgroup's removal do not count.
import { closeSync, existsSync, openSync, read, readFileSync, watch, writeFileSync, writeSync, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import type { Sys } from '../sys/index.js';
import type { OomSource } from './cgroup.js';

/** The oom_kill count of a flat-keyed file's text; undefined when absent or malformed. */
export function parseOomKill(text: string): number | undefined {
  const m = /^oom_kill (\d{1,18})$/m.exec(text);
  return m ? Number(m[1]) : undefined;
}

export function countFile(src: OomSource): string {
  return join(src.dir, src.kind === 'v1' ? 'memory.oom_control' : 'memory.events');
}

function readCount(path: string): number | undefined {
  try { return parseOomKill(readFileSync(path, 'utf8')); } catch { return undefined; }
}

export interface OomWatch {
  /** Reads the count now; calls onOom for new kills. */
  check(): void;
  /** Last check, then lets go of the fds. */
  stop(): void;
}

export function watchOom(src: OomSource, sys: Pick<Sys, 'eventfd'>, onOom: (kills: number) => void): OomWatch | undefined {
  const path = countFile(src);
  if (!existsSync(path)) return undefined;
  let seen = readCount(path) ?? 0;
  let stopped = false;
  const check = () => {
    const c = readCount(path);
    if (c === undefined || c <= seen) return;
    const n = c - seen;
    seen = c;
    onOom(n);
  };
  if (src.kind === 'v2') {
    const w: FSWatcher = watch(path, { persistent: false }, () => { if (!stopped) check(); });
    w.on('error', () => undefined);
    return { check, stop: () => { if (stopped) return; stopped = true; check(); w.close(); } };
  }
  const efd = sys.eventfd();
  let ofd: number | undefined;
  try {
    ofd = openSync(path, 'r');
    writeFileSync(join(src.dir, 'cgroup.event_control'), `${efd} ${ofd}`);
  } catch (e) {
    closeSync(efd);
    if (ofd !== undefined) closeSync(ofd);
    throw e;
  }
  const buf = Buffer.alloc(8);
  let reading = true;
  const close = () => { closeSync(efd); closeSync(ofd!); };
  const next = () => read(efd, buf, 0, 8, null, () => {
    if (stopped) { reading = false; close(); return; }
    check();
    next();
  });
  next();
  return {
    check,
    stop() {
      if (stopped) return;
      stopped = true;
      check();
      // Wake the read waiting in the thread pool; it closes the fds when it returns.
      if (reading) { const one = Buffer.alloc(8); one.writeBigUInt64LE(1n); writeSync(efd, one); } else close();
    },
  };
}
