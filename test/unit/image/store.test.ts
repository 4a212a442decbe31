// Image metadata and namespaces, GC reachability, index.json for skopeo.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ContentStore } from '../../../src/content/store.js';
import { collectGarbage } from '../../../src/image/gc.js';
import { ImageStore } from '../../../src/image/store.js';
import { checkImage, findImage, loadImage } from '../../../src/image/image.js';
import { MediaType, type Descriptor } from '../../../src/descriptor/index.js';
import { rejects } from '../content/suite.js';
import { snapshotsHeldBy } from '../../../src/snapshot/metadata.js';

let root = '';
test.before.each(() => { root = mkdtempSync('/tmp/tsctr-unit-image-'); });
test.after.each(() => rmSync(root, { recursive: true, force: true }));

/** A one-layer image written straight into the store. */
async function addImage(store: ContentStore, layerText: string, sharedLayer?: Buffer): Promise<{ manifest: Descriptor; index: Descriptor; layers: Descriptor[] }> {
  const put = async (b: Buffer, mediaType: string, extra: Partial<Descriptor> = {}): Promise<Descriptor> => ({ mediaType, ...(await store.writeBlob(b)), ...extra });
  const strip = (x: Descriptor & { existed?: boolean }) => { const { existed, ...rest } = x; void existed; return rest as Descriptor; };
  const layers = [strip(await put(Buffer.from(layerText), MediaType.OciLayer))];
  if (sharedLayer) layers.push(strip(await put(sharedLayer, MediaType.OciLayer)));
  const config = strip(await put(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) } })), MediaType.OciConfig));
  const manifest = strip(await put(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, config, layers })), MediaType.OciManifest));
  const missing = { mediaType: MediaType.OciManifest, digest: 'sha256:' + 'e'.repeat(64), size: 10, platform: { os: 'linux', architecture: 'arm64' } };
  const index = strip(await put(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [{ ...manifest, platform: { os: 'linux', architecture: 'amd64' } }, missing] })), MediaType.OciIndex));
  return { manifest, index, layers };
}

test('put/get/list/delete and the OCI index.json follow the metadata', async () => {
  const store = new ContentStore(root);
  const images = new ImageStore(root);
  const a = await addImage(store, 'layer a');
  await images.put('default', 'docker.io/library/a:latest', a.index);
  await images.put('other', 'docker.io/library/a:latest', a.manifest, { team: 'x' });
  assert.equal((await images.list('default')).map((i) => i.name), ['docker.io/library/a:latest']);
  assert.is((await findImage(images, 'default', 'a')).target.digest, a.index.digest);
  assert.is((await findImage(images, 'default', 'a:latest')).name, 'docker.io/library/a:latest');
  await rejects(() => findImage(images, 'default', 'b'), /image "b" not found in namespace "default"/);
  const idx = JSON.parse(readFileSync(join(root, 'content/index.json'), 'utf8')) as { manifests: Descriptor[] };
  assert.equal(idx.manifests.map((m) => [m.digest, m.annotations?.['io.tsctr.namespace'], m.annotations?.['org.opencontainers.image.ref.name']]), [
    [a.index.digest, 'default', 'docker.io/library/a:latest'],
    [a.manifest.digest, 'other', 'docker.io/library/a:latest'],
  ]);
  await rejects(() => images.create('default', 'docker.io/library/a:latest', a.manifest), /already exists/);
  const labelled = await images.setLabels('other', 'docker.io/library/a:latest', { team: '', env: 'prod' });
  assert.equal(labelled.labels, { env: 'prod' });
  await images.delete('default', 'docker.io/library/a:latest');
  assert.equal(await images.list('default'), []);
});

test('loadImage picks the host manifest from an index and reads the config', async () => {
  const store = new ContentStore(root);
  const images = new ImageStore(root);
  const a = await addImage(store, 'layer a');
  await images.put('default', 'docker.io/library/a:latest', a.index);
  const img = await loadImage(root, 'default', 'a');
  assert.is(img.manifestDescriptor.digest, a.manifest.digest);
  assert.equal(img.config.config?.Cmd, ['sh']);
  assert.equal(img.layers.map((l) => l.digest), a.layers.map((l) => l.digest));
  assert.is(img.configDescriptor.mediaType, MediaType.OciConfig);
  await rejects(() => loadImage(root, 'default', 'a', { platform: { os: 'linux', architecture: 'arm64' } }), /no manifest for linux\/arm64 in the store.*pulled linux\/amd64/);
  const c = await checkImage(store, await findImage(images, 'default', 'a'));
  assert.is(c.status, 'complete');
  assert.is(c.required, 2); // config + layer, as ctr counts
  await store.delete(a.layers[0]!.digest);
  const c2 = await checkImage(store, await findImage(images, 'default', 'a'));
  assert.is(c2.status, 'incomplete');
  assert.equal(c2.missing, [a.layers[0]!.digest]);
});

test('garbage collection keeps what any namespace references, shared layers included', async () => {
  const store = new ContentStore(root);
  const images = new ImageStore(root);
  const shared = Buffer.from('shared layer');
  const a = await addImage(store, 'layer a', shared);
  const b = await addImage(store, 'layer b', shared);
  const stray = await store.writeBlob(Buffer.from('stray'));
  await images.put('default', 'a', a.index);
  await images.put('ns2', 'b', b.manifest);
  const roots = async () => (await images.allTargets()).map((t) => t.image.target);
  const dry = await collectGarbage(store, roots, { dryRun: true });
  assert.equal(dry.removed.map((r) => r.digest).sort(), [stray.digest, b.index.digest].sort()); // b was named by its manifest, so its index is garbage
  assert.ok(await store.has(stray.digest));
  await collectGarbage(store, roots);
  assert.not.ok(await store.has(stray.digest));
  await images.delete('default', 'a');
  const r = await collectGarbage(store, roots);
  assert.is(r.removed.length, 4); // a's index, manifest, config, own layer
  assert.ok(await store.has(b.layers[1]!.digest));
  assert.is((await checkImage(store, await images.get('ns2', 'b'))).status, 'complete');
});

test('garbage collection waits for a lease, so the blobs of a pull survive until it names them', async () => {
  const store = new ContentStore(root);
  const images = new ImageStore(root);
  const lease = await store.lease();
  const a = await addImage(store, 'being pulled');
  let waited = false;
  let done = false;
  const gc = collectGarbage(store, async () => (await images.allTargets()).map((t) => t.image.target), { onWait: () => { waited = true; } }).then((r) => { done = true; return r; });
  await new Promise((r) => setTimeout(r, 150));
  assert.ok(waited);
  assert.not.ok(done);
  await images.put('default', 'pulled', a.manifest);
  lease.release();
  const r = await gc;
  assert.equal(r.removed.map((b) => b.digest), [a.index.digest]); // only what the name does not reach
  assert.is((await checkImage(store, await images.get('default', 'pulled'))).status, 'complete');
});

test('prune --ingests drops interrupted downloads, not held ones', async () => {
  const store = new ContentStore(root);
  const w1 = (await store.openWriter('left', { digest: 'sha256:' + 'a'.repeat(64), size: 10 }))!;
  await w1.write(Buffer.from('abc'));
  await w1.close();
  const w2 = (await store.openWriter('held', { digest: 'sha256:' + 'b'.repeat(64), size: 10 }))!;
  const r = await collectGarbage(store, async () => [], { ingests: true });
  assert.equal(r.removedIngests, ['left']);
  assert.equal((await store.ingests()).map((i) => i.ref), ['held']);
  await w2.abort();
});

test('namespaces: create with labels, refuse to remove a non-empty one naming what is in it', async () => {
  const store = new ContentStore(root);
  const images = new ImageStore(root);
  await images.createNamespace('dev', { owner: 'me' });
  await rejects(() => images.createNamespace('dev'), /already exists/);
  const a = await addImage(store, 'x');
  await images.put('dev', 'docker.io/library/x:latest', a.manifest);
  await rejects(() => images.removeNamespace('dev'), /namespace "dev" is not empty: it has 1 image \(docker.io\/library\/x:latest\)/);
  await images.delete('dev', 'docker.io/library/x:latest');
  // Another module's records count too.
  mkdirSync(join(root, 'metadata/dev/containers'), { recursive: true });
  writeFileSync(join(root, 'metadata/dev/containers/c1.json'), '{}');
  await rejects(() => images.removeNamespace('dev'), /it has 1 containers \(c1\)/);
  rmSync(join(root, 'metadata/dev/containers/c1.json'));
  mkdirSync(join(root, 'snapshots/overlayfs'), { recursive: true });
  writeFileSync(join(root, 'snapshots/overlayfs/metadata.json'), JSON.stringify({ version: 1, namespaces: { dev: { a: {}, b: {} }, default: {} } }));
  await rejects(() => images.removeNamespace('dev', (ns) => snapshotsHeldBy(root, ns)), /it has 2 overlayfs snapshots/);
  writeFileSync(join(root, 'snapshots/overlayfs/metadata.json'), JSON.stringify({ version: 1, namespaces: { dev: {} } }));
  await images.removeNamespace('dev', (ns) => snapshotsHeldBy(root, ns));
  assert.equal((await images.namespaces()).map((n) => n.name), []);
  await rejects(() => images.removeNamespace('dev'), /not found/);
});

test.run();
