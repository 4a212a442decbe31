// The events journal of one --root: <root>/events/journal, one JSON line per
// event (see topics.ts), appended by every command that changes state and by
// tsctr-monitor (native/journal.c writes the same format).
//
// Concurrent writers: each event is one write(2) of one whole line on an
// O_APPEND fd. The kernel positions and copies an O_APPEND write under the
// inode lock, so lines never interleave; we keep every line under
// MAX_LINE_BYTES (4096, PIPE_BUF) so that this holds on any local filesystem.
//
// Bounded: once the journal is over its limit (LIMIT_BYTES, 4 MiB; env
// TSCTR_JOURNAL_LIMIT), the writer that noticed renames it to journal.1,
// replacing the previous generation, so at most 2 × limit (+ one line each)
// is kept. Writers hold a shared flock on journal.lock from open to close;
// the rotation holds it exclusively. So once a follower sees that `journal`
// is a new file, nothing more can land in the old one: it reads the old fd
// to its end, then moves on (follow.ts).
import { closeSync, fstatSync, mkdirSync, openSync, renameSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { LOCK } from '../../sys/constants.js';
import type { Sys } from '../../sys/index.js';
import { nowRfc3339Nano } from './time.js';
import type { Envelope, Payloads, Topic } from './topics.js';

export const MAX_LINE_BYTES = 4096;
export const LIMIT_BYTES = 4 << 20;
const MIN_LIMIT = 4096;

export function eventsDir(root: string): string { return join(root, 'events'); }
export function journalPath(root: string): string { return join(eventsDir(root), 'journal'); }
export function previousPath(root: string): string { return join(eventsDir(root), 'journal.1'); }
export function lockPath(root: string): string { return join(eventsDir(root), 'journal.lock'); }

/** The rotation limit: TSCTR_JOURNAL_LIMIT bytes (at least 4096), else 4 MiB. */
export function journalLimit(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.TSCTR_JOURNAL_LIMIT);
  return Number.isSafeInteger(n) && n >= MIN_LIMIT ? n : LIMIT_BYTES;
}

/**
 * One line, newline included, at most MAX_LINE_BYTES: string fields of an
 * oversized payload are cut to 256 characters (marked "truncated": true),
 * and if that is not enough only the ids are kept.
 */
export function encodeEvent(e: Envelope): Buffer {
  let line = Buffer.from(JSON.stringify(e) + '\n');
  if (line.length <= MAX_LINE_BYTES) return line;
  const cut: Record<string, unknown> = { truncated: true };
  for (const [k, v] of Object.entries(e.event)) cut[k] = typeof v === 'string' ? v.slice(0, 256) : typeof v === 'object' ? undefined : v;
  line = Buffer.from(JSON.stringify({ ...e, event: cut }) + '\n');
  if (line.length <= MAX_LINE_BYTES) return line;
  const ids: Record<string, unknown> = { truncated: true };
  for (const k of ['id', 'container_id', 'name', 'key', 'digest']) if (typeof e.event[k] === 'string') ids[k] = (e.event[k] as string).slice(0, 256);
  return Buffer.from(JSON.stringify({ ...e, namespace: e.namespace.slice(0, 80), topic: e.topic.slice(0, 64), event: ids }) + '\n');
}

export interface AppendOptions {
  sys: Pick<Sys, 'flock'>;
  limit?: number;
  /** For tests: a fixed time. */
  timestamp?: string;
}

/** Appends one event; rotates the journal when this write took it over the limit. Throws on I/O errors. */
export function appendToJournal<T extends Topic>(root: string, namespace: string, topic: T, payload: Payloads[T], o: AppendOptions): void {
  const line = encodeEvent({ timestamp: o.timestamp ?? nowRfc3339Nano(), namespace, topic, event: payload as unknown as Record<string, unknown> });
  appendLine(root, line, o.sys, o.limit ?? journalLimit());
}

export function appendLine(root: string, line: Buffer, sys: Pick<Sys, 'flock'>, limit: number): void {
  mkdirSync(eventsDir(root), { recursive: true, mode: 0o755 });
  const lock = openSync(lockPath(root), 'a', 0o644);
  try {
    sys.flock(lock, LOCK.SH);
    let size: number;
    const fd = openSync(journalPath(root), 'a', 0o644);
    try {
      const n = writeSync(fd, line);
      if (n !== line.length) throw new Error(`short write (${n} of ${line.length} bytes)`);
      size = fstatSync(fd).size;
    } finally {
      closeSync(fd);
    }
    sys.flock(lock, LOCK.UN);
    if (size > limit) rotate(root, lock, sys, limit);
  } finally {
    closeSync(lock);
  }
}

/** Under the exclusive lock, and only if still over the limit (another writer may have rotated first). */
function rotate(root: string, lock: number, sys: Pick<Sys, 'flock'>, limit: number): void {
  sys.flock(lock, LOCK.EX);
  try {
    let size = 0;
    try { size = statSync(journalPath(root)).size; } catch { return; }
    if (size > limit) renameSync(journalPath(root), previousPath(root));
  } finally {
    sys.flock(lock, LOCK.UN);
  }
}
