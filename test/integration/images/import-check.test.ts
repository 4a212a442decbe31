// images import (unpack by default, --no-unpack, --platform, --all-platforms)
// and images check (exit codes, --verify), through the CLI, on a
// two-platform archive this test builds.
import { createHash } from 'node:crypto';
import { readdirSync, writeFileSync, mkdtempSync, rmSync, openSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Env } from '../../helpers/tsctr.js';
import { rootTest } from '../../helpers/root.js';
import { makeTar } from '../../helpers/registry-image.js';

const t = suite('images import and check');
const sha = (b: Buffer) => 'sha256:' + createHash('sha256').update(b).digest('hex');
const json = (o: unknown) => Buffer.from(JSON.stringify(o));
const REF = 'example.com/images/two:1';
const envs: Env[] = [];
const env = (n: string) => { const e = new Env(`images-ic-${n}`); envs.push(e); return e; };
let dir: string;
let archive: string;
const plat: Record<string, { manifest: string; config: string; layer: string }> = {};
let indexDigest: string;

/** An OCI archive with one index naming an amd64 and an arm64 manifest, each with its own config and layer. */
function buildArchive(): string {
  const files: Record<string, Buffer> = { 'oci-layout': json({ imageLayoutVersion: '1.0.0' }) };
  const manifests = [];
  for (const arch of ['amd64', 'arm64']) {
    const tar = makeTar({ 'platform.txt': `${arch}\n` });
    const layer = gzipSync(tar);
    const config = json({ architecture: arch, os: 'linux', config: { Cmd: ['/bin/sh'] }, rootfs: { type: 'layers', diff_ids: [sha(tar)] } });
    const manifest = json({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha(layer), size: layer.length }] });
    for (const b of [layer, config, manifest]) files[`blobs/sha256/${sha(b).slice(7)}`] = b;
    plat[arch] = { manifest: sha(manifest), config: sha(config), layer: sha(layer) };
    manifests.push({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha(manifest), size: manifest.length, platform: { architecture: arch, os: 'linux' } });
  }
  const index = json({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests });
  indexDigest = sha(index);
  files[`blobs/sha256/${indexDigest.slice(7)}`] = index;
  // index.json last, as ctr export writes it: the importer must read the archive twice.
  files['index.json'] = json({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.index.v1+json', digest: indexDigest, size: index.length, annotations: { 'io.containerd.image.name': REF } }] });
  const file = join(dir, 'two.tar');
  writeFileSync(file, makeTar(files));
  return file;
}

const blobsIn = (e: Env) => readdirSync(join(e.root, 'content/blobs/sha256')).map((h) => `sha256:${h}`).sort();
const host = process.arch === 'arm64' ? 'arm64' : 'amd64';
const other = host === 'amd64' ? 'arm64' : 'amd64';

t.before(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsctr-images-ic-'));
  archive = buildArchive();
});
t.after(() => {
  envs.forEach((e) => e.cleanup());
  rmSync(dir, { recursive: true, force: true });
});

t('--no-unpack, default platform: only this host\'s blobs are stored; check says complete, exit 0', () => {
  const e = env('host');
  const r = e.run(['images', 'import', '--no-unpack', archive]);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, `${REF}\t${indexDigest}\tlinux/${host}\n`);
  assert.equal(blobsIn(e), [indexDigest, plat[host]!.manifest, plat[host]!.config, plat[host]!.layer].sort());
  assert.equal(e.run(['snapshots', 'ls', '-q']).stdout, '', 'nothing unpacked');
  const check = e.run(['images', 'check', '--format', 'json']);
  assert.is(check.code, 0, check.stderr);
  assert.is((JSON.parse(check.stdout) as { status: string }[])[0]!.status, 'complete');
  // The other platform was not imported: incomplete for it, and still exit 0 (as ctr).
  const forOther = e.run(['images', 'check', '--platform', `linux/${other}`]);
  assert.is(forOther.code, 0, forOther.stderr);
  assert.match(forOther.stdout, /incomplete \(0\/1\)/);
  // -q names only the images that are ready, as ctr's check -q.
  assert.is(e.run(['images', 'check', '-q']).stdout, `${REF}\n`);
  assert.is(e.run(['images', 'check', '-q', '--platform', `linux/${other}`]).stdout, '');
});

t('--platform picks the other platform; repeated --platform and --all-platforms store both', () => {
  const a = env('other');
  assert.is(a.run(['images', 'import', '--no-unpack', '--platform', `linux/${other}`, archive]).code, 0);
  assert.equal(blobsIn(a), [indexDigest, plat[other]!.manifest, plat[other]!.config, plat[other]!.layer].sort());
  const all = [indexDigest, ...Object.values(plat).flatMap((p) => [p.manifest, p.config, p.layer])].sort();
  const b = env('both');
  const rb = b.run(['images', 'import', '--no-unpack', '--platform', 'linux/amd64', '--platform', 'linux/arm64', archive]);
  assert.is(rb.code, 0, rb.stderr);
  assert.match(rb.stdout, /\tlinux\/amd64,linux\/arm64\n$/);
  assert.equal(blobsIn(b), all);
  const c = env('all');
  assert.is(c.run(['images', 'import', '--no-unpack', '--all-platforms', archive]).code, 0);
  assert.equal(blobsIn(c), all);
  const check = c.run(['images', 'check', '--all-platforms', '-q']);
  assert.is(check.stdout, `${REF}\n`);
});

t('bad input: a platform the archive lacks, a malformed --platform, a missing file: one line, nothing recorded', () => {
  const e = env('bad');
  const none = e.run(['images', 'import', '--no-unpack', '--platform', 'linux/s390x', archive]);
  assert.is(none.code, 1);
  assert.is(none.stderr, `tsctr: images import: ${archive}: no image in the archive is for linux/s390x (it has linux/amd64, linux/arm64) (hint: choose one with --platform, or import them all with --all-platforms)\n`);
  assert.equal(e.run(['images', 'ls', '-q']).stdout, '');
  assert.equal(e.run(['content', 'ls', '-q']).stdout, '', 'no blob of another platform was stored');
  const bad = e.run(['images', 'import', '--platform', 'linux//x', archive]);
  assert.is(bad.code, 1);
  assert.match(bad.stderr, /^tsctr: images import: invalid platform "linux\/\/x" \(hint: use os\/arch\[\/variant\]/);
  assert.is(bad.stderr.split('\n').length, 2);
  const missing = e.run(['images', 'import', join(dir, 'nope.tar')]);
  assert.is(missing.code, 1);
  assert.is(missing.stderr.split('\n').length, 2, missing.stderr);
});

rootTest(t, 'import unpacks by default (as ctr); --unpack is still accepted; run needs no further unpack', () => {
  const e = env('unpack');
  const r = e.run(['images', 'import', archive]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /\tunpacked 1, reused 0 \(overlayfs\)\n$/);
  assert.is(e.run(['snapshots', 'ls', '-q']).stdout.split('\n').filter(Boolean).length, 1);
  const again = e.run(['images', 'import', '--unpack', archive]);
  assert.match(again.stdout, /unpacked 0, reused 1/);
  const n = env('unpack-other');
  const o = n.run(['images', 'import', '--platform', `linux/${other}`, '--snapshotter', 'native', archive]);
  assert.is(o.code, 0, o.stderr);
  assert.match(o.stdout, /unpacked 1, reused 0 \(native\)/, 'the imported platform is the one unpacked');
});

t('check: a removed layer is incomplete (exit 0); --verify finds a corrupt blob by digest (exit 1)', () => {
  const e = env('verify');
  assert.is(e.run(['images', 'import', '--no-unpack', '--all-platforms', archive]).code, 0);
  const clean = e.run(['images', 'check', '--verify', '--all-platforms']);
  assert.is(clean.code, 0, clean.stderr);
  assert.match(clean.stdout, /complete \(4\/4\)/);
  // Flip bytes inside the host layer, keeping its size: only --verify can tell.
  const path = join(e.root, 'content/blobs/sha256', plat[host]!.layer.slice(7));
  const fd = openSync(path, 'r+');
  writeSync(fd, Buffer.from('XXXX'), 0, 4, 20);
  closeSync(fd);
  const plain = e.run(['images', 'check']);
  assert.is(plain.code, 0, 'sizes still match');
  assert.match(plain.stdout, /complete \(2\/2\)/);
  const v = e.run(['images', 'check', '--verify', '--format', 'json']);
  assert.is(v.code, 1);
  const res = JSON.parse(v.stdout) as { status: string; corrupt: { digest: string }[] }[];
  assert.is(res[0]!.status, 'corrupt');
  assert.equal(res[0]!.corrupt.map((c) => c.digest), [plat[host]!.layer]);
  assert.match(v.stderr, new RegExp(`^tsctr: images check: ${REF}: blob ${plat[host]!.layer} is corrupt \\(found sha256:[0-9a-f]{64}\\) \\(hint: \`tsctr content rm ${plat[host]!.layer}\`, then pull or import the image again\\)\\n$`));
  // A truncated blob is corrupt even without --verify.
  writeFileSync(path, 'short');
  const truncated = e.run(['images', 'check']);
  assert.is(truncated.code, 1);
  assert.match(truncated.stdout, /corrupt \(1\/2\)/);
  // Removed: incomplete, exit 0, as ctr.
  assert.is(e.run(['content', 'rm', plat[host]!.layer]).code, 0);
  const gone = e.run(['images', 'check']);
  assert.is(gone.code, 0, gone.stderr);
  assert.match(gone.stdout, /incomplete \(1\/2\)/);
  // A name that is not there cannot be checked: exit 1, one line.
  const unknown = e.run(['images', 'check', 'example.com/none:1']);
  assert.is(unknown.code, 1);
  assert.match(unknown.stderr, /^tsctr: images check: image "example.com\/none:1" not found/);
});

t.run();
