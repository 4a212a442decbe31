// The registry client against scripted local servers: retries, verification,
// Range, resets, redirects, auth flows, uploads.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ServerResponse } from 'node:http';
import { createRegistryClient, RegistryError, type RemoteOptions } from '../../../src/remote/index.js';
import { parseReference } from '../../../src/reference/index.js';
import { DigestMismatchError, isKind } from '../../../src/errors.js';
import { startFakeServer, sendJson, type FakeServer, type Recorded } from '../../helpers/registry-fake.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const sha = (b: Buffer) => 'sha256:' + createHash('sha256').update(b).digest('hex');
const manifestBody = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: 'sha256:' + 'c'.repeat(64), size: 2 }, layers: [] }));
const manifestDesc = { mediaType: OCI_MANIFEST, digest: sha(manifestBody), size: manifestBody.length };
const blobBody = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz'.repeat(100));
const blobDesc = { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha(blobBody), size: blobBody.length };

const servers: FakeServer[] = [];
async function serve(h: Parameters<typeof startFakeServer>[0]): Promise<FakeServer> {
  const s = await startFakeServer(h);
  servers.push(s);
  return s;
}
test.after.each(async () => { for (const s of servers.splice(0)) await s.close(); });

const opts = (extra: RemoteOptions = {}): RemoteOptions => ({ plainHttp: true, retryDelayMs: 1, dockerConfigPath: '/nonexistent/config.json', ...extra });
const ref = (s: FakeServer, rest = 'repo/x:latest') => parseReference(`${s.host}/${rest}`);

async function rejects(p: Promise<unknown>): Promise<Error> {
  try { await p; } catch (e) { return e as Error; }
  throw new Error('expected a rejection');
}
async function readAll(s: NodeJS.ReadableStream): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of s as AsyncIterable<Buffer>) out.push(c);
  return Buffer.concat(out);
}

function manifestOk(res: ServerResponse, body = manifestBody, type = OCI_MANIFEST) {
  res.writeHead(200, { 'content-type': type, 'content-length': String(body.length), 'docker-content-digest': sha(body) }).end(body);
}

// --- retries -------------------------------------------------------------------

test('429 and 503 are retried with backoff, then succeed', async () => {
  let n = 0;
  const s = await serve((r, res) => {
    n++;
    if (n === 1) return sendJson(res, 429, { errors: [{ code: 'TOOMANYREQUESTS', message: 'slow down' }] }, { 'retry-after': '0' });
    if (n === 2) return sendJson(res, 503, {});
    manifestOk(res);
  });
  const d = await createRegistryClient(opts()).resolve(ref(s));
  assert.equal(d, manifestDesc);
  assert.is(s.requests.length, 3);
});

test('500 on every attempt gives up after maxAttempts with the registry error', async () => {
  const s = await serve((r, res) => sendJson(res, 500, { errors: [{ code: 'UNKNOWN', message: 'boom' }] }));
  const e = await rejects(createRegistryClient(opts({ maxAttempts: 3 })).fetchManifest(ref(s), manifestDesc));
  assert.instance(e, RegistryError);
  assert.is((e as RegistryError).status, 500);
  assert.match(e.message, /^GET http:\/\/127\.0\.0\.1:\d+\/v2\/repo\/x\/manifests\/sha256:[0-9a-f]{64}: UNKNOWN: boom$/);
  assert.is(s.requests.length, 3);
  assert.ok(isKind(e, 'Unavailable'));
});

test('a connection reset before the answer is retried', async () => {
  let n = 0;
  const s = await serve((r, res) => {
    if (++n === 1) { res.socket?.destroy(); return; }
    manifestOk(res);
  });
  assert.ok((await createRegistryClient(opts()).fetchManifest(ref(s), manifestDesc)).equals(manifestBody));
  assert.is(n, 2);
});

test('404 is not retried', async () => {
  const s = await serve((r, res) => sendJson(res, 404, { errors: [{ code: 'BLOB_UNKNOWN', message: 'blob unknown to registry' }] }));
  const e = await rejects(createRegistryClient(opts()).fetchBlob(ref(s), blobDesc));
  assert.is((e as RegistryError).code, 'BLOB_UNKNOWN');
  assert.is(s.requests.length, 1);
});

// --- manifest checks ----------------------------------------------------------------

test('an HTML page instead of a manifest is refused', async () => {
  const html = Buffer.from('<!DOCTYPE html><html><body>Please log in</body></html>');
  const s = await serve((r, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html));
  const e = await rejects(createRegistryClient(opts()).fetchManifest(ref(s), { ...manifestDesc, size: html.length, digest: sha(html) }));
  assert.match(e.message, /HTML page, not a manifest/);
  assert.ok((e as { hint?: string }).hint);
  // and an HTML error page on a failed request says so too
  const s2 = await serve((r, res) => res.writeHead(403, { 'content-type': 'text/html' }).end('<html>denied</html>'));
  const e2 = await rejects(createRegistryClient(opts()).fetchManifest(ref(s2), manifestDesc));
  assert.match(e2.message, /403 Forbidden \(the server answered with an HTML page/);
});

test('garbage JSON with a matching digest is refused as not JSON', async () => {
  const junk = Buffer.from('{"schemaVersion": 2, oops');
  const s = await serve((r, res) => manifestOk(res, junk));
  const e = await rejects(createRegistryClient(opts()).fetchManifest(ref(s), { ...manifestDesc, size: junk.length, digest: sha(junk) }));
  assert.match(e.message, /manifest is not valid JSON/);
  assert.ok(isKind(e, 'InvalidArgument'));
});

test('manifests over 4 MiB are refused, by Content-Length or by count', async () => {
  const big = Buffer.alloc(4 * 1024 * 1024 + 1, 0x20);
  const s = await serve((r, res) => res.writeHead(200, { 'content-type': OCI_MANIFEST, 'content-length': String(big.length) }).end(big));
  const e = await rejects(createRegistryClient(opts()).fetchManifest(ref(s), { ...manifestDesc, size: big.length, digest: sha(big) }));
  assert.match(e.message, /4194305 bytes, more than the 4194304 byte limit/);
  const s2 = await serve((r, res) => { res.writeHead(200, { 'content-type': OCI_MANIFEST }); res.write(big.subarray(0, 3_000_000)); res.end(big.subarray(3_000_000)); });
  const e2 = await rejects(createRegistryClient(opts()).fetchManifest(ref(s2), { ...manifestDesc, size: big.length, digest: sha(big) }));
  assert.match(e2.message, /more than the 4194304 byte limit/);
});

test('digest and size mismatches are caught', async () => {
  const other = Buffer.from(manifestBody.toString().replace('"layers":[]', '"layers": []'));
  const s = await serve((r, res) => manifestOk(res, other));
  const e = await rejects(createRegistryClient(opts()).fetchManifest(ref(s), { ...manifestDesc, size: other.length }));
  assert.instance(e, DigestMismatchError);
  assert.match(e.message, /digest mismatch: expected sha256:[0-9a-f]{64}, got sha256:/);
  const e2 = await rejects(createRegistryClient(opts()).fetchManifest(ref(s), manifestDesc));
  assert.match(e2.message, /size mismatch: expected \d+ bytes, got \d+/);
});

test('unknown and schema 1 media types are refused; a bare OCI manifest is recognised', async () => {
  const odd = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.example+json' }));
  const s = await serve((r, res) => manifestOk(res, odd, 'application/vnd.example+json'));
  const e = await rejects(createRegistryClient(opts()).fetchManifest(ref(s), { mediaType: OCI_MANIFEST, size: odd.length, digest: sha(odd) }));
  assert.match(e.message, /unknown manifest mediaType "application\/vnd\.example\+json"/);
  const v1 = Buffer.from(JSON.stringify({ schemaVersion: 1, name: 'x', fsLayers: [] }));
  const s1 = await serve((r, res) => manifestOk(res, v1, 'application/vnd.docker.distribution.manifest.v1+prettyjws'));
  const e1 = await rejects(createRegistryClient(opts()).resolve(ref(s1)));
  assert.match(e1.message, /schema 1 manifests are not supported/);
  const bare = Buffer.from(JSON.stringify({ schemaVersion: 2, config: {}, layers: [] }));
  const s2 = await serve((r, res) => { res.writeHead(200, { 'content-type': 'application/json' }).end(r.method === 'HEAD' ? undefined : bare); });
  assert.equal(await createRegistryClient(opts()).resolve(ref(s2)), { mediaType: OCI_MANIFEST, digest: sha(bare), size: bare.length });
});

test('resolve: HEAD with the descriptor headers; GET fallback hashes the body when HEAD says too little', async () => {
  const s = await serve((r, res) => manifestOk(res));
  assert.equal(await createRegistryClient(opts()).resolve(ref(s)), manifestDesc);
  assert.equal(s.requests.map((q) => q.method), ['HEAD']);
  assert.match(String(s.requests[0]!.headers.accept), /application\/vnd\.oci\.image\.index\.v1\+json.*application\/vnd\.docker\.distribution\.manifest\.v2\+json/);
  const s2 = await serve((r, res) => {
    if (r.method === 'HEAD') return res.writeHead(405).end();
    res.writeHead(200, { 'content-type': OCI_MANIFEST }).end(manifestBody);
  });
  assert.equal(await createRegistryClient(opts()).resolve(ref(s2)), manifestDesc);
  assert.equal(s2.requests.map((q) => q.method), ['HEAD', 'GET']);
  // A digest reference that the registry answers with other bytes
  const s3 = await serve((r, res) => { if (r.method === 'HEAD') return res.writeHead(404).end(); manifestOk(res); });
  const e = await rejects(createRegistryClient(opts()).resolve(ref(s3, `repo/x@sha256:${'e'.repeat(64)}`)));
  assert.instance(e, DigestMismatchError);
});

// --- blobs: Range, resets, redirects -----------------------------------------------

function blobServer(o: { honourRange: boolean; resetAfter?: number }) {
  let resets = o.resetAfter === undefined ? 0 : 1;
  return (r: Recorded, res: ServerResponse) => {
    const m = /^bytes=(\d+)-$/.exec(String(r.headers.range ?? ''));
    const start = o.honourRange && m ? Number(m[1]) : 0;
    const part = blobBody.subarray(start);
    res.writeHead(start ? 206 : 200, { 'content-length': String(part.length), ...(start ? { 'content-range': `bytes ${start}-${blobBody.length - 1}/${blobBody.length}` } : {}) });
    if (resets > 0) {
      resets--;
      res.write(part.subarray(0, o.resetAfter));
      setTimeout(() => res.socket?.destroy(), 20);
      return;
    }
    res.end(part);
  };
}

test('Range resume returns the offset; a server that ignores Range gives offset 0', async () => {
  const s = await serve(blobServer({ honourRange: true }));
  const c = createRegistryClient(opts());
  const r1 = await c.fetchBlob(ref(s), blobDesc, 1000);
  assert.is(r1.offset, 1000);
  assert.ok((await readAll(r1.stream)).equals(blobBody.subarray(1000)));
  assert.is(s.requests[0]!.headers.range, 'bytes=1000-');
  const s2 = await serve(blobServer({ honourRange: false }));
  const r2 = await c.fetchBlob(ref(s2), blobDesc, 1000);
  assert.is(r2.offset, 0);
  assert.ok((await readAll(r2.stream)).equals(blobBody));
  const s3 = await serve((r, res) => res.writeHead(416).end());
  const r3 = await c.fetchBlob(ref(s3), blobDesc, blobDesc.size);
  assert.is(r3.offset, blobDesc.size);
  assert.is((await readAll(r3.stream)).length, 0);
});

test('a reset mid-body is a stream error; resuming from the received count completes the blob', async () => {
  const s = await serve(blobServer({ honourRange: true, resetAfter: 1500 }));
  const c = createRegistryClient(opts());
  const first = await c.fetchBlob(ref(s), blobDesc);
  const got: Buffer[] = [];
  const err = await new Promise<Error | undefined>((resolve) => {
    first.stream.on('data', (d: Buffer) => got.push(d));
    first.stream.on('error', resolve);
    first.stream.on('end', () => resolve(undefined));
  });
  assert.ok(err, 'stream must error, not end');
  assert.is((err as { code?: string }).code, 'ECONNRESET');
  const have = Buffer.concat(got);
  assert.is(have.length, 1500);
  assert.is((err as { received?: number }).received, 1500);
  assert.match(err!.message, /connection lost after 1500 bytes/);
  const rest = await c.fetchBlob(ref(s), blobDesc, have.length);
  assert.is(rest.offset, 1500);
  const all = Buffer.concat([have, await readAll(rest.stream)]);
  assert.is(sha(all), blobDesc.digest);
});

test('blob redirects are followed without sending Authorization to another host', async () => {
  const storage = await serve((r, res) => res.writeHead(200, { 'content-length': String(blobBody.length) }).end(blobBody));
  const s = await serve((r, res) => {
    if (!r.headers.authorization) return res.writeHead(401, { 'www-authenticate': 'Basic realm="test"' }).end();
    if (r.url.includes('/blobs/')) return res.writeHead(307, { location: `${storage.url}/bucket/blob?sig=abc` }).end();
    res.writeHead(404).end();
  });
  const c = createRegistryClient(opts({ user: 'u:p' }));
  const { stream } = await c.fetchBlob(ref(s), blobDesc);
  assert.ok((await readAll(stream)).equals(blobBody));
  assert.is(storage.requests.length, 1);
  assert.is(storage.requests[0]!.url, '/bucket/blob?sig=abc');
  assert.is(storage.requests[0]!.headers.authorization, undefined);
  assert.is(s.requests.at(-1)!.headers.authorization, 'Basic ' + Buffer.from('u:p').toString('base64'));
});

test('same-host redirects keep Authorization', async () => {
  const s = await serve((r, res) => {
    if (!r.headers.authorization) return res.writeHead(401, { 'www-authenticate': 'Basic realm="t"' }).end();
    if (r.url.startsWith('/v2/')) return res.writeHead(302, { location: '/elsewhere' }).end();
    res.writeHead(200, { 'content-length': String(blobBody.length) }).end(blobBody);
  });
  const { stream } = await createRegistryClient(opts({ user: 'u:p' })).fetchBlob(ref(s), blobDesc);
  assert.ok((await readAll(stream)).equals(blobBody));
  assert.ok(s.requests.at(-1)!.headers.authorization);
});

// --- auth ---------------------------------------------------------------------------

test('concurrent first requests all get through one Basic challenge', async () => {
  const good = 'Basic ' + Buffer.from('u:p').toString('base64');
  const s = await serve((r, res) => {
    if (r.headers.authorization !== good) return res.writeHead(401, { 'www-authenticate': 'Basic realm="test"' }).end();
    res.writeHead(200, { 'content-length': String(blobBody.length) }).end();
  });
  const c = createRegistryClient(opts({ user: 'u:p' }));
  const results = await Promise.all([0, 1, 2, 3, 4].map(() => c.blobExists(ref(s), blobDesc)));
  assert.equal(results, [true, true, true, true, true]);
  // Refused credentials are still refused, not retried forever.
  const bad = await rejects(createRegistryClient(opts({ user: 'u:wrong' })).blobExists(ref(s), blobDesc));
  assert.instance(bad, RegistryError);
});

test('bearer flow: anonymous token, reuse per scope, new token after expiry', async () => {
  let issued = 0;
  const tokens = await serve((r, res) => { issued++; sendJson(res, 200, { token: `tok${issued}`, expires_in: 6 }); });
  const s = await serve((r, res) => {
    if (r.headers.authorization !== `Bearer tok${issued}`) {
      return sendJson(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }, { 'www-authenticate': `Bearer realm="${tokens.url}/token",service="fake",scope="repository:repo/x:pull"` });
    }
    manifestOk(res);
  });
  const c = createRegistryClient(opts());
  await c.resolve(ref(s));
  await c.fetchManifest(ref(s), manifestDesc);
  assert.is(issued, 1);
  const tq = new URL(tokens.requests[0]!.url, 'http://x');
  assert.is(tq.searchParams.get('service'), 'fake');
  assert.equal(tq.searchParams.getAll('scope'), ['repository:repo/x:pull']);
  assert.is(tokens.requests[0]!.headers.authorization, undefined);
  await new Promise((r) => setTimeout(r, 1100)); // expires_in 6 minus 5 s of margin
  await c.fetchManifest(ref(s), manifestDesc);
  assert.is(issued, 2);
});

test('bearer flow with credentials: Basic to the token endpoint; refusal names the token URL', async () => {
  const tokens = await serve((r, res) => {
    if (r.headers.authorization !== 'Basic ' + Buffer.from('alice:pw').toString('base64')) return sendJson(res, 401, { details: 'incorrect username or password' });
    sendJson(res, 200, { access_token: 'good' });
  });
  const s = await serve((r, res) => {
    if (r.headers.authorization !== 'Bearer good') return res.writeHead(401, { 'www-authenticate': `Bearer realm="${tokens.url}/token",service="fake"` }).end();
    manifestOk(res);
  });
  assert.equal(await createRegistryClient(opts({ user: 'alice:pw' })).resolve(ref(s)), manifestDesc);
  const e = await rejects(createRegistryClient(opts({ user: 'alice:bad' })).resolve(ref(s)));
  assert.instance(e, RegistryError);
  assert.is((e as RegistryError).code, 'UNAUTHORIZED');
  assert.match(e.message, /\/token\?service=fake&scope=repository%3Arepo%2Fx%3Apull: UNAUTHORIZED: incorrect username or password$/);
});

test('basic challenge without credentials → UNAUTHORIZED; with them, sent up front afterwards', async () => {
  const s = await serve((r, res) => {
    if (r.headers.authorization !== 'Basic ' + Buffer.from('u:p').toString('base64')) return sendJson(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }, { 'www-authenticate': 'Basic realm="r"' });
    manifestOk(res);
  });
  const e = await rejects(createRegistryClient(opts()).fetchManifest(ref(s), manifestDesc));
  assert.is((e as RegistryError).code, 'UNAUTHORIZED');
  assert.is((e as RegistryError).hint, 'log in with --user or ~/.docker/config.json');
  const c = createRegistryClient(opts({ user: 'u:p' }));
  await c.fetchManifest(ref(s), manifestDesc);
  const before = s.requests.length;
  await c.fetchManifest(ref(s), manifestDesc);
  assert.is(s.requests.length - before, 1, 'no second challenge round');
});

// --- uploads -----------------------------------------------------------------------------

function uploadServer(o: { failFirstPut?: boolean } = {}) {
  const stored = new Map<string, Buffer>();
  let session: Buffer[] = [];
  let failPut = o.failFirstPut ?? false;
  return {
    stored,
    handler: (r: Recorded, res: ServerResponse) => {
      const u = new URL(r.url, 'http://x');
      const blob = /\/blobs\/(sha256:[0-9a-f]+)$/.exec(u.pathname);
      if (r.method === 'HEAD' && blob) return res.writeHead(stored.has(blob[1]!) ? 200 : 404).end();
      if (r.method === 'POST' && u.pathname.endsWith('/blobs/uploads/')) { session = []; return res.writeHead(202, { location: '/v2/repo/x/blobs/uploads/u1?_state=s0' }).end(); }
      if (r.method === 'PATCH') { session.push(r.body); return res.writeHead(202, { location: `/v2/repo/x/blobs/uploads/u1?_state=s${session.length}`, range: `0-${Buffer.concat(session).length - 1}` }).end(); }
      if (r.method === 'PUT' && u.pathname.includes('/blobs/uploads/')) {
        if (failPut) { failPut = false; return sendJson(res, 503, {}); }
        const all = Buffer.concat([...session, r.body]);
        const d = u.searchParams.get('digest')!;
        if (sha(all) !== d) return sendJson(res, 400, { errors: [{ code: 'DIGEST_INVALID', message: 'provided digest did not match uploaded content' }] });
        stored.set(d, all);
        return res.writeHead(201, { location: `/v2/repo/x/blobs/${d}` }).end();
      }
      if (r.method === 'PUT' && u.pathname.includes('/manifests/')) { stored.set(u.pathname, r.body); return res.writeHead(201, { 'docker-content-digest': sha(r.body) }).end(); }
      res.writeHead(404).end();
    },
  };
}

test('monolithic upload: POST then PUT ?digest= with the stream; second push finds it', async () => {
  const up = uploadServer();
  const s = await serve(up.handler);
  const c = createRegistryClient(opts());
  assert.is(await c.pushBlob(ref(s), blobDesc, () => Readable.from([blobBody.subarray(0, 7), blobBody.subarray(7)])), 'uploaded');
  assert.ok(up.stored.get(blobDesc.digest)!.equals(blobBody));
  const put = s.requests.find((q) => q.method === 'PUT')!;
  assert.match(put.url, /^\/v2\/repo\/x\/blobs\/uploads\/u1\?_state=s0&digest=sha256%3A[0-9a-f]{64}$/);
  assert.is(put.headers['content-length'], String(blobBody.length));
  assert.is(await c.pushBlob(ref(s), blobDesc, () => Readable.from([blobBody])), 'exists');
});

test('chunked upload: PATCH with Content-Range start-end, then an empty PUT', async () => {
  const up = uploadServer();
  const s = await serve(up.handler);
  assert.is(await createRegistryClient(opts()).pushBlob(ref(s), blobDesc, () => Readable.from([blobBody]), { chunkSize: 1000 }), 'uploaded');
  const patches = s.requests.filter((q) => q.method === 'PATCH');
  assert.equal(patches.map((p) => p.headers['content-range']), ['0-999', '1000-1999', '2000-2999', '3000-3599']);
  assert.match(patches[1]!.url, /_state=s1$/);
  assert.ok(up.stored.get(blobDesc.digest)!.equals(blobBody));
});

test('a failed upload restarts from a fresh stream', async () => {
  const up = uploadServer({ failFirstPut: true });
  const s = await serve(up.handler);
  let opened = 0;
  assert.is(await createRegistryClient(opts()).pushBlob(ref(s), blobDesc, () => { opened++; return Readable.from([blobBody]); }), 'uploaded');
  assert.is(opened, 2);
  assert.ok(up.stored.get(blobDesc.digest)!.equals(blobBody));
});

test('a stream that does not match the digest is refused by the registry: DIGEST_INVALID', async () => {
  const s = await serve(uploadServer().handler);
  const e = await rejects(createRegistryClient(opts()).pushBlob(ref(s), blobDesc, () => Readable.from([Buffer.alloc(blobBody.length)])));
  assert.is((e as RegistryError).code, 'DIGEST_INVALID');
});

test('pushManifest: to the tag, or the digest; wrong bytes are caught before sending', async () => {
  const up = uploadServer();
  const s = await serve(up.handler);
  const c = createRegistryClient(opts());
  await c.pushManifest(ref(s, 'repo/x:v9'), manifestDesc, manifestBody);
  await c.pushManifest(ref(s, `repo/x@${manifestDesc.digest}`), manifestDesc, manifestBody);
  assert.ok(up.stored.get('/v2/repo/x/manifests/v9')!.equals(manifestBody));
  assert.ok(up.stored.has(`/v2/repo/x/manifests/${manifestDesc.digest}`));
  assert.is(s.requests.find((q) => q.method === 'PUT')!.headers['content-type'], OCI_MANIFEST);
  const n = s.requests.length;
  const e = await rejects(c.pushManifest(ref(s), manifestDesc, Buffer.concat([manifestBody.subarray(0, -1), Buffer.from(' ')])));
  assert.instance(e, DigestMismatchError);
  assert.is(s.requests.length, n);
});

test('concurrent requests meeting one challenge share a token request', async () => {
  let issued = 0;
  const tokens = await serve(async (r, res) => { issued++; await new Promise((ok) => setTimeout(ok, 30)); sendJson(res, 200, { token: 'shared' }); });
  const s = await serve((r, res) => {
    if (r.headers.authorization !== 'Bearer shared') return res.writeHead(401, { 'www-authenticate': `Bearer realm="${tokens.url}/token",service="fake"` }).end();
    res.writeHead(200, { 'content-length': String(blobBody.length) }).end(blobBody);
  });
  const c = createRegistryClient(opts());
  const all = await Promise.all([1, 2, 3, 4].map(async () => readAll((await c.fetchBlob(ref(s), blobDesc)).stream)));
  for (const b of all) assert.ok(b.equals(blobBody));
  assert.is(issued, 1);
});

test('hosts.toml: a failing mirror falls back to the server; push goes to a push-capable host', async () => {
  const { mkdtempSync, mkdirSync, writeFileSync, rmSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const mirror = await serve((r, res) => sendJson(res, 404, { errors: [{ code: 'MANIFEST_UNKNOWN', message: 'not on the mirror' }] }));
  const upstream = await serve((r, res) => {
    if (r.method === 'PUT') return res.writeHead(201).end();
    manifestOk(res);
  });
  const dir = mkdtempSync(join(tmpdir(), 'tsctr-hosts-unit-'));
  try {
    mkdirSync(join(dir, 'example.test'));
    writeFileSync(join(dir, 'example.test', 'hosts.toml'), `server = "http://${upstream.host}"\n[host."http://${mirror.host}"]\n  capabilities = ["pull", "resolve"]\n`);
    const logs: string[] = [];
    const c = createRegistryClient(opts({ plainHttp: false, hostsDir: dir, log: (l) => logs.push(l) }));
    const r = parseReference('example.test/team/app:v1');
    assert.equal(await c.resolve(r), manifestDesc);
    assert.ok(mirror.requests.length >= 1);
    assert.match(mirror.requests[0]!.url, /^\/v2\/team\/app\/manifests\/v1\?ns=example\.test$/);
    assert.ok(logs.some((l) => l.includes('trying the next host')));
    const pushesBefore = mirror.requests.length;
    await c.pushManifest(r, manifestDesc, manifestBody);
    assert.is(mirror.requests.length, pushesBefore, 'the pull-only mirror gets no push');
    assert.is(upstream.requests.at(-1)!.url, '/v2/team/app/manifests/v1');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('network failures are Unavailable with a hint', async () => {
  const s = await serve((r, res) => res.end());
  const host = s.host;
  await s.close();
  servers.length = 0;
  const e = await rejects(createRegistryClient(opts({ maxAttempts: 1 })).resolve(parseReference(`${host}/a:b`)));
  assert.ok(isKind(e, 'Unavailable'));
  assert.match(e.message, /^HEAD http:\/\/127\.0\.0\.1:\d+\/v2\/a\/manifests\/b: .*ECONNREFUSED/);
  assert.match((e as { hint?: string }).hint!, /nothing listens there/);
});

test.run();
