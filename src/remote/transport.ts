// One HTTP(S) exchange with the registry, on node:http/node:https: TLS
// settings per endpoint, redirects (blobs often live behind a 307 to object
// storage), and retries with exponential backoff on 429, 5xx and dropped
// connections. Auth is layered on top (auth.ts); this file knows nothing of it.
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { InvalidArgumentError } from '../errors.js';
import { networkError } from './errors.js';

export interface TlsSettings { caFiles: string[]; skipVerify: boolean }

export interface SendSpec {
  method: string;
  url: string;
  headers?: Record<string, string>;
  /** A Buffer is replayed on retries; a stream factory body is sent once. */
  body?: Buffer | (() => NodeJS.ReadableStream);
  tls: TlsSettings;
  /** Follow 301/302/303/307/308 (GET/HEAD only). */
  followRedirects?: boolean;
}

export interface TransportOptions {
  maxAttempts?: number;
  /** Base of the exponential backoff in ms (default 250). */
  retryDelayMs?: number;
  /** Idle socket timeout in ms (default 60 s). */
  timeoutMs?: number;
  log?: (line: string) => void;
  random?: () => number;
}

const RETRY_STATUS = new Set([429, 500, 502, 503, 504]);
const RETRY_ERRORS = new Set(['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNABORTED', 'EAI_AGAIN', 'UND_ERR_SOCKET']);
const MAX_REDIRECTS = 10;
const MAX_DELAY_MS = 10_000;

export function isRetryableStatus(status: number): boolean {
  return RETRY_STATUS.has(status);
}

export function isRetryableError(err: unknown): boolean {
  let e: unknown = err;
  while (e instanceof Error) {
    if (RETRY_ERRORS.has((e as NodeJS.ErrnoException).code ?? '')) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Delay before attempt `attempt + 1` (attempt counts from 1): base·2^(attempt-1)
 * with ±25% jitter, capped at 10 s; a Retry-After in seconds wins (also capped).
 */
export function backoffDelay(attempt: number, baseMs: number, retryAfter?: string, random: () => number = Math.random): number {
  if (retryAfter !== undefined && /^\s*\d+\s*$/.test(retryAfter)) return Math.min(Number(retryAfter) * 1000, MAX_DELAY_MS);
  const d = baseMs * 2 ** (attempt - 1);
  return Math.min(MAX_DELAY_MS, Math.round(d * (0.75 + random() * 0.5)));
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class Transport {
  private readonly agents = new Map<string, http.Agent>();
  readonly maxAttempts: number;
  private readonly retryDelayMs: number;
  private readonly timeoutMs: number;
  private readonly log: (line: string) => void;
  private readonly random: () => number;

  constructor(opts: TransportOptions = {}) {
    this.maxAttempts = Math.max(1, opts.maxAttempts ?? 5);
    this.retryDelayMs = opts.retryDelayMs ?? 250;
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.log = opts.log ?? (() => {});
    this.random = opts.random ?? Math.random;
  }

  private agent(scheme: string, tls: TlsSettings): http.Agent {
    const key = `${scheme}|${tls.skipVerify}|${tls.caFiles.join(',')}`;
    let a = this.agents.get(key);
    if (a) return a;
    if (scheme === 'https:') {
      const ca = tls.caFiles.length ? tls.caFiles.map((f) => readCa(f)) : undefined;
      // Extra CAs add to the system roots, as containerd and docker do.
      a = new https.Agent({ keepAlive: true, rejectUnauthorized: !tls.skipVerify, ca: ca ? [...rootCertificates, ...ca] : undefined });
    } else {
      a = new http.Agent({ keepAlive: true });
    }
    this.agents.set(key, a);
    return a;
  }

  /** Closes idle keep-alive sockets. */
  close(): void {
    for (const a of this.agents.values()) a.destroy();
    this.agents.clear();
  }

  /** One exchange (plus redirects). Network failures become UnavailableError. */
  async send(spec: SendSpec): Promise<IncomingMessage> {
    let url = spec.url;
    let method = spec.method;
    let headers = { ...(spec.headers ?? {}) };
    for (let hop = 0; ; hop++) {
      const res = await this.once(method, url, headers, spec.body, spec.tls);
      const status = res.statusCode ?? 0;
      const loc = res.headers.location;
      if (!spec.followRedirects || ![301, 302, 303, 307, 308].includes(status) || !loc || (method !== 'GET' && method !== 'HEAD')) return res;
      res.resume();
      if (hop >= MAX_REDIRECTS) throw networkError(method, url, new Error(`more than ${MAX_REDIRECTS} redirects`));
      const next = new URL(loc, url);
      // Never hand our registry credentials to another host (object storage
      // URLs carry their own signature).
      if (next.host !== new URL(url).host) {
        const { authorization: _drop, ...rest } = headers;
        headers = rest;
      }
      this.log(`${method} ${url} → ${status} redirect to ${next.origin}${next.pathname}`);
      url = next.toString();
    }
  }

  /** send() with retries on 429/5xx and dropped connections. Streamed bodies are not retried here. */
  async request(spec: SendSpec): Promise<IncomingMessage> {
    const replayable = spec.body === undefined || Buffer.isBuffer(spec.body);
    const attempts = replayable ? this.maxAttempts : 1;
    for (let attempt = 1; ; attempt++) {
      let res: IncomingMessage;
      try {
        res = await this.send(spec);
      } catch (err) {
        if (attempt < attempts && isRetryableError(err)) {
          const d = backoffDelay(attempt, this.retryDelayMs, undefined, this.random);
          this.log(`${spec.method} ${spec.url}: ${(err as Error).message}; retry ${attempt}/${attempts - 1} in ${d} ms`);
          await sleep(d);
          continue;
        }
        throw err;
      }
      const status = res.statusCode ?? 0;
      if (attempt < attempts && isRetryableStatus(status)) {
        res.resume();
        const ra = res.headers['retry-after'];
        const d = backoffDelay(attempt, this.retryDelayMs, Array.isArray(ra) ? ra[0] : ra, this.random);
        this.log(`${spec.method} ${spec.url}: ${status}; retry ${attempt}/${attempts - 1} in ${d} ms`);
        await sleep(d);
        continue;
      }
      return res;
    }
  }

  private once(method: string, url: string, headers: Record<string, string>, body: SendSpec['body'], tls: TlsSettings): Promise<IncomingMessage> {
    const u = new URL(url);
    const mod = u.protocol === 'https:' ? https : http;
    this.log(`${method} ${url}`);
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (err: unknown) => {
        if (settled) return;
        settled = true;
        reject(networkError(method, url, err));
      };
      const h: Record<string, string> = { 'user-agent': 'tsctr/0.1', ...headers };
      if (Buffer.isBuffer(body)) h['content-length'] = String(body.length);
      const req = mod.request(u, { method, headers: h, agent: this.agent(u.protocol, tls) }, (res) => {
        settled = true;
        resolve(res);
      });
      req.setTimeout(this.timeoutMs, () => req.destroy(Object.assign(new Error(`no answer for ${this.timeoutMs / 1000} s`), { code: 'ETIMEDOUT' })));
      req.on('error', fail);
      if (body === undefined) req.end();
      else if (Buffer.isBuffer(body)) req.end(body);
      else {
        const src = body();
        src.on('error', (e) => { req.destroy(e); fail(e); });
        src.pipe(req);
      }
    });
  }
}

const caCache = new Map<string, Buffer>();
function readCa(file: string): Buffer {
  let b = caCache.get(file);
  if (b) return b;
  try {
    b = readFileSync(file);
  } catch (e) {
    throw new InvalidArgumentError(`read CA certificate "${file}": ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e, hint: 'check the --tlscacert path (or ca = in hosts.toml)' });
  }
  caCache.set(file, b);
  return b;
}
