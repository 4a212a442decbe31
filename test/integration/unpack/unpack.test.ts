// unpackImage end to end: compressions, chain-ID reuse, diff-ID checks,
// deep images that must still mount, copy-up for hardlinks to lower files,
// and recovery after an unpack killed with SIGKILL.
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isKind } from '../../../src/errors.js';
import { getSnapshotter, mountAll, mountCommands, unmountAll } from '../../../src/snapshot/index.js';
import { loadSys, type Sys } from '../../../src/sys/index.js';
import { chainIds, unpackImage, UNPACK_PID_LABEL } from '../../../src/unpack/index.js';
import { rootTest } from '../../helpers/root.js';
import { buildLayer, storeLayers, type BuiltLayer } from './oci-layout.js';

let sys: Sys;
const tmps: string[] = [];
function tmpRoot(): string {
  const d = fs.mkdtempSync('/tmp/tsctr-unpack-');
  tmps.push(d);
  return d;
}
test.before(async () => { sys = await loadSys(); });
test.after(() => { for (const d of tmps) fs.rmSync(d, { recursive: true, force: true }); });

function unpack(root: string, layers: BuiltLayer[], snapshotter: 'overlayfs' | 'native' = 'overlayfs', diffIds = layers.map((l) => l.diffId)) {
  return unpackImage({ root, namespace: 'default', snapshotter, layers: layers.map((l) => l.descriptor), diffIds, sys });
}

async function inView<T>(root: string, snapshotter: 'overlayfs' | 'native', chainId: string, fn: (dir: string) => T): Promise<T> {
  const sn = getSnapshotter(root, snapshotter, sys);
  const mnt = join(root, 'mnt');
  fs.mkdirSync(mnt, { recursive: true });
  mountAll(await sn.view('look', chainId), mnt, sys);
  try { return fn(mnt); } finally { unmountAll(mnt, sys); await sn.remove('look'); }
}

rootTest(test, 'gzip, zstd and uncompressed layers; shared layers unpack once', async () => {
  const root = tmpRoot();
  const a = buildLayer([{ name: 'a', type: 'file', data: 'A' }], 'gzip');
  const b = buildLayer([{ name: 'b', type: 'file', data: 'B' }], 'zstd');
  const c = buildLayer([{ name: 'c', type: 'file', data: 'C' }], 'none');
  const d = buildLayer([{ name: 'd', type: 'file', data: 'D' }], 'zstd');
  storeLayers(root, [a, b, c, d]);
  const first = await unpack(root, [a, b, c]);
  assert.equal({ unpacked: first.unpacked, reused: first.reused }, { unpacked: 3, reused: 0 });
  assert.is(first.chainId, chainIds([a.diffId, b.diffId, c.diffId])[2]);
  const again = await unpack(root, [a, b, c]);
  assert.equal({ unpacked: again.unpacked, reused: again.reused, chainId: again.chainId }, { unpacked: 0, reused: 3, chainId: first.chainId });
  const other = await unpack(root, [a, b, d]);
  assert.equal({ unpacked: other.unpacked, reused: other.reused }, { unpacked: 1, reused: 2 });
  const text = await inView(root, 'overlayfs', other.chainId, (m) => ['a', 'b', 'd'].map((f) => fs.readFileSync(join(m, f), 'utf8')).join(''));
  assert.is(text, 'ABD');
  const list = await getSnapshotter(root, 'overlayfs', sys).list();
  assert.is(list.filter((i) => i.kind === 'committed').length, 4);
});

rootTest(test, 'xattrs the kernel refuses on symlinks are skipped, the rest applies', async () => {
  const root = tmpRoot();
  const l = buildLayer([
    { name: 'link', type: 'symlink', linkname: 'target', xattrs: { 'user.note': 'x' } },
    { name: 'file', type: 'file', data: 'f', xattrs: { 'user.note': 'y' } },
  ]);
  storeLayers(root, [l]);
  const r = await unpack(root, [l], 'native');
  const x = await inView(root, 'native', r.chainId, (m) => [fs.readlinkSync(join(m, 'link')), sys.lgetxattr(join(m, 'file'), 'user.note')?.toString()]);
  assert.equal(x, ['target', 'y']);
});

rootTest(test, 'a diff ID mismatch aborts and commits nothing', async () => {
  for (const snapshotter of ['overlayfs', 'native'] as const) {
    const root = tmpRoot();
    const a = buildLayer([{ name: 'a', type: 'file', data: 'A' }]);
    storeLayers(root, [a]);
    const wrong = 'sha256:' + '0'.repeat(64);
    let err: unknown;
    try { await unpack(root, [a], snapshotter, [wrong]); } catch (e) { err = e; }
    assert.ok(isKind(err, 'DigestMismatch'), String(err));
    assert.equal(await getSnapshotter(root, snapshotter, sys).list(), []);
  }
});

rootTest(test, 'a 130-layer image mounts (relative lowerdirs under the page limit)', async () => {
  const root = tmpRoot();
  const layers = Array.from({ length: 130 }, (_, i) => buildLayer([{ name: `f${i}`, type: 'file', data: String(i) }], 'none'));
  storeLayers(root, layers);
  const r = await unpack(root, layers);
  const sn = getSnapshotter(root, 'overlayfs', sys);
  const mounts = await sn.prepare('deep-active', r.chainId);
  assert.ok(mounts[0].options.join(',').length > 4096, 'absolute options would exceed a page');
  const mnt = join(root, 'deep');
  fs.mkdirSync(mnt);
  mountAll(mounts, mnt, sys);
  try {
    assert.is(fs.readdirSync(mnt).length, 130);
    assert.is(fs.readFileSync(join(mnt, 'f0'), 'utf8'), '0');
    fs.writeFileSync(join(mnt, 'new'), 'rw');
  } finally {
    unmountAll(mnt, sys);
  }
  assert.is(process.cwd(), fileURLToPath(new URL('../../../..', import.meta.url)).replace(/\/$/, ''));
  // The printed command (what `snapshots mounts` shows) works when pasted into a shell.
  const [line] = mountCommands(mounts, mnt);
  assert.match(line, /^\(cd \/.* && mount -t overlay overlay -o lowerdir=130\/fs:129\/fs:/);
  execFileSync('sh', ['-e', '-c', line]);
  try {
    assert.is(fs.readFileSync(join(mnt, 'new'), 'utf8'), 'rw');
  } finally {
    unmountAll(mnt, sys);
  }
  await sn.remove('deep-active');
});

rootTest(test, 'overlayfs: a hardlink to a lower file copies it up with its metadata', async () => {
  const root = tmpRoot();
  const cap = Buffer.from('0100000200200000000000000000000000000000', 'hex');
  const l1 = buildLayer([{ name: 'bin', type: 'dir' }, { name: 'bin/ping', type: 'file', data: 'P', mode: 0o4711, uid: 7, mtime: 1234, xattrs: { 'security.capability': cap } }]);
  const l2 = buildLayer([{ name: 'bin', type: 'dir', mtime: 99 }, { name: 'bin/ping6', type: 'link', linkname: 'bin/ping' }]);
  storeLayers(root, [l1, l2]);
  const r = await unpack(root, [l1, l2]);
  const sn = getSnapshotter(root, 'overlayfs', sys);
  const upper = join(sn.dir, 'snapshots', (await sn.stat(r.chainId)).id, 'fs');
  const a = fs.lstatSync(join(upper, 'bin/ping'));
  const b = fs.lstatSync(join(upper, 'bin/ping6'));
  assert.is(a.ino, b.ino);
  assert.is(a.nlink, 2);
  assert.is((a.mode & 0o7777).toString(8), '4711');
  assert.is(a.uid, 7);
  assert.is(a.mtimeMs, 1234000);
  assert.is(sys.lgetxattr(join(upper, 'bin/ping'), 'security.capability')?.toString('hex'), cap.toString('hex'));
  assert.is(fs.lstatSync(join(upper, 'bin')).mtimeMs, 99000);
});

rootTest(test, 'an unpack killed with SIGKILL commits nothing; the next one completes', async () => {
  const root = tmpRoot();
  // Big enough to be killed mid-layer: 3000 files of 16 KiB.
  const big = buildLayer(Array.from({ length: 3000 }, (_, i) => ({ name: `d${i % 30}/f${i}`, type: 'file' as const, data: Buffer.alloc(16384, i % 251) })), 'gzip');
  storeLayers(root, [big]);
  const script = `
    const { loadSys } = await import(${JSON.stringify(new URL('../../../src/sys/index.js', import.meta.url).href)});
    const { unpackImage } = await import(${JSON.stringify(new URL('../../../src/unpack/index.js', import.meta.url).href)});
    await unpackImage({ root: ${JSON.stringify(root)}, namespace: 'default', snapshotter: 'overlayfs', layers: [${JSON.stringify(big.descriptor)}], diffIds: [${JSON.stringify(big.diffId)}], sys: await loadSys() });`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore' });
  const sn = getSnapshotter(root, 'overlayfs', sys);
  // Kill once the extract snapshot has files in it.
  for (let i = 0; i < 3000; i++) { // up to 30 s on a loaded machine
    await new Promise((r) => setTimeout(r, 10));
    const active = (await sn.list().catch(() => [])).find((s) => s.kind === 'active');
    if (active && fs.existsSync(join(sn.dir, 'snapshots', active.id, 'fs', 'd0'))) break;
  }
  child.kill('SIGKILL');
  await new Promise((r) => child.on('close', r));
  const left = await sn.list();
  assert.equal(left.filter((s) => s.kind === 'committed'), [], 'no committed snapshot after SIGKILL');
  assert.is(left.length, 1, 'the killed unpack left its extract snapshot');
  assert.is(left[0].labels[UNPACK_PID_LABEL], String(child.pid));
  const r = await unpack(root, [big]);
  assert.equal({ unpacked: r.unpacked, reused: r.reused }, { unpacked: 1, reused: 0 });
  const after = await sn.list();
  assert.equal(after.map((s) => s.kind), ['committed'], 'the stale extract snapshot was removed');
  assert.is(await inView(root, 'overlayfs', r.chainId, (m) => fs.readdirSync(m).length), 30);
});

test.run();
