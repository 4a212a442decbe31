// selectImportContent: which blobs an import keeps per platform, and what it
// does with malformed (malicious) archives: self-containing and endlessly
// nested indexes, missing blobs, bad JSON.
import { createHash } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MAX_DEPTH, selectImportContent } from '../../../src/image/import-select.js';
import { MediaType, type Descriptor, type Platform } from '../../../src/descriptor/index.js';

const sha = (b: Buffer | string) => 'sha256:' + createHash('sha256').update(b).digest('hex');
const blobs = new Map<string, Buffer>();
function put(mediaType: string, body: object | string, extra: Partial<Descriptor> = {}): Descriptor {
  const b = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  blobs.set(sha(b), b);
  return { mediaType, digest: sha(b), size: b.length, ...extra };
}
const lookup = (d: string) => blobs.get(d);
const layer = (s: string): Descriptor => ({ mediaType: MediaType.OciLayerGzip, digest: sha(s), size: s.length });
function manifest(tag: string, platform?: Platform): Descriptor {
  const config = { mediaType: MediaType.OciConfig, digest: sha(`config ${tag}`), size: 10 };
  return put(MediaType.OciManifest, { schemaVersion: 2, mediaType: MediaType.OciManifest, config, layers: [layer(`layer ${tag}`)] }, platform ? { platform } : {});
}
const amd = manifest('amd', { os: 'linux', architecture: 'amd64' });
const arm = manifest('arm', { os: 'linux', architecture: 'arm64' });
const att = put(MediaType.OciManifest, { schemaVersion: 2, config: { mediaType: 'application/vnd.in-toto+json', digest: sha('att cfg'), size: 1 }, layers: [] }, {
  platform: { os: 'unknown', architecture: 'unknown' }, annotations: { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': amd.digest },
});
const index = put(MediaType.OciIndex, { schemaVersion: 2, manifests: [amd, arm, att] });
const digestsOf = (tag: string, m: Descriptor) => [m.digest, sha(`config ${tag}`), sha(`layer ${tag}`)];

test('one platform: its manifest, config and layer, its attestation, never the other platform', () => {
  const s = selectImportContent([index], lookup, [{ os: 'linux', architecture: 'amd64' }]);
  assert.equal([...s.keep].sort(), [index.digest, ...digestsOf('amd', amd), att.digest, sha('att cfg')].sort());
  assert.equal(s.chosen.get(index.digest)!.map((m) => m.digest), [amd.digest]);
  assert.equal([...s.seen].sort(), ['linux/amd64', 'linux/arm64']);
  const arm64 = selectImportContent([index], lookup, [{ os: 'linux', architecture: 'arm64' }]);
  assert.not.ok(arm64.keep.has(sha('layer amd')));
  assert.ok(arm64.keep.has(sha('layer arm')));
});

test('all platforms, and two platforms asked for', () => {
  const all = selectImportContent([index], lookup, 'all');
  for (const d of [...digestsOf('amd', amd), ...digestsOf('arm', arm)]) assert.ok(all.keep.has(d));
  const two = selectImportContent([index], lookup, [{ os: 'linux', architecture: 'arm64' }, { os: 'linux', architecture: 'amd64' }]);
  assert.equal(two.chosen.get(index.digest)!.map((m) => m.digest), [arm.digest, amd.digest]);
});

test('no match: nothing chosen, the index itself still named (the caller refuses)', () => {
  const s = selectImportContent([index], lookup, [{ os: 'linux', architecture: 's390x' }]);
  assert.equal(s.chosen.get(index.digest), []);
  assert.equal([...s.keep], [index.digest]);
});

test('top-level entries: filtered by their platform field; without one always kept; duplicates once', () => {
  const s = selectImportContent([arm, amd, amd], lookup, [{ os: 'linux', architecture: 'amd64' }]);
  assert.equal(s.chosen.get(arm.digest), []);
  assert.equal(s.chosen.get(amd.digest)!.map((m) => m.digest), [amd.digest]);
  const bare = manifest('bare');
  assert.equal(selectImportContent([bare], lookup, [{ os: 'linux', architecture: 's390x' }]).chosen.get(bare.digest)!.map((m) => m.digest), [bare.digest]);
});

test('malicious: an index that contains itself is refused, not followed forever', () => {
  // A blob cannot hold its own digest, so the cycle goes through a second index whose
  // lookup is forged to return the first one's bytes.
  const a: Descriptor = { mediaType: MediaType.OciIndex, digest: sha('a'), size: 1 };
  const b: Descriptor = { mediaType: MediaType.OciIndex, digest: sha('b'), size: 1, platform: { os: 'linux', architecture: 'amd64' } };
  const forged = new Map([[a.digest, Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [b] }))], [b.digest, Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [{ ...a, platform: b.platform }] }))]]);
  assert.throws(() => selectImportContent([a], (d) => forged.get(d), 'all'), /contains itself/);
});

test('malicious: indexes nested deeper than MAX_DEPTH are refused', () => {
  let inner = amd;
  for (let i = 0; i <= MAX_DEPTH + 1; i++) inner = put(MediaType.OciIndex, { schemaVersion: 2, manifests: [{ ...inner, platform: { os: 'linux', architecture: 'amd64' } }], n: i });
  assert.throws(() => selectImportContent([inner], lookup, 'all'), /nest deeper than 8/);
});

test('malicious: missing blobs are kept by digest (reported later), bad JSON and wrong shapes throw', () => {
  const ghost: Descriptor = { mediaType: MediaType.OciIndex, digest: sha('ghost'), size: 5 };
  assert.equal([...selectImportContent([ghost], lookup, 'all').keep], [ghost.digest]);
  const notJson = put(MediaType.OciIndex, '{"schemaVersion": 2, "manifests": [');
  assert.throws(() => selectImportContent([notJson], lookup, 'all'), /archive index/);
  const noManifests = put(MediaType.OciIndex, { schemaVersion: 2, manifests: 'x' });
  assert.throws(() => selectImportContent([noManifests], lookup, 'all'), /has no manifests/);
  const badDesc = put(MediaType.OciIndex, { schemaVersion: 2, manifests: [{ mediaType: MediaType.OciManifest, digest: '../../etc/passwd', size: 1 }] });
  assert.throws(() => selectImportContent([badDesc], lookup, 'all'));
  const badManifest = put(MediaType.OciManifest, { schemaVersion: 2, config: {}, layers: [] });
  assert.throws(() => selectImportContent([badManifest], lookup, 'all'));
});

test.run();
