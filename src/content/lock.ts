// File locks shared by concurrent tsctr processes. flock(2) locks belong to
// the open file description, so two opens in one process also exclude each
// other, and the kernel drops them when a process dies (SIGKILL included):
// no stale lock files to clean up by hand.
import { closeSync, fstatSync, mkdirSync, openSync, statSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { loadSys, type Sys } from '../sys/index.js';
import { LOCK } from '../sys/constants.js';

export interface Lock {
  readonly path: string;
  /** Release the lock; with `remove`, unlink the lock file first (while still holding it). */
  release(remove?: boolean): void;
}

export type SysProvider = () => Promise<Pick<Sys, 'flock' | 'flockWait'>>;
export const defaultSys: SysProvider = loadSys;

/**
 * Take a lock on `path` (created when missing). Waits unless `tryOnly`, then
 * returns undefined when the lock is busy. After locking, the file's inode is
 * compared with the path's: a holder may have unlinked the file before we got
 * the lock, and a lock on an unlinked inode excludes nobody.
 */
export async function acquireLock(path: string, opts: { shared?: boolean; tryOnly?: boolean; sys?: SysProvider } = {}): Promise<Lock | undefined> {
  const sys = await (opts.sys ?? defaultSys)();
  const op = opts.shared ? LOCK.SH : LOCK.EX;
  mkdirSync(dirname(path), { recursive: true });
  for (;;) {
    const fd = openSync(path, 'a', 0o600);
    if (opts.tryOnly) {
      try {
        sys.flock(fd, op | LOCK.NB);
      } catch (err) {
        closeSync(fd);
        const code = (err as { code?: string }).code;
        if (code === 'EWOULDBLOCK' || code === 'EAGAIN') return undefined;
        throw err;
      }
    } else {
      try {
        await sys.flockWait(fd, op);
      } catch (err) {
        closeSync(fd);
        throw err;
      }
    }
    let same = false;
    try {
      same = statSync(path).ino === fstatSync(fd).ino;
    } catch {
      same = false;
    }
    if (!same) {
      closeSync(fd);
      continue;
    }
    let released = false;
    return {
      path,
      release(remove = false) {
        if (released) return;
        released = true;
        if (remove) {
          try { unlinkSync(path); } catch { /* already gone */ }
        }
        closeSync(fd);
      },
    };
  }
}

export async function withLock<T>(path: string, fn: () => Promise<T> | T, opts: { shared?: boolean; sys?: SysProvider } = {}): Promise<T> {
  const lock = (await acquireLock(path, opts))!;
  try {
    return await fn();
  } finally {
    lock.release();
  }
}
