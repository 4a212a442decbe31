// Registry errors: an HTTP status plus the distribution-spec error code from
// the body ({"errors":[{"code","message","detail"}]}, spec.md "Error Codes"),
// turned into one line: `GET https://…/manifests/latest: MANIFEST_UNKNOWN: manifest unknown`.
import type { IncomingMessage } from 'node:http';
import { TsctrError, UnavailableError, type ErrorKind } from '../errors.js';

const CODE_HINTS: Record<string, string> = {
  UNAUTHORIZED: 'log in with --user or ~/.docker/config.json',
  DENIED: 'the credentials have no access to this repository: check --user or ~/.docker/config.json',
  MANIFEST_UNKNOWN: 'check the tag or digest; the repository exists but has no such manifest',
  NAME_UNKNOWN: 'check the repository name (Docker Hub official images live under library/)',
  BLOB_UNKNOWN: 'the registry lacks this blob; push it before the manifest that names it',
  MANIFEST_BLOB_UNKNOWN: 'push the config and layers before the manifest',
  TOOMANYREQUESTS: 'the registry rate-limits this client: wait, or log in with --user',
  DIGEST_INVALID: 'the content does not match its digest',
  SIZE_INVALID: 'the content does not match its size',
  MANIFEST_INVALID: 'the registry refused the manifest',
  UNSUPPORTED: 'the registry does not support this operation',
};

function kindForStatus(status: number): ErrorKind {
  if (status === 404) return 'NotFound';
  if (status === 401 || status === 403) return 'PermissionDenied';
  if (status === 429 || status >= 500) return 'Unavailable';
  if (status === 400 || status === 405 || status === 413 || status === 416) return 'InvalidArgument';
  return 'Internal';
}

export class RegistryError extends TsctrError {
  readonly status: number;
  readonly code?: string;
  readonly url: string;
  readonly method: string;
  constructor(method: string, url: string, status: number, code: string | undefined, detail: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(kindForStatus(status), `${method} ${url}: ${code ? `${code}: ` : ''}${detail}`, { hint: opts.hint ?? (code ? CODE_HINTS[code] : undefined), cause: opts.cause });
    this.name = 'RegistryError';
    this.status = status;
    this.code = code;
    this.url = url;
    this.method = method;
  }
}

interface SpecError { code?: unknown; message?: unknown; detail?: unknown }

/** The code and message of the first error in a distribution-spec error body. */
export function parseErrorBody(body: string): { code?: string; message?: string } {
  try {
    const j = JSON.parse(body) as { errors?: SpecError[]; details?: string; error?: string };
    const e = Array.isArray(j.errors) ? j.errors[0] : undefined;
    if (e && typeof e.code === 'string') {
      let message = typeof e.message === 'string' ? e.message : '';
      // Detail often names the thing: {"Tag":"latest"} or a string.
      const detail = formatDetail(e.detail);
      if (detail) message += ` (${detail})`;
      return { code: e.code, message: message || undefined };
    }
    if (typeof j.details === 'string') return { message: j.details };
    if (typeof j.error === 'string') return { message: j.error };
  } catch {
    // not JSON: fall through
  }
  return {};
}

/** Detail is free-form: a string, or an object such as {"Tag":"latest"} or {"name":"x/y"}. */
function formatDetail(d: unknown): string | undefined {
  if (d === undefined || d === null || d === '') return undefined;
  if (typeof d !== 'object') return String(d).slice(0, 200);
  if (Array.isArray(d)) return undefined;
  const parts = Object.entries(d as Record<string, unknown>)
    .filter(([, v]) => v !== null && typeof v !== 'object')
    .map(([k, v]) => `${k.toLowerCase()} ${JSON.stringify(v)}`);
  return parts.length ? parts.join(', ').slice(0, 200) : undefined;
}

/** Code implied by a bare status when the body says nothing (HEAD has no body). */
export function codeForStatus(status: number): string | undefined {
  if (status === 401) return 'UNAUTHORIZED';
  if (status === 403) return 'DENIED';
  if (status === 429) return 'TOOMANYREQUESTS';
  return undefined;
}

/** Reads (a bounded part of) an error response and builds the RegistryError. */
export async function errorFromResponse(method: string, url: string, res: IncomingMessage, hint?: string): Promise<RegistryError> {
  const status = res.statusCode ?? 0;
  let text = '';
  try {
    const chunks: Buffer[] = [];
    let n = 0;
    for await (const c of res as AsyncIterable<Buffer>) {
      if (n < 64 * 1024) chunks.push(c);
      n += c.length;
    }
    text = Buffer.concat(chunks).toString('utf8');
  } catch {
    // a broken error body still leaves the status
  }
  const parsed = parseErrorBody(text);
  const code = parsed.code ?? codeForStatus(status);
  let detail = parsed.message;
  if (!detail) {
    const ct = String(res.headers['content-type'] ?? '');
    detail = `${status} ${res.statusMessage ?? ''}`.trim();
    if (/html/i.test(ct) || /^\s*</.test(text)) detail += ' (the server answered with an HTML page, not a registry API response)';
    else if (/^[\x20-\x7e\s]{1,200}$/.test(text.trim())) detail += `: ${text.trim()}`;
  }
  // Go's TLS server answers plain HTTP with this text.
  if (!hint && /HTTP request to an HTTPS server/i.test(text)) hint = 'the registry speaks HTTPS: drop --plain-http';
  return new RegistryError(method, url, status, code, detail, { hint });
}

const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_NOT_YET_VALID', 'UNABLE_TO_GET_ISSUER_CERT',
]);

/** A network-level failure (no HTTP answer) as an Unavailable error with a hint. */
export function networkError(method: string, url: string, err: unknown): UnavailableError {
  const e = err as NodeJS.ErrnoException;
  const code = e?.code ?? '';
  let hint: string | undefined;
  if (TLS_CODES.has(code)) hint = 'the registry certificate is not trusted: pass --tlscacert <ca.pem>, or --skip-verify (-k) for a test registry';
  else if (code === 'EPROTO' || /wrong version number|packet length too long/i.test(e?.message ?? '')) hint = 'the registry does not speak TLS here: use --plain-http';
  else if (code === 'ECONNREFUSED') hint = 'nothing listens there: check the registry host and port';
  else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') hint = 'the registry host name does not resolve';
  else if (code === 'ECONNRESET' || code === 'ETIMEDOUT') hint = 'the connection dropped; try again (a plain-HTTP registry needs --plain-http)';
  let msg = (e?.message ?? String(err)).trim();
  // OpenSSL's text names its source file and line; keep the reason only.
  const ssl = /SSL routines:[^:]*:([^:]+):/.exec(msg);
  if (ssl) msg = `TLS handshake failed: ${ssl[1]}`;
  return new UnavailableError(`${method} ${url}: ${code && !msg.includes(code) ? `${code}: ` : ''}${msg}`, { cause: err, hint });
}
