// pullImage against a fake registry client: platform choice, skipping what
// is present, resuming after dropped streams (Range honoured or ignored),
// restarting when resumed bytes turn out bad, and rejecting corrupt blobs.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Readable } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ContentStore } from '../../../src/content/store.js';
import { ImageStore } from '../../../src/image/store.js';
import { pullImage, type ProgressEvent } from '../../../src/image/pull.js';
import { MediaType, type Descriptor } from '../../../src/descriptor/index.js';
import { checkImage } from '../../../src/image/image.js';
import type { RegistryClient } from '../../../src/remote/index.js';
import { rejects } from '../content/suite.js';

const sha = (b: Buffer) => 'sha256:' + createHash('sha256').update(b).digest('hex');
const desc = (mediaType: string, b: Buffer, extra: Partial<Descriptor> = {}): Descriptor => ({ mediaType, digest: sha(b), size: b.length, ...extra });

function makeImage() {
  const layer = Buffer.alloc(1 << 20);
  for (let i = 0; i < layer.length; i++) layer[i] = (i * 7919) & 0xff;
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha(layer)] } }));
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, config: desc(MediaType.OciConfig, config), layers: [desc(MediaType.OciLayer, layer)] }));
  const armManifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, config: desc(MediaType.OciConfig, config), layers: [] }));
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [
    desc(MediaType.OciManifest, manifest, { platform: { os: 'linux', architecture: 'amd64' } }),
    desc(MediaType.OciManifest, armManifest, { platform: { os: 'linux', architecture: 'arm64' } }),
    desc(MediaType.OciManifest, Buffer.from('att'), { platform: { os: 'unknown', architecture: 'unknown' } }),
  ] }));
  const blobs = new Map<string, Buffer>([[sha(layer), layer], [sha(config), config], [sha(manifest), manifest], [sha(armManifest), armManifest], [sha(index), index]]);
  return { layer, config, manifest, index, blobs, top: desc(MediaType.OciIndex, index) };
}

interface FakeOpts { dropAfter?: number[]; ignoreRange?: boolean; corrupt?: boolean; corruptOnce?: boolean }

function fakeClient(img: ReturnType<typeof makeImage>, o: FakeOpts = {}) {
  const calls: { digest: string; offset: number }[] = [];
  const drops = [...(o.dropAfter ?? [])];
  let corruptLeft = o.corruptOnce ? 1 : o.corrupt ? Infinity : 0;
  const client: RegistryClient = {
    async resolve() { return img.top; },
    async fetchManifest(_ref, d) { return img.blobs.get(d.digest)!; },
    async fetchBlob(_ref, d, offset = 0) {
      calls.push({ digest: d.digest, offset });
      let body = img.blobs.get(d.digest)!;
      if (d.digest === sha(img.layer) && corruptLeft > 0) {
        corruptLeft--;
        body = Buffer.from(body);
        body[o.corruptOnce ? 10 : body.length - 1] ^= 0xff;
      }
      const from = o.ignoreRange ? 0 : offset;
      const part = body.subarray(from);
      const drop = d.digest === sha(img.layer) ? drops.shift() : undefined;
      const stream = new Readable({ read() {} });
      const chunks: Buffer[] = [];
      for (let i = 0; i < part.length; i += 64 * 1024) chunks.push(part.subarray(i, i + 64 * 1024));
      let sent = 0;
      const pump = () => {
        const c = chunks.shift();
        if (!c) return void stream.push(null);
        if (drop !== undefined && sent + c.length > drop) {
          stream.push(c.subarray(0, drop - sent));
          setImmediate(() => stream.destroy(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })));
          return;
        }
        sent += c.length;
        stream.push(c);
        setImmediate(pump);
      };
      setImmediate(pump);
      return { stream, offset: from };
    },
    async blobExists() { return false; },
    async pushBlob() { return 'uploaded'; },
    async pushManifest() {},
  };
  return { client, calls };
}

let root = '';
test.before.each(() => { root = mkdtempSync('/tmp/tsctr-unit-pull-'); });
test.after.each(() => rmSync(root, { recursive: true, force: true }));

const open = () => ({ store: new ContentStore(root), images: new ImageStore(root) });

test('pull picks the host platform, skips attestations, records the image; a second pull fetches nothing', async () => {
  const img = makeImage();
  const { store, images } = open();
  const { client, calls } = fakeClient(img);
  const events: ProgressEvent[] = [];
  const r = await pullImage({ store, images, namespace: 'default', ref: 'registry.test/app:1', client, platforms: [{ os: 'linux', architecture: 'amd64' }], onProgress: (e) => events.push(e) });
  assert.is(r.name, 'registry.test/app:1');
  assert.is(r.fetched, 4); // index, manifest, config, layer
  assert.equal((await images.list('default')).map((i) => i.target.digest), [img.top.digest]);
  assert.is((await checkImage(store, await images.get('default', 'registry.test/app:1'))).status, 'complete');
  assert.ok(events.some((e) => e.kind === 'layer' && e.status === 'done'));
  const again = await pullImage({ store, images, namespace: 'default', ref: 'registry.test/app:1', client });
  assert.is(again.fetched, 0);
  assert.is(again.existed, 4);
  assert.is(calls.length, 2, 'blobs are fetched only the first time');
});

test('a dropped stream resumes from the bytes already written (Range)', async () => {
  const img = makeImage();
  const { store, images } = open();
  const { client, calls } = fakeClient(img, { dropAfter: [300_000, 200_000] });
  const statuses: string[] = [];
  await pullImage({ store, images, namespace: 'default', ref: 'registry.test/app:1', client, onProgress: (e) => { if (e.kind === 'layer') statuses.push(e.status); } });
  // Bytes still buffered when a stream breaks are not on disk: resume from what was written.
  const layerCalls = calls.filter((c) => c.digest === sha(img.layer)).map((c) => c.offset);
  assert.is(layerCalls.length, 3);
  assert.is(layerCalls[0], 0);
  assert.ok(layerCalls[1]! > 0 && layerCalls[1]! <= 300_000 && layerCalls[2]! > layerCalls[1]!, String(layerCalls));
  assert.ok(statuses.includes('resuming'));
  assert.equal(await store.readBlob(sha(img.layer)), img.layer);
});

test('a registry that ignores Range makes the writer start over', async () => {
  const img = makeImage();
  const { store, images } = open();
  const { client, calls } = fakeClient(img, { dropAfter: [400_000], ignoreRange: true });
  await pullImage({ store, images, namespace: 'default', ref: 'registry.test/app:1', client });
  const layerCalls = calls.filter((c) => c.digest === sha(img.layer)).map((c) => c.offset);
  assert.is(layerCalls.length, 2);
  assert.ok(layerCalls[1]! > 0, 'asked to resume; the answer from byte 0 reset the writer');
  assert.equal(await store.readBlob(sha(img.layer)), img.layer);
});

test('a corrupt blob fails the pull with a digest mismatch; nothing is recorded or committed', async () => {
  const img = makeImage();
  const { store, images } = open();
  const { client } = fakeClient(img, { corrupt: true });
  await rejects(() => pullImage({ store, images, namespace: 'default', ref: 'registry.test/app:1', client }), /digest mismatch/);
  assert.equal(await images.list('default'), []);
  assert.not.ok(await store.has(sha(img.layer)));
  assert.equal(await store.ingests(), []);
});

test('resumed bytes that turn out bad are dropped and the blob is fetched again from 0', async () => {
  const img = makeImage();
  const { store, images } = open();
  const { client, calls } = fakeClient(img, { dropAfter: [100_000], corruptOnce: true });
  // First attempt: a corrupt byte near the start, dropped at 100 000; the resume gets good bytes, so the
  // digest fails at the end; tsctr then restarts from 0 once and succeeds.
  await pullImage({ store, images, namespace: 'default', ref: 'registry.test/app:1', client });
  const layerCalls = calls.filter((c) => c.digest === sha(img.layer)).map((c) => c.offset);
  assert.is(layerCalls.length, 3);
  assert.ok(layerCalls[1]! > 0);
  assert.is(layerCalls[2], 0);
  assert.equal(await store.readBlob(sha(img.layer)), img.layer);
});

test('an unknown platform names the ones the image has', async () => {
  const img = makeImage();
  const { store, images } = open();
  const { client } = fakeClient(img);
  await rejects(() => pullImage({ store, images, namespace: 'default', ref: 'registry.test/app:1', client, platforms: [{ os: 'linux', architecture: 's390x' }] }), /no manifest for linux\/s390x \(image has linux\/amd64, linux\/arm64\)/);
});

test.run();
