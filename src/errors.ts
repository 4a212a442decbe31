// Error kinds shared by every module. They carry what went wrong and where;
// src/cli/errors.ts is the one place that turns them into user text.
// Kinds follow containerd's errdefs (NotFound, AlreadyExists, ...).

export type ErrorKind =
  | 'NotFound'
  | 'AlreadyExists'
  | 'InvalidArgument'
  | 'FailedPrecondition'
  | 'Unavailable'
  | 'DigestMismatch'
  | 'PermissionDenied'
  | 'Internal';

export class TsctrError extends Error {
  readonly kind: ErrorKind;
  /** A short suggestion of what to do next, shown after the message. */
  readonly hint?: string;
  constructor(kind: ErrorKind, message: string, opts: { cause?: unknown; hint?: string } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.kind = kind;
    this.hint = opts.hint;
    this.name = kind + 'Error';
  }
}

export class NotFoundError extends TsctrError {
  constructor(message: string, opts: { cause?: unknown; hint?: string } = {}) { super('NotFound', message, opts); }
}
export class AlreadyExistsError extends TsctrError {
  constructor(message: string, opts: { cause?: unknown; hint?: string } = {}) { super('AlreadyExists', message, opts); }
}
export class InvalidArgumentError extends TsctrError {
  constructor(message: string, opts: { cause?: unknown; hint?: string } = {}) { super('InvalidArgument', message, opts); }
}
export class FailedPreconditionError extends TsctrError {
  constructor(message: string, opts: { cause?: unknown; hint?: string } = {}) { super('FailedPrecondition', message, opts); }
}
export class UnavailableError extends TsctrError {
  constructor(message: string, opts: { cause?: unknown; hint?: string } = {}) { super('Unavailable', message, opts); }
}
export class DigestMismatchError extends TsctrError {
  readonly expected: string;
  readonly actual: string;
  constructor(what: string, expected: string, actual: string, opts: { cause?: unknown; hint?: string } = {}) {
    super('DigestMismatch', `${what}: digest mismatch: expected ${expected}, got ${actual}`, opts);
    this.expected = expected;
    this.actual = actual;
  }
}

/** Wrap an error with context, keeping the kind (and hint) of the cause when it has one. */
export function wrap(err: unknown, context: string): Error {
  if (err instanceof TsctrError) {
    return new TsctrError(err.kind, `${context}: ${err.message}`, { cause: err, hint: err.hint });
  }
  const msg = err instanceof Error ? err.message : String(err);
  const e = new Error(`${context}: ${msg}`, { cause: err });
  return e;
}

export function isKind(err: unknown, kind: ErrorKind): boolean {
  let e: unknown = err;
  while (e instanceof Error) {
    if (e instanceof TsctrError && e.kind === kind) return true;
    if ((e as { code?: string }).code === 'ENOENT' && kind === 'NotFound') return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
