// The one place errors become user text: one line naming the operation, the
// object, the reason and a hint. A stack trace only with --debug.
import { TsctrError } from '../errors.js';

interface WithHint { hint?: string }

const SYS_HINTS: Record<string, string> = {
  EPERM: 'needs root or CAP_SYS_ADMIN',
  EACCES: 'permission denied: run as root or check the file modes',
  ENOSPC: 'free some disk space, or run `tsctr content prune`',
  EROFS: 'the filesystem is read-only',
  EBUSY: 'something still uses it: look for running containers or mounts',
};

function findHint(err: unknown): string | undefined {
  let e: unknown = err;
  while (e instanceof Error) {
    const h = (e as WithHint).hint;
    if (h) return h;
    const code = (e as { code?: string }).code;
    if (code && SYS_HINTS[code]) return SYS_HINTS[code];
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** True when the error comes from our own checks (a user mistake or a known failure), not a bug. */
export function isExpected(err: unknown): boolean {
  let e: unknown = err;
  while (e instanceof Error) {
    if (e instanceof TsctrError || e.name === 'SysError' || e.name === 'LaunchError' || typeof (e as { code?: unknown }).code === 'string') return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

export function formatError(err: unknown, operation: string): string {
  const msg = err instanceof Error ? err.message : String(err);
  const hint = findHint(err);
  const head = msg.startsWith(operation) ? msg : `${operation}: ${msg}`;
  return `tsctr: ${head}${hint ? ` (hint: ${hint})` : ''}`;
}
