// Archive formats: tsctr export → import, docker save (legacy, uncompressed
// layer.tar, no index.json), OCI index with only ref.name (+ --base-name),
// corrupt blobs and non-archives.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Header } from 'tar';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ContentStore } from '../../../src/content/store.js';
import { ImageStore } from '../../../src/image/store.js';
import { importArchive } from '../../../src/image/import.js';
import { exportImages } from '../../../src/image/export.js';
import { loadImage, checkImage } from '../../../src/image/image.js';
import { MediaType } from '../../../src/descriptor/index.js';
import { rejects } from '../content/suite.js';

const sha = (b: Buffer | string) => 'sha256:' + createHash('sha256').update(b).digest('hex');
const hex = (d: string) => d.slice(7);

function tar(files: [string, Buffer | string][]): Buffer {
  const out: Buffer[] = [];
  for (const [path, body] of files) {
    const b = Buffer.from(body);
    const h = Buffer.alloc(512);
    new Header({ path, type: 'File', mode: 0o644, size: b.length, mtime: new Date(0), uid: 0, gid: 0 }).encode(h, 0);
    out.push(h, b, Buffer.alloc((512 - (b.length % 512)) % 512));
  }
  out.push(Buffer.alloc(1024));
  return Buffer.concat(out);
}

let dir = '';
let store: ContentStore;
let images: ImageStore;
test.before.each(() => {
  dir = mkdtempSync('/tmp/tsctr-unit-archive-');
  store = new ContentStore(join(dir, 'root'));
  images = new ImageStore(join(dir, 'root'));
});
test.after.each(() => rmSync(dir, { recursive: true, force: true }));

function layerTar(text: string): Buffer {
  return tar([['etc/hello', text]]);
}

function ociArchive(annotations: Record<string, string>, corrupt = false): { file: string; manifest: string } {
  const layer = gzipSync(layerTar('oci'));
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: [sha(layerTar('oci'))] } }));
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, config: { mediaType: MediaType.OciConfig, digest: sha(config), size: config.length }, layers: [{ mediaType: MediaType.OciLayerGzip, digest: sha(layer), size: layer.length }] }));
  const index = JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: MediaType.OciManifest, digest: sha(manifest), size: manifest.length, annotations }] });
  const badLayer = Buffer.from(layer);
  if (corrupt) badLayer[badLayer.length - 5] ^= 0xff;
  const file = join(dir, 'oci.tar');
  writeFileSync(file, tar([['oci-layout', '{"imageLayoutVersion":"1.0.0"}'], ['blobs/sha256/' + hex(sha(config)), config], ['blobs/sha256/' + hex(sha(layer)), badLayer], ['blobs/sha256/' + hex(sha(manifest)), manifest], ['index.json', index]]));
  return { file, manifest: sha(manifest) };
}

test('an OCI archive named by io.containerd.image.name imports; export → import round-trips', async () => {
  const a = ociArchive({ 'io.containerd.image.name': 'docker.io/library/oci:1', 'org.opencontainers.image.ref.name': '1' });
  const found = await importArchive({ store, images, namespace: 'default', file: a.file });
  assert.equal(found.map((f) => [f.name, f.target.digest]), [['docker.io/library/oci:1', a.manifest]]);
  const img = await loadImage(store.root, 'default', 'oci:1', { store, images });
  assert.equal(img.config.config?.Cmd, ['sh']);

  const out = join(dir, 'export.tar');
  const r = await exportImages({ store, images, namespace: 'default', names: ['oci:1'], file: out });
  assert.is(r.blobs, 3);
  const other = new ContentStore(join(dir, 'root2'));
  const otherImages = new ImageStore(join(dir, 'root2'));
  const again = await importArchive({ store: other, images: otherImages, namespace: 'x', file: out });
  assert.equal(again.map((f) => [f.name, f.target.digest]), [['docker.io/library/oci:1', a.manifest]]);
  assert.is((await checkImage(other, await otherImages.get('x', 'docker.io/library/oci:1'))).status, 'complete');
});

test('ref.name holding only a tag needs --base-name (ctr rules); --index-name names the index', async () => {
  const a = ociArchive({ 'org.opencontainers.image.ref.name': 'v2' });
  await rejects(() => importArchive({ store, images, namespace: 'default', file: a.file }), /no image in the archive has a name/);
  const found = await importArchive({ store, images, namespace: 'default', file: a.file, baseName: 'registry.example/team/app', indexName: 'my-index' });
  assert.equal(found.map((f) => f.name), ['registry.example/team/app:v2', 'my-index']);
  assert.is(found[1]!.target.mediaType, MediaType.OciIndex);
});

test('a corrupt blob in the archive is rejected and no image is recorded', async () => {
  const a = ociArchive({ 'io.containerd.image.name': 'docker.io/library/oci:1' }, true);
  await rejects(() => importArchive({ store, images, namespace: 'default', file: a.file }), /digest mismatch/);
  assert.equal(await images.list('default'), []);
  assert.equal(await store.ingests(), []);
});

test('a legacy docker save archive (manifest.json, repositories, layer.tar) imports as a docker manifest', async () => {
  const l1 = layerTar('one');
  const l2 = layerTar('two');
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Entrypoint: ['/bin/app'] }, rootfs: { type: 'layers', diff_ids: [sha(l1), sha(l2)] } }));
  const file = join(dir, 'docker.tar');
  writeFileSync(file, tar([
    [`${hex(sha(config))}.json`, config],
    ['aaa/layer.tar', l1], ['aaa/VERSION', '1.0'], ['aaa/json', '{}'],
    ['bbb/layer.tar', l2], ['bbb/VERSION', '1.0'], ['bbb/json', '{}'],
    ['manifest.json', JSON.stringify([{ Config: `${hex(sha(config))}.json`, RepoTags: ['myapp:1.0', 'quay.io/x/y:2'], Layers: ['aaa/layer.tar', 'bbb/layer.tar'] }])],
    ['repositories', JSON.stringify({ myapp: { '1.0': 'bbb' } })],
  ]));
  const found = await importArchive({ store, images, namespace: 'default', file });
  assert.equal(found.map((f) => f.name), ['docker.io/library/myapp:1.0', 'quay.io/x/y:2']);
  const img = await loadImage(store.root, 'default', 'myapp:1.0', { store, images });
  assert.is(img.manifestDescriptor.mediaType, MediaType.DockerManifest);
  assert.equal(img.layers.map((l) => [l.mediaType, l.digest]), [[MediaType.DockerLayer, sha(l1)], [MediaType.DockerLayer, sha(l2)]]);
  assert.equal(img.config.config?.Entrypoint, ['/bin/app']);
  assert.equal(await store.ingests(), []);
});

test('gzip- and zstd-compressed archives import; a truncated zstd archive fails', async () => {
  const a = ociArchive({ 'io.containerd.image.name': 'docker.io/library/oci:1' });
  const raw = readFileSync(a.file);
  writeFileSync(join(dir, 'a.tar.gz'), gzipSync(raw));
  assert.equal((await importArchive({ store, images, namespace: 'default', file: join(dir, 'a.tar.gz') })).map((f) => f.name), ['docker.io/library/oci:1']);
  if (spawnSync('zstd', ['--version']).status !== 0) {
    console.log('  SKIP zstd archive: the zstd program is not installed (apt-get install zstd)');
    return;
  }
  spawnSync('zstd', ['-q', '-f', a.file, '-o', join(dir, 'a.tar.zst')]);
  const other = new ImageStore(join(dir, 'root-zst'));
  const zs = new ContentStore(join(dir, 'root-zst'));
  assert.equal((await importArchive({ store: zs, images: other, namespace: 'default', file: join(dir, 'a.tar.zst') })).map((f) => f.name), ['docker.io/library/oci:1']);
  writeFileSync(join(dir, 'cut.zst'), readFileSync(join(dir, 'a.tar.zst')).subarray(0, 200));
  await rejects(() => importArchive({ store: zs, images: other, namespace: 'x', file: join(dir, 'cut.zst') }), /zstd -d .*cut.zst/);
});

test('a file that is not an image archive says so', async () => {
  const file = join(dir, 'junk.tar');
  writeFileSync(file, tar([['hello.txt', 'hi']]));
  await rejects(() => importArchive({ store, images, namespace: 'default', file }), /not an image archive \(no index.json or manifest.json\)/);
});

test('export refuses an image whose blobs are missing, leaving no partial file', async () => {
  const a = ociArchive({ 'io.containerd.image.name': 'docker.io/library/oci:1' });
  await importArchive({ store, images, namespace: 'default', file: a.file });
  const img = await loadImage(store.root, 'default', 'oci:1', { store, images });
  await store.delete(img.layers[0]!.digest);
  const out = join(dir, 'x.tar');
  await rejects(() => exportImages({ store, images, namespace: 'default', names: ['oci:1'], file: out }), /is not in the store/);
  assert.not.ok(existsSync(out));
});

test.run();
