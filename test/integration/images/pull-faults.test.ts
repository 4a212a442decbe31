// `images pull` against a scripted registry (test/helpers/registry-fake.ts)
// that misbehaves at chosen moments, with layers downloading in parallel:
// a layer that fails its digest while another is still downloading, and a
// connection dropped in the middle of a layer (with and without Range
// support on the retry). What must hold: nothing unverified reaches blobs/,
// no snapshot of a bad layer is committed, the error is one line, and a
// dropped connection costs a resumed request, not the pull.
import { existsSync, readdirSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Env } from '../../helpers/tsctr.js';
import { startFakeServer, type FakeServer, type Recorded } from '../../helpers/registry-fake.js';
import type { TestImage } from '../../helpers/registry-image.js';
import { runAsync } from './helpers.js';
import { makeLayeredImage } from './layered-image.js';

const t = suite('images pull: faults while layers download in parallel');
const why = process.getuid?.() !== 0 ? 'needs root (overlayfs snapshots)' : undefined;
const envs: Env[] = [];
const servers: FakeServer[] = [];
const env = () => { const e = new Env('pull-faults'); envs.push(e); return e; };

t.after(async () => {
  for (const e of envs) e.cleanup();
  for (const s of servers) await s.close();
});

type BlobHandler = (req: Recorded, res: ServerResponse, body: Buffer) => unknown;

/** A registry serving one image as repo pull/faults:v1; blob requests go to `onBlob` (default: the whole blob). */
async function fakeRegistry(img: TestImage, onBlob?: BlobHandler): Promise<FakeServer> {
  const blobs = new Map([img.config, ...img.layers].map((b) => [b.desc.digest, b.body]));
  const s = await startFakeServer(async (req, res) => {
    const m = /^\/v2\/pull\/faults\/(manifests|blobs)\/([^/?]+)$/.exec(req.url);
    if (!m) return res.writeHead(404).end();
    if (m[1] === 'manifests') {
      if (m[2] !== 'v1' && m[2] !== img.manifest.desc.digest) return res.writeHead(404).end();
      res.writeHead(200, { 'content-type': img.manifest.desc.mediaType, 'docker-content-digest': img.manifest.desc.digest, 'content-length': String(img.manifest.body.length) });
      return res.end(req.method === 'HEAD' ? undefined : img.manifest.body);
    }
    const body = blobs.get(m[2]!);
    if (!body) return res.writeHead(404).end();
    if (onBlob) return onBlob(req, res, body);
    res.writeHead(200, { 'content-length': String(body.length) }).end(body);
  });
  servers.push(s);
  return s;
}

const until = async (cond: () => boolean, what: string) => {
  for (let i = 0; i < 1500 && !cond(); i++) await new Promise((r) => setTimeout(r, 20));
  if (!cond()) throw new Error(`gave up waiting: ${what}`);
};

/** Committed snapshots of the default namespace. */
function committed(e: Env): string[] {
  const r = e.run(['snapshots', 'ls']);
  assert.is(r.code, 0, r.stderr);
  return r.stdout.split('\n').slice(1).filter((l) => /\bCommitted\b/i.test(l)).map((l) => l.split(/\s+/)[0]!);
}

const hexOf = (digest: string) => digest.slice('sha256:'.length);
const blobIn = (e: Env, digest: string) => existsSync(join(e.root, 'content/blobs/sha256', hexOf(digest)));
const ingestOf = (e: Env, digest: string) => join(e.root, 'content/ingest', 'sha256-' + hexOf(digest));

t('a layer that fails its digest while another is still downloading: one-line error, nothing unverified stored or committed', async () => {
  if (why) { console.log(`  skipped: ${why}`); return; }
  const img = makeLayeredImage({ layers: 2, layerBytes: 1 << 20 });
  const [good, bad] = img.layers.map((l) => l.desc);
  const e = env();
  let badServed = false;
  let goodHeld = false;
  const s = await fakeRegistry(img, async (req, res, body) => {
    if (req.url.endsWith(bad!.digest)) {
      const wrong = Buffer.from(body);
      wrong[wrong.length >> 1] ^= 0xff; // same size, wrong digest
      res.on('finish', () => { badServed = true; });
      return res.writeHead(200, { 'content-length': String(wrong.length) }).end(wrong);
    }
    if (!req.url.endsWith(good!.digest)) return res.writeHead(200, { 'content-length': String(body.length) }).end(body);
    // The good layer: half now, the rest once the bad one was served and
    // its ingest dropped (commit() found the mismatch) while this one is open.
    res.writeHead(200, { 'content-length': String(body.length) });
    res.write(body.subarray(0, body.length >> 1));
    goodHeld = true;
    await until(() => badServed && !existsSync(ingestOf(e, bad!.digest)), 'the bad layer to be refused');
    res.end(body.subarray(body.length >> 1));
  });
  const r = await runAsync(e, ['images', 'pull', '--plain-http', '--max-concurrent-downloads', '3', `${s.host}/pull/faults:v1`]);
  assert.ok(goodHeld, 'the good layer was downloading when the bad one failed');
  assert.is(r.code, 1, r.stdout + r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.is(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /sha256:/);
  assert.match(lines[0]!, /digest|mismatch/i);
  assert.not.match(r.stderr, /    at /, 'a stack trace');
  // The bad blob: not in blobs/, and its bytes dropped (nothing to resume from).
  assert.not.ok(blobIn(e, bad!.digest), 'the bad blob was committed');
  assert.not.ok(existsSync(ingestOf(e, bad!.digest)), 'the bad bytes were kept');
  // The good one finished and verified: stored, and its layer committed; the
  // bad layer (the second in the chain) is not, and no extract is left over.
  assert.ok(blobIn(e, good!.digest));
  assert.ok(committed(e).length <= 1, committed(e).join(','));
  const dirs = readdirSync(join(e.root, 'snapshots/overlayfs/snapshots'));
  assert.is(dirs.length, committed(e).length, dirs.join(','));
  // No image was recorded.
  const ls = e.run(['images', 'ls', '-q']);
  assert.is(ls.stdout.trim(), '', ls.stdout);
});

/** A blob handler that cuts the first GET of `digest` after half its bytes; `range` says whether the retry gets a 206. */
function dropOnce(digest: string, range: boolean): BlobHandler {
  let dropped = false;
  return (req, res, body) => {
    if (!req.url.endsWith(digest)) return res.writeHead(200, { 'content-length': String(body.length) }).end(body);
    if (!dropped) {
      dropped = true;
      res.writeHead(200, { 'content-length': String(body.length) });
      res.write(body.subarray(0, body.length >> 1), () => res.socket?.destroy());
      return;
    }
    const m = /^bytes=(\d+)-$/.exec(String(req.headers.range ?? ''));
    if (!range || !m) return res.writeHead(200, { 'content-length': String(body.length) }).end(body);
    const from = Number(m[1]);
    res.writeHead(206, { 'content-length': String(body.length - from), 'content-range': `bytes ${from}-${body.length - 1}/${body.length}` }).end(body.subarray(from));
  };
}

for (const range of [true, false]) {
  t(`a connection dropped in the middle of a layer: the download resumes${range ? ' from where it broke off' : ' from byte 0 (Range ignored)'} and the layer is unpacked`, async () => {
    if (why) { console.log(`  skipped: ${why}`); return; }
    const img = makeLayeredImage({ layers: 2, layerBytes: 1 << 20 });
    const first = img.layers[0]!.desc;
    const s = await fakeRegistry(img, dropOnce(first.digest, range));
    const e = env();
    const r = await runAsync(e, ['images', 'pull', '--plain-http', `${s.host}/pull/faults:v1`]);
    assert.is(r.code, 0, r.stdout + r.stderr);
    const gets = s.requests.filter((q) => q.url.endsWith(first.digest));
    assert.is(gets.length, 2, gets.map((q) => JSON.stringify(q.headers.range)).join(','));
    assert.is(gets[0]!.headers.range, undefined);
    const m = /^bytes=(\d+)-$/.exec(String(gets[1]!.headers.range));
    assert.ok(m && Number(m[1]) > 0 && Number(m[1]) <= first.size >> 1, String(gets[1]!.headers.range));
    assert.match(r.stdout, /unpacked 2, reused 0/, r.stdout);
    assert.is(committed(e).length, 2);
    for (const l of img.layers) assert.ok(blobIn(e, l.desc.digest));
    const check = e.run(['images', 'check']);
    assert.is(check.code, 0, check.stderr);
    assert.match(check.stdout, /complete/, check.stdout);
  });
}

t.run();
