// Unpack throughput, tsctr vs containerd, same image, same run.
//   node dist/bench/unpack.js [--dirs usr/lib/python3.11,etc] [--runs 3]
// Builds an OCI image from host directories (one gzip layer each), imports it
// into tsctr and into a private containerd (temp config/root/state/socket
// under /tmp, stopped by its PID), then times `images mount` (unpack + mount)
// on both, each run in a fresh namespace, and the in-process unpackImage.
// Needs root, containerd and ctr.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { loadSys } from '../src/sys/index.js';
import { unpackImage } from '../src/unpack/index.js';
import { diffTrees, scanTree } from '../test/integration/unpack/tree.js';
import { startContainerd } from '../test/helpers/containerd.js';

const arg = (k: string, d: string) => { const i = process.argv.indexOf(`--${k}`); return i > 0 ? process.argv[i + 1] : d; };
const dirs = arg('dirs', 'usr/lib/python3.11,etc').split(',');
const runs = Number(arg('runs', '3'));
const bin = fileURLToPath(new URL('../../bin/tsctr', import.meta.url));
const tmp = fs.mkdtempSync('/tmp/tsctr-bench-');
const sha = (b: Buffer) => 'sha256:' + createHash('sha256').update(b).digest('hex');
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

function buildImage(): { tarPath: string; tarBytes: number; files: number; blobBytes: number } {
  const layout = join(tmp, 'layout');
  fs.mkdirSync(join(layout, 'blobs/sha256'), { recursive: true });
  const put = (b: Buffer) => { const d = sha(b); fs.writeFileSync(join(layout, 'blobs/sha256', d.slice(7)), b); return d; };
  const layers = [];
  const diffIds = [];
  let tarBytes = 0;
  let files = 0;
  let blobBytes = 0;
  for (const d of dirs) {
    const tar = execFileSync('tar', ['-C', '/', '--numeric-owner', '--xattrs', '-cf', '-', d], { maxBuffer: 1 << 30 });
    files += Number(execFileSync('sh', ['-c', `tar -tf - | wc -l`], { input: tar }).toString().trim());
    const gz = gzipSync(tar, { level: 6 });
    tarBytes += tar.length;
    blobBytes += gz.length;
    layers.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: put(gz), size: gz.length });
    diffIds.push(sha(tar));
  }
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: diffIds } }));
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: put(config), size: config.length }, layers }));
  const index = { schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: put(manifest), size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': 'bench.local/unpack:v1', 'io.containerd.image.name': 'bench.local/unpack:v1' } }] };
  fs.writeFileSync(join(layout, 'index.json'), JSON.stringify(index));
  fs.writeFileSync(join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const tarPath = join(tmp, 'image.tar');
  execFileSync('tar', ['-C', layout, '-cf', tarPath, '.']);
  return { tarPath, tarBytes, files, blobBytes };
}

function run(cmd: string, args: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return ms(t0);
}

const img = buildImage();
const ref = 'bench.local/unpack:v1';
const MB = img.tarBytes / 1e6;
console.log(`image: ${dirs.join(' + ')}: ${dirs.length} layers, ${img.files} entries, ${MB.toFixed(1)} MB uncompressed, ${(img.blobBytes / 1e6).toFixed(1)} MB gzip`);
const ctd = await startContainerd();
const results: Record<string, number[]> = { 'tsctr images mount': [], 'ctr images mount': [], 'tsctr unpackImage (in-process)': [], 'tsctr mount, already unpacked': [], 'ctr mount, already unpacked': [] };
const root = join(tmp, 'tsctr-root');
let completed = false;
try {
  // In-process: unpack alone, without CLI start-up or mount; interleaved with the
  // CLI runs so a busy machine weighs on all three alike.
  const sys = await loadSys();
  const index = JSON.parse(fs.readFileSync(join(tmp, 'layout/index.json'), 'utf8'));
  const manifest = JSON.parse(fs.readFileSync(join(tmp, 'layout/blobs/sha256', index.manifests[0].digest.slice(7)), 'utf8'));
  const config = JSON.parse(fs.readFileSync(join(tmp, 'layout/blobs/sha256', manifest.config.digest.slice(7)), 'utf8'));
  fs.cpSync(join(tmp, 'layout/blobs'), join(tmp, 'direct/content/blobs'), { recursive: true });
  for (let i = 0; i < runs; i++) {
    const ns = `bench${i}`;
    const target = join(tmp, `mnt-${i}`);
    fs.mkdirSync(target);
    run(process.execPath, [bin, '--root', root, '-n', ns, 'images', 'import', '--no-unpack', img.tarPath]);
    results['tsctr images mount'].push(run(process.execPath, [bin, '--root', root, '-n', ns, 'images', 'mount', ref, target]));
    run(process.execPath, [bin, '--root', root, '-n', ns, 'images', 'unmount', target]);
    // Again, with the layers unpacked: what the CLI costs around the unpack.
    results['tsctr mount, already unpacked'].push(run(process.execPath, [bin, '--root', root, '-n', ns, 'images', 'mount', ref, target]));
    run(process.execPath, [bin, '--root', root, '-n', ns, 'images', 'unmount', '--rm', target]);
    run('ctr', ['-a', ctd.address, '-n', ns, 'images', 'import', '--no-unpack', img.tarPath]);
    results['ctr images mount'].push(run('ctr', ['-a', ctd.address, '-n', ns, 'images', 'mount', ref, target]));
    run('ctr', ['-a', ctd.address, '-n', ns, 'images', 'unmount', target]);
    results['ctr mount, already unpacked'].push(run('ctr', ['-a', ctd.address, '-n', ns, 'images', 'mount', ref, target]));
    run('ctr', ['-a', ctd.address, '-n', ns, 'images', 'unmount', '--rm', target]);
    const t0 = process.hrtime.bigint();
    await unpackImage({ root: join(tmp, 'direct'), namespace: `direct${i}`, snapshotter: 'overlayfs', layers: manifest.layers, diffIds: config.rootfs.diff_ids, sys });
    results['tsctr unpackImage (in-process)'].push(ms(t0));
  }
  // Same result? Mount both unpacks of the last run side by side and compare every path.
  const ns = `bench${runs - 1}`;
  const [a, b] = [join(tmp, 'cmp-tsctr'), join(tmp, 'cmp-ctr')];
  fs.mkdirSync(a);
  fs.mkdirSync(b);
  run(process.execPath, [bin, '--root', root, '-n', ns, 'images', 'mount', ref, a]);
  run('ctr', ['-a', ctd.address, '-n', ns, 'images', 'mount', ref, b]);
  try {
    const diffs = diffTrees(scanTree(b, sys), scanTree(a, sys), { aName: 'containerd', bName: 'tsctr' });
    console.log(`tree comparison with containerd's unpack: ${diffs.length} differences${diffs.length ? '\n  ' + diffs.slice(0, 20).join('\n  ') : ''}`);
  } finally {
    spawnSync('umount', [a]);
    spawnSync('umount', [b]);
  }
  completed = true;
} finally {
  await ctd.stop();
  for (let i = 0; i < runs; i++) spawnSync('umount', [join(tmp, `mnt-${i}`)], { stdio: 'ignore' });
  if (!completed && !process.argv.includes('--keep')) fs.rmSync(tmp, { recursive: true, force: true });
}
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
console.log(`runs: ${runs} (median shown; all in ms)`);
for (const [k, v] of Object.entries(results)) {
  const m = median(v);
  console.log(`${k.padEnd(32)} ${m.toFixed(0).padStart(6)} ms  ${(MB / (m / 1000)).toFixed(1).padStart(6)} MB/s  ${(img.files / (m / 1000)).toFixed(0).padStart(7)} files/s   [${v.map((x) => x.toFixed(0)).join(', ')}]`);
}
if (!process.argv.includes('--keep')) fs.rmSync(tmp, { recursive: true, force: true });
else console.log(`kept ${tmp}`);
