// Checks a downloaded manifest before anyone parses it: bounded size, not an
// HTML page from a proxy or login portal, matching size and digest, valid
// JSON, and a media type we know (go-containerregistry remote/descriptor.go
// makes the same checks).
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { DigestMismatchError, InvalidArgumentError, TsctrError } from '../errors.js';
import { MediaType, type Descriptor } from '../descriptor/index.js';

export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export const MANIFEST_TYPES: readonly string[] = [MediaType.OciIndex, MediaType.OciManifest, MediaType.DockerManifestList, MediaType.DockerManifest];
export const ACCEPT_MANIFESTS = MANIFEST_TYPES.join(', ');

const SCHEMA1 = /application\/vnd\.docker\.distribution\.manifest\.v1\+(prettyjws|json)/;

export function baseContentType(h: string | string[] | undefined): string {
  const v = Array.isArray(h) ? h[0] : h;
  return (v ?? '').split(';')[0]!.trim().toLowerCase();
}

export function digestOf(buf: Buffer, algorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(buf).digest('hex')}`;
}

/** Reads a manifest body, refusing more than MAX_MANIFEST_BYTES (by header or by count) and HTML. */
export async function readManifestBody(what: string, res: IncomingMessage): Promise<Buffer> {
  const ct = baseContentType(res.headers['content-type']);
  if (ct === 'text/html') {
    res.resume();
    throw new InvalidArgumentError(`${what}: the server answered with an HTML page, not a manifest`, { hint: 'a proxy or login portal is in the way, or the URL is not a registry API' });
  }
  const len = Number(res.headers['content-length']);
  if (Number.isFinite(len) && len > MAX_MANIFEST_BYTES) {
    res.destroy();
    throw new InvalidArgumentError(`${what}: manifest is ${len} bytes, more than the ${MAX_MANIFEST_BYTES} byte limit`);
  }
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of res as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > MAX_MANIFEST_BYTES) {
      res.destroy();
      throw new InvalidArgumentError(`${what}: manifest is more than the ${MAX_MANIFEST_BYTES} byte limit`);
    }
    chunks.push(c);
  }
  const body = Buffer.concat(chunks);
  if (/^\s*<(!doctype|html)/i.test(body.subarray(0, 64).toString('latin1'))) {
    throw new InvalidArgumentError(`${what}: the server answered with an HTML page, not a manifest`, { hint: 'a proxy or login portal is in the way, or the URL is not a registry API' });
  }
  return body;
}

/** The media type of a manifest: its own mediaType field, else the Content-Type; must be one of the four we handle. */
export function manifestMediaType(what: string, body: Buffer, contentType: string, fallback?: string): string {
  let j: unknown;
  try {
    j = JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw new InvalidArgumentError(`${what}: manifest is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof j !== 'object' || j === null || Array.isArray(j)) throw new InvalidArgumentError(`${what}: manifest is not a JSON object`);
  const own = (j as { mediaType?: unknown }).mediaType;
  const schemaVersion = (j as { schemaVersion?: unknown }).schemaVersion;
  const candidates = [typeof own === 'string' ? own : undefined, contentType || undefined, fallback];
  if (candidates.some((c) => c && SCHEMA1.test(c)) || schemaVersion === 1) {
    throw new InvalidArgumentError(`${what}: Docker schema 1 manifests are not supported`, { hint: 'the image is too old: push it again with a current docker or skopeo' });
  }
  if (typeof own === 'string') {
    if (!MANIFEST_TYPES.includes(own)) throw new InvalidArgumentError(`${what}: unknown manifest mediaType "${own}"`, { hint: `tsctr handles ${MANIFEST_TYPES.join(', ')}` });
    return own;
  }
  for (const c of candidates) if (c && MANIFEST_TYPES.includes(c)) return c;
  // OCI manifests may omit mediaType: tell them apart by shape.
  if (Array.isArray((j as { manifests?: unknown }).manifests)) return MediaType.OciIndex;
  if ((j as { config?: unknown }).config !== undefined && Array.isArray((j as { layers?: unknown }).layers)) return MediaType.OciManifest;
  throw new InvalidArgumentError(`${what}: unknown manifest mediaType "${contentType || '(none)'}"`, { hint: `tsctr handles ${MANIFEST_TYPES.join(', ')}` });
}

/** Size and digest of a fetched manifest against its descriptor. */
export function verifyContent(what: string, body: Buffer, desc: Descriptor): void {
  if (body.length !== desc.size) {
    throw new TsctrError('DigestMismatch', `${what}: size mismatch: expected ${desc.size} bytes, got ${body.length}`, { hint: 'the registry served different content than it described' });
  }
  const alg = desc.digest.split(':')[0]!;
  if (alg !== 'sha256' && alg !== 'sha512') throw new InvalidArgumentError(`${what}: unsupported digest algorithm "${alg}"`);
  const got = digestOf(body, alg);
  if (got !== desc.digest) throw new DigestMismatchError(what, desc.digest, got);
}
