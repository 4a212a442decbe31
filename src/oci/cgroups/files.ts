// Reading and writing cgroup interface files, with errors that name the
// file and say what the kernel refused.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { posix } from 'node:path';
import { FailedPreconditionError, TsctrError } from '../../errors.js';

export class CgroupError extends TsctrError {
  readonly path: string;
  readonly code?: string;
  constructor(message: string, path: string, opts: { cause?: unknown; hint?: string; code?: string } = {}) {
    super(opts.code === 'EACCES' || opts.code === 'EPERM' || opts.code === 'EROFS' ? 'PermissionDenied' : 'FailedPrecondition', message, opts);
    this.path = path;
    this.code = opts.code;
  }
}

const HINTS: Record<string, string> = {
  EACCES: 'needs root (and a writable cgroup filesystem)',
  EPERM: 'needs root or delegation of this cgroup',
  EROFS: 'the cgroup filesystem is mounted read-only',
  EBUSY: 'the cgroup still has processes, or (v2) a controller cannot be enabled where processes live',
  EINVAL: 'the kernel refused the value (out of range, or below current usage)',
  ENOENT: 'this kernel or hierarchy lacks the file (controller not enabled?)',
};

/** One write as recordCgroupWrites saw it: the file's content before, and what was written. */
export interface CgroupWrite { path: string; before: string | undefined; value: string }
let journal: CgroupWrite[] | undefined;

/**
 * While fn runs, every writeCgroupFile is recorded with the value it
 * replaced (update uses it to undo the writes before one the kernel refuses).
 */
export function recordCgroupWrites<T>(writes: CgroupWrite[], fn: () => T): T {
  const outer = journal;
  journal = writes;
  try {
    return fn();
  } finally {
    journal = outer;
  }
}

export function writeCgroupFile(dir: string, file: string, value: string | number): void {
  const path = posix.join(dir, file);
  const before = journal ? tryReadCgroupFile(dir, file) : undefined;
  try {
    writeFileSync(path, String(value));
    journal?.push({ path, before, value: String(value) });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    throw new CgroupError(`write ${JSON.stringify(path)} ${JSON.stringify(String(value))}: ${code}`, path, { cause: e, code, hint: HINTS[code] });
  }
}

export function readCgroupFile(dir: string, file: string): string {
  return readFileSync(posix.join(dir, file), 'utf8').trim();
}

/** undefined when the file does not exist (controller absent, or an older kernel). */
export function tryReadCgroupFile(dir: string, file: string): string | undefined {
  try {
    return readCgroupFile(dir, file);
  } catch {
    return undefined;
  }
}

export function hasCgroupFile(dir: string, file: string): boolean {
  return existsSync(posix.join(dir, file));
}

/** A number from a cgroup file; "max" (v2) and v1's near-2^63 "unlimited" become undefined. */
export function readCgroupNumber(dir: string, file: string): number | undefined {
  const v = tryReadCgroupFile(dir, file);
  if (v === undefined || v === 'max' || v === '') return undefined;
  const n = Number(v.split(/\s+/)[0]);
  if (!Number.isFinite(n) || n >= 2 ** 62) return undefined;
  return n;
}

/** "key value" lines (memory.stat, cpu.stat, memory.events) → map. */
export function readFlatKeyed(dir: string, file: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of (tryReadCgroupFile(dir, file) ?? '').split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined) m.set(k, Number(v));
  }
  return m;
}

export function readPids(dir: string): number[] {
  return (tryReadCgroupFile(dir, 'cgroup.procs') ?? '').split('\n').filter(Boolean).map(Number);
}

/** Writes a file this kernel may lack; without it the field is refused, naming it, not ignored. */
export function writeOrRefuse(dir: string, file: string, value: string | number, field: string): void {
  if (!hasCgroupFile(dir, file)) throw new FailedPreconditionError(`linux.resources.${field}: this kernel has no ${file}; refused, not ignored`, { hint: `remove linux.resources.${field} from config.json` });
  writeCgroupFile(dir, file, value);
}
