// The registry client (distribution-spec spec.md): resolve a tag, fetch
// verified manifests, stream blobs with Range resume, push blobs and
// manifests. Endpoints come from hosts.ts, auth from auth.ts, the wire from
// transport.ts.
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { DigestMismatchError, InvalidArgumentError } from '../errors.js';
import type { Descriptor } from '../descriptor/index.js';
import type { Reference } from '../reference/index.js';
import { Authorizer, scopeFor, type Action } from './auth.js';
import { findCredentials, parseUserFlag, type Credentials } from './docker-config.js';
import { errorFromResponse, RegistryError, codeForStatus } from './errors.js';
import { resolveEndpoints, type Capability, type Endpoint } from './hosts.js';
import { ACCEPT_MANIFESTS, MANIFEST_TYPES, baseContentType, digestOf, manifestMediaType, readManifestBody, verifyContent } from './manifest-check.js';
import { Transport, isRetryableError, backoffDelay } from './transport.js';
import { chunks, guardStream } from './streams.js';
import type { RegistryClient, RemoteOptions } from './index.js';

interface CallSpec {
  method: string;
  /** Path under /v2/<repo>/, or a full URL (upload locations). */
  suffix?: string;
  url?: string;
  headers?: Record<string, string>;
  body?: Buffer | (() => NodeJS.ReadableStream);
  followRedirects?: boolean;
}

export class Client implements RegistryClient {
  readonly transport: Transport;
  readonly auth: Authorizer;
  private readonly log: (l: string) => void;
  private userCreds?: Promise<Credentials>;

  constructor(private readonly opts: RemoteOptions) {
    this.log = opts.log ?? (() => {});
    this.transport = new Transport({ maxAttempts: opts.maxAttempts, retryDelayMs: opts.retryDelayMs, log: this.log });
    this.auth = new Authorizer(this.transport, (host) => this.credentials(host), this.log);
  }

  private credentialsFor = new Map<string, string>();
  private async credentials(host: string): Promise<Credentials | undefined> {
    if (this.opts.user !== undefined) {
      this.userCreds ??= (async () => {
        const u = parseUserFlag(this.opts.user!);
        if (u.password !== undefined) return { username: u.username, password: u.password };
        if (!this.opts.askPassword) throw new InvalidArgumentError(`--user ${u.username}: no password given and no terminal to ask on`, { hint: 'use --user name:password' });
        return { username: u.username, password: await this.opts.askPassword(`Password for ${u.username}: `) };
      })();
      return this.userCreds;
    }
    const domain = this.credentialsFor.get(host);
    const hosts = domain && domain !== host ? [host, domain] : [host];
    // One helper run per host and command, however many requests meet a challenge.
    const key = hosts.join(' ');
    let p = this.found.get(key);
    if (!p) {
      p = findCredentials(hosts, this.opts.dockerConfigPath, { log: this.log, helper: { timeoutMs: this.opts.credentialHelperTimeoutMs } });
      this.found.set(key, p);
    }
    return p;
  }
  private readonly found = new Map<string, Promise<Credentials | undefined>>();

  private endpoints(ref: Reference, cap: Capability): Endpoint[] {
    const eps = resolveEndpoints(ref.domain, this.opts).filter((e) => e.capabilities.includes(cap));
    if (!eps.length) throw new InvalidArgumentError(`no host for ${ref.domain} has the "${cap}" capability`, { hint: 'check capabilities in hosts.toml' });
    for (const e of eps) this.credentialsFor.set(e.host, ref.domain);
    return eps;
  }

  private url(ep: Endpoint, ref: Reference, suffix: string): string {
    const u = `${ep.scheme}://${ep.host}${ep.path}/${ref.path}/${suffix}`;
    return ep.mirror ? `${u}${u.includes('?') ? '&' : '?'}ns=${encodeURIComponent(ref.domain)}` : u;
  }

  /** One authorised request: sends a held token, answers one 401 challenge and retries. */
  private async call(ep: Endpoint, ref: Reference, action: Action, spec: CallSpec): Promise<{ res: IncomingMessage; url: string }> {
    const url = spec.url ?? this.url(ep, ref, spec.suffix!);
    const scope = scopeFor(ref.path, action);
    const tls = { caFiles: ep.caFiles, skipVerify: ep.skipVerify };
    for (let round = 0; ; round++) {
      const headers: Record<string, string> = { ...ep.headers, ...(spec.headers ?? {}) };
      const authz = this.auth.authorization(ep.host, scope);
      if (authz) headers.authorization = authz;
      const res = await this.transport.request({ method: spec.method, url, headers, body: spec.body, tls, followRedirects: spec.followRedirects });
      const replayable = spec.body === undefined || Buffer.isBuffer(spec.body);
      if (res.statusCode === 401 && round === 0 && replayable) {
        const challenge = res.headersDistinct?.['www-authenticate'] ?? res.headers['www-authenticate'];
        if (await this.auth.answer(ep.host, challenge, scope, tls, authz)) {
          res.resume();
          continue;
        }
      }
      if ((res.statusCode === 401 || res.statusCode === 403) && authz) {
        const creds = await this.credentials(ep.host).catch(() => undefined);
        const who = creds?.identityToken ? 'the identity token' : creds?.username ? `"${creds.username}"` : undefined;
        const push = action === 'push' ? ' (push needs write access)' : '';
        this.refusedHints.set(res, who
          ? `the registry refused ${who}${push}: check the password, or the account's access to ${ref.path}`
          : `anonymous access is not enough here${push}: log in with --user or ~/.docker/config.json`);
      }
      return { res, url };
    }
  }

  /** Hints for 401/403 answers that came despite the credentials we sent. */
  private readonly refusedHints = new WeakMap<IncomingMessage, string>();
  private fail(method: string, url: string, res: IncomingMessage): Promise<RegistryError> {
    return errorFromResponse(method, url, res, this.refusedHints.get(res));
  }

  /** Tries each endpoint in order (mirrors, then the server); the last error wins. */
  private async eachEndpoint<T>(ref: Reference, cap: Capability, fn: (ep: Endpoint) => Promise<T>): Promise<T> {
    const eps = this.endpoints(ref, cap);
    let last: unknown;
    for (const [i, ep] of eps.entries()) {
      try {
        return await fn(ep);
      } catch (err) {
        last = err;
        if (i < eps.length - 1) this.log(`${ep.scheme}://${ep.host}: ${(err as Error).message}; trying the next host`);
      }
    }
    throw last;
  }

  async resolve(ref: Reference): Promise<Descriptor> {
    return this.eachEndpoint(ref, 'resolve', async (ep) => {
      const suffix = `manifests/${ref.object}`;
      const head = await this.call(ep, ref, 'pull', { method: 'HEAD', suffix, headers: { accept: ACCEPT_MANIFESTS } });
      // Once the (empty) answer has ended, its keep-alive socket is back in the
      // agent's pool, so the manifest's GET reuses it instead of connecting again.
      await finished(head.res.resume()).catch(() => undefined);
      if (head.res.statusCode === 200) {
        const ct = baseContentType(head.res.headers['content-type']);
        const dcd = head.res.headers['docker-content-digest'];
        const digest = ref.digest ?? (typeof dcd === 'string' ? dcd : undefined);
        const size = Number(head.res.headers['content-length']);
        if (digest && MANIFEST_TYPES.includes(ct) && Number.isSafeInteger(size) && size > 0) {
          this.log(`resolve ${ref}: ${ct} ${digest} (${size} bytes)`);
          return { mediaType: ct, digest, size };
        }
      }
      // HEAD said too little (or failed): GET says why, and gives the bytes to hash.
      const get = await this.call(ep, ref, 'pull', { method: 'GET', suffix, headers: { accept: ACCEPT_MANIFESTS } });
      if (get.res.statusCode !== 200) {
        const err = await this.fail('GET', get.url, get.res);
        throw err.code === 'MANIFEST_UNKNOWN' && !ref.digest ? ((await this.unknownName(ep, ref)) ?? err) : err;
      }
      const what = `GET ${get.url}`;
      const body = await readManifestBody(what, get.res);
      const mediaType = manifestMediaType(what, body, baseContentType(get.res.headers['content-type']));
      const digest = digestOf(body, ref.digest?.split(':')[0] ?? 'sha256');
      if (ref.digest && digest !== ref.digest) throw new DigestMismatchError(what, ref.digest, digest);
      return { mediaType, digest, size: body.length };
    });
  }

  /**
   * distribution answers MANIFEST_UNKNOWN for a tag of a repository that does
   * not exist; the tag list tells the two apart (NAME_UNKNOWN).
   */
  private async unknownName(ep: Endpoint, ref: Reference): Promise<RegistryError | undefined> {
    try {
      const { res, url } = await this.call(ep, ref, 'pull', { method: 'GET', suffix: 'tags/list?n=1' });
      if (res.statusCode === 200) { res.resume(); return undefined; }
      const err = await this.fail('GET', url, res);
      return err.code === 'NAME_UNKNOWN' ? err : undefined;
    } catch {
      return undefined;
    }
  }

  async fetchManifest(ref: Reference, desc: Descriptor): Promise<Buffer> {
    return this.eachEndpoint(ref, 'pull', async (ep) => {
      const accept = MANIFEST_TYPES.includes(desc.mediaType) ? [desc.mediaType, ...MANIFEST_TYPES.filter((t) => t !== desc.mediaType)].join(', ') : ACCEPT_MANIFESTS;
      const { res, url } = await this.call(ep, ref, 'pull', { method: 'GET', suffix: `manifests/${desc.digest}`, headers: { accept } });
      if (res.statusCode !== 200) throw await this.fail('GET', url, res);
      const what = `GET ${url}`;
      const body = await readManifestBody(what, res);
      verifyContent(what, body, desc);
      manifestMediaType(what, body, baseContentType(res.headers['content-type']), desc.mediaType);
      return body;
    });
  }

  async fetchBlob(ref: Reference, desc: Descriptor, offset = 0): Promise<{ stream: NodeJS.ReadableStream; offset: number }> {
    return this.eachEndpoint(ref, 'pull', async (ep) => {
      const headers: Record<string, string> = {};
      if (offset > 0) headers.range = `bytes=${offset}-`;
      const { res, url } = await this.call(ep, ref, 'pull', { method: 'GET', suffix: `blobs/${desc.digest}`, headers, followRedirects: true });
      const status = res.statusCode ?? 0;
      if (status === 416 && offset > 0 && offset >= desc.size) {
        res.resume();
        return { stream: Readable.from([]), offset: desc.size };
      }
      if (status !== 200 && status !== 206) throw await this.fail('GET', url, res);
      let start = 0;
      if (status === 206) {
        const m = /^bytes (\d+)-/.exec(String(res.headers['content-range'] ?? ''));
        start = m ? Number(m[1]) : offset;
        if (start !== offset) {
          res.destroy();
          throw new RegistryError('GET', url, 206, undefined, `asked for bytes from ${offset}, got a range starting at ${start}`);
        }
      } else if (offset > 0) this.log(`GET ${url}: the server ignored Range; restarting from 0`);
      return { stream: guardStream(res, url, start), offset: start };
    });
  }

  async blobExists(ref: Reference, desc: Descriptor): Promise<boolean> {
    return this.eachEndpoint(ref, 'pull', (ep) => this.headBlob(ep, ref, desc, 'pull'));
  }

  private async headBlob(ep: Endpoint, ref: Reference, desc: Descriptor, action: Action): Promise<boolean> {
    const { res, url } = await this.call(ep, ref, action, { method: 'HEAD', suffix: `blobs/${desc.digest}`, followRedirects: true });
    res.resume();
    if (res.statusCode === 200) return true;
    if (res.statusCode === 404) return false;
    const s = res.statusCode ?? 0;
    throw new RegistryError('HEAD', url, s, codeForStatus(s), `${s} ${res.statusMessage ?? ''}`.trim(), { hint: this.refusedHints.get(res) });
  }

  private pushEndpoint(ref: Reference): Endpoint {
    return this.endpoints(ref, 'push')[0]!;
  }

  async pushBlob(ref: Reference, desc: Descriptor, open: () => NodeJS.ReadableStream, opts: { chunkSize?: number } = {}): Promise<'exists' | 'uploaded'> {
    const ep = this.pushEndpoint(ref);
    const attempts = this.transport.maxAttempts;
    for (let attempt = 1; ; attempt++) {
      try {
        if (await this.headBlob(ep, ref, desc, 'push')) return 'exists';
        await this.upload(ep, ref, desc, open, opts.chunkSize);
        return 'uploaded';
      } catch (err) {
        // The body is a stream: a dropped upload restarts from a fresh open().
        if (attempt >= attempts || !(isRetryableError(err) || (err instanceof RegistryError && (err.status === 429 || err.status >= 500)))) throw err;
        const d = backoffDelay(attempt, this.opts.retryDelayMs ?? 250);
        this.log(`push ${desc.digest}: ${(err as Error).message}; retry ${attempt}/${attempts - 1} in ${d} ms`);
        await new Promise((r) => setTimeout(r, d));
      }
    }
  }

  private async upload(ep: Endpoint, ref: Reference, desc: Descriptor, open: () => NodeJS.ReadableStream, chunkSize?: number): Promise<void> {
    const post = await this.call(ep, ref, 'push', { method: 'POST', suffix: 'blobs/uploads/', body: Buffer.alloc(0) });
    if (post.res.statusCode !== 202) throw await this.fail('POST', post.url, post.res);
    post.res.resume();
    let location = nextLocation(post.res, post.url);
    const octet = { 'content-type': 'application/octet-stream' };
    if (!chunkSize) {
      const url = withDigest(location, desc.digest);
      const { res } = await this.call(ep, ref, 'push', { method: 'PUT', url, body: open, headers: { ...octet, 'content-length': String(desc.size) } });
      if (res.statusCode !== 201) throw await this.fail('PUT', url, res);
      res.resume();
      return;
    }
    let sent = 0;
    for await (const chunk of chunks(open(), chunkSize)) {
      // distribution wants Content-Range as "<start>-<end>" (inclusive), no "bytes ".
      const { res, url } = await this.call(ep, ref, 'push', { method: 'PATCH', url: location, body: chunk, headers: { ...octet, 'content-range': `${sent}-${sent + chunk.length - 1}` } });
      if (res.statusCode !== 202) throw await this.fail('PATCH', url, res);
      res.resume();
      location = nextLocation(res, url);
      sent += chunk.length;
    }
    if (sent !== desc.size) throw new InvalidArgumentError(`push ${desc.digest}: the stream gave ${sent} bytes, the descriptor says ${desc.size}`);
    const url = withDigest(location, desc.digest);
    const { res } = await this.call(ep, ref, 'push', { method: 'PUT', url, body: Buffer.alloc(0), headers: octet });
    if (res.statusCode !== 201) throw await this.fail('PUT', url, res);
    res.resume();
  }

  async pushManifest(ref: Reference, desc: Descriptor, body: Buffer): Promise<void> {
    verifyContent(`push manifest ${ref}`, body, desc);
    const ep = this.pushEndpoint(ref);
    const target = ref.tag ?? desc.digest;
    const { res, url } = await this.call(ep, ref, 'push', { method: 'PUT', suffix: `manifests/${target}`, body, headers: { 'content-type': desc.mediaType } });
    if (res.statusCode !== 201 && res.statusCode !== 200) throw await this.fail('PUT', url, res);
    res.resume();
    const got = res.headers['docker-content-digest'];
    if (typeof got === 'string' && got !== desc.digest) this.log(`PUT ${url}: registry reports digest ${got}, expected ${desc.digest}`);
  }
}

function nextLocation(res: IncomingMessage, base: string): string {
  const loc = res.headers.location;
  if (!loc) throw new RegistryError('POST', base, res.statusCode ?? 0, undefined, 'upload answer has no Location header');
  return new URL(loc, base).toString();
}

function withDigest(location: string, digest: string): string {
  const u = new URL(location);
  u.searchParams.set('digest', digest);
  return u.toString();
}
