// `images pull` unpacks layers while they download (src/unpack/stream.ts):
// the result is the same as unpacking afterwards, and a layer whose bytes are
// corrupted in transit or whose diff_id does not match commits nothing.
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { Env } from '../../helpers/tsctr.js';
import { registryUnavailable, startRegistry, type TestRegistry } from '../../helpers/registry.js';
import { makeTar, seedImage, type Blob, type TestImage } from '../../helpers/registry-image.js';
import { runAsync } from './helpers.js';
import { makeLayeredImage } from './layered-image.js';

const t = suite('images pull: unpack while downloading');
const why = process.getuid?.() !== 0 ? 'needs root (overlayfs snapshots)' : registryUnavailable();
let reg: TestRegistry;
const envs: Env[] = [];
const env = () => { const e = new Env('speed-stream'); envs.push(e); return e; };
const sha256 = (b: Buffer) => 'sha256:' + createHash('sha256').update(b).digest('hex');
const blob = (mediaType: string, body: Buffer): Blob => ({ desc: { mediaType, digest: sha256(body), size: body.length }, body });

/** Committed snapshots of a namespace, by name. */
function committed(e: Env): string[] {
  const r = e.run(['snapshots', 'ls']);
  assert.is(r.code, 0, r.stderr);
  return r.stdout.split('\n').slice(1).filter((l) => /\bCommitted\b/i.test(l)).map((l) => l.split(/\s+/)[0]!);
}

/** Every snapshot directory on disk (committed, active or half-built). */
function snapshotDirs(e: Env): string[] {
  const dir = join(e.root, 'snapshots/overlayfs/snapshots');
  return existsSync(dir) ? readdirSync(dir) : [];
}

/** An image of two small layers whose config lists `diffIds` (default: the right ones). */
function twoLayers(wrongDiffId = false): TestImage {
  const tars = [makeTar({ 'a/one.txt': 'layer one\n' }), makeTar({ 'a/two.txt': 'layer two\n', 'b/three.txt': 'three\n' })];
  const layers = tars.map((tar) => blob('application/vnd.oci.image.layer.v1.tar+gzip', gzipSync(tar)));
  const diffIds = tars.map(sha256);
  if (wrongDiffId) diffIds[0] = sha256(Buffer.from('not this layer'));
  const config = blob('application/vnd.oci.image.config.v1+json', Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: diffIds } })));
  const manifest = blob('application/vnd.oci.image.manifest.v1+json', Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: config.desc, layers: layers.map((l) => l.desc) })));
  return { manifest, config, layers };
}

/** The registry's stored copy of a blob (filesystem driver), to corrupt in place. */
function registryBlobPath(digest: string): string {
  const hex = digest.slice(7);
  return join(reg.dir, 'data/docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
}

t.before(async () => {
  if (why) return;
  reg = await startRegistry({ mode: 'plain' });
});

t.after(async () => {
  for (const e of envs) e.cleanup();
  await reg?.stop();
});

t('a pulled image is unpacked while it downloads, and matches an unpack done afterwards', async () => {
  if (why) { console.log(`  skipped: ${why}`); return; }
  const img = await seedImage(reg, 'speed/layered', 'v1', makeLayeredImage({ layers: 2, layerBytes: 4 << 20 }));
  const ref = `${reg.host}/speed/layered:v1`;
  const live = env();
  const r = await runAsync(live, ['images', 'pull', '--plain-http', ref]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /while downloading/, r.stdout);
  const after = env();
  const f = await runAsync(after, ['images', 'pull', '--plain-http', '--skip-unpack', ref]);
  assert.is(f.code, 0, f.stderr);
  const u = after.run(['images', 'mount', ref, join(after.root, 'mnt')]);
  assert.is(u.code, 0, u.stderr);
  after.run(['images', 'unmount', join(after.root, 'mnt')]);
  assert.equal(committed(live).sort(), committed(after).sort());
  assert.is(committed(live).length, img.layers.length);
  const m = join(live.root, 'mnt');
  const mount = live.run(['images', 'mount', ref, m]);
  assert.is(mount.code, 0, mount.stderr);
  try {
    assert.is(readdirSync(join(m, 'data')).sort().join(','), 'layer-0.bin,layer-1.bin');
    const tar0 = img.layers[0]!.body;
    assert.ok(tar0.length > 0);
  } finally {
    live.run(['images', 'unmount', m]);
  }
});

t('layers that download while another is applied are applied from the store during the pull, in order', async () => {
  if (why) { console.log(`  skipped: ${why}`); return; }
  const img = await seedImage(reg, 'speed/three', 'v1', makeLayeredImage({ layers: 3, layerBytes: 2 << 20 }));
  const ref = `${reg.host}/speed/three:v1`;
  const live = env();
  const r = await runAsync(live, ['images', 'pull', '--plain-http', '--max-concurrent-downloads', '4', ref]);
  assert.is(r.code, 0, r.stderr);
  // Every layer was committed before the pull returned: nothing was left for the unpack after it.
  assert.match(r.stdout, /unpacked 3, reused 0 \(overlayfs\), 3 while downloading/, r.stdout);
  assert.not.match(r.stdout, /unpacking \d+ layer/, r.stdout);
  const after = env();
  assert.is((await runAsync(after, ['images', 'pull', '--plain-http', '--skip-unpack', ref])).code, 0);
  const m = join(after.root, 'mnt');
  assert.is(after.run(['images', 'mount', ref, m]).code, 0);
  after.run(['images', 'unmount', m]);
  assert.equal(committed(live).sort(), committed(after).sort());
  assert.is(committed(live).length, img.layers.length);
});

t('a layer corrupted in transit commits nothing: no blob, no snapshot, nothing half-built left', async () => {
  if (why) { console.log(`  skipped: ${why}`); return; }
  const img = await seedImage(reg, 'speed/corrupt', 'v1', makeLayeredImage({ layers: 1, layerBytes: 2 << 20 }));
  const path = registryBlobPath(img.layers[0]!.desc.digest);
  const bytes = readFileSync(path);
  bytes[bytes.length >> 1] ^= 0xff; // the middle of the gzip stream
  writeFileSync(path, bytes);
  const e = env();
  const r = await runAsync(e, ['images', 'pull', '--plain-http', `${reg.host}/speed/corrupt:v1`]);
  assert.is.not(r.code, 0, r.stdout);
  assert.match(r.stderr, /digest|mismatch|invalid|unexpected|incorrect/i, r.stderr);
  assert.not.match(r.stderr, /    at /, 'a stack trace');
  assert.equal(committed(e), []);
  assert.not.ok(existsSync(join(e.root, 'content/blobs/sha256', img.layers[0]!.desc.digest.slice(7))), 'the bad blob was committed');
  // The next command touching snapshots finds nothing half-built of a live process.
  assert.equal(snapshotDirs(e).filter((d) => !d.startsWith('.')).length, 0, snapshotDirs(e).join(','));
});

t('a layer whose diff_id does not match the config commits no snapshot', async () => {
  if (why) { console.log(`  skipped: ${why}`); return; }
  await seedImage(reg, 'speed/diffid', 'v1', twoLayers(true));
  const e = env();
  const r = await runAsync(e, ['images', 'pull', '--plain-http', `${reg.host}/speed/diffid:v1`]);
  assert.is.not(r.code, 0, r.stdout);
  assert.match(r.stderr, /diff_ids|mismatch/i, r.stderr);
  assert.not.match(r.stderr, /    at /, 'a stack trace');
  assert.equal(committed(e), []);
  assert.equal(snapshotDirs(e).filter((d) => !d.startsWith('.')).length, 0, snapshotDirs(e).join(','));
});

t('the right diff_ids: both layers committed, the first while downloading', async () => {
  if (why) { console.log(`  skipped: ${why}`); return; }
  await seedImage(reg, 'speed/diffid-ok', 'v1', twoLayers(false));
  const e = env();
  const r = await runAsync(e, ['images', 'pull', '--plain-http', `${reg.host}/speed/diffid-ok:v1`]);
  assert.is(r.code, 0, r.stderr);
  assert.is(committed(e).length, 2);
});

t.run();
