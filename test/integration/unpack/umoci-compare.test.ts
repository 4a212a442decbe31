// The done-criterion for layer unpack: a crafted three-layer image unpacked by
// tsctr (native view, and overlayfs mounted) and by `umoci unpack` must give
// the same tree below the root: paths, types, modes, owners, sizes, content,
// link targets, device numbers, xattrs and mtimes.
//
// Accepted difference (overlayfs only): a hardlink to a file from a lower layer
// is made by copying the file up into the new layer first (overlayfs cannot
// link across layers; containerd does the same), so the copy no longer shares
// an inode with the other names the lower layer gave it. With the image here,
// bin/ping and bin/ping6 are one inode and bin/ping-hard another (same
// content and metadata). Link counts and inode groups are therefore compared
// for native only.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadSys, type Sys } from '../../../src/sys/index.js';
import { getSnapshotter, mountAll, unmountAll } from '../../../src/snapshot/index.js';
import { unpackImage } from '../../../src/unpack/index.js';
import { requireTool } from '../../helpers/root.js';
import { storeLayers, writeLayout } from './oci-layout.js';
import { richLayers } from './rich-image.js';
import { diffTrees, scanTree } from './tree.js';

const hasUmoci = spawnSync('umoci', ['--version']).status === 0;
const ignoreXattr = (k: string) => k.startsWith('trusted.overlay.') || k === 'security.selinux';

async function withMounted<T>(sys: Sys, root: string, snapshotter: 'overlayfs' | 'native', chainId: string, fn: (dir: string) => T): Promise<T> {
  const sn = getSnapshotter(root, snapshotter, sys);
  const key = `compare-${snapshotter}`;
  const target = join(root, `mnt-${snapshotter}`);
  fs.mkdirSync(target, { recursive: true });
  mountAll(await sn.view(key, chainId), target, sys);
  try {
    return fn(target);
  } finally {
    unmountAll(target, sys);
    await sn.remove(key);
  }
}

requireTool(test, 'umoci', 'tsctr unpack (native, overlayfs) matches umoci unpack', async () => {
  const sys = await loadSys();
  const tmp = fs.mkdtempSync('/tmp/tsctr-umoci-');
  try {
    const layers = richLayers();
    const layout = join(tmp, 'layout');
    writeLayout(layout, 'test', layers);
    execFileSync('umoci', ['unpack', '--image', `${layout}:test`, join(tmp, 'bundle')], { stdio: 'pipe' });
    const want = Object.assign(scanTree(join(tmp, 'bundle', 'rootfs'), sys, ignoreXattr), { diffIds: layers.map((l) => l.diffId) });
    assert.ok(want.size > 30, `umoci unpacked ${want.size} paths`);

    // umoci 0.4 cannot read zstd layers; the same tars with a zstd middle layer
    // have the same diff IDs, so tsctr's result must still equal umoci's tree.
    const zstd = richLayers(['gzip', 'zstd', 'none']);
    const variants = [
      { snapshotter: 'native', layers, root: join(tmp, 'root') },
      { snapshotter: 'overlayfs', layers, root: join(tmp, 'root') },
      { snapshotter: 'overlayfs', layers: zstd, root: join(tmp, 'root-zstd') },
    ] as const;
    for (const { snapshotter, layers, root } of variants) {
      storeLayers(root, layers);
      const diffIds = layers.map((l) => l.diffId);
      const r = await unpackImage({ root, namespace: 'default', snapshotter, layers: layers.map((l) => l.descriptor), diffIds, sys });
      assert.is(r.unpacked, 3);
      assert.equal(diffIds, want.diffIds);
      const got = await withMounted(sys, root, snapshotter, r.chainId, (dir) => scanTree(dir, sys, ignoreXattr));
      const overlaySkip = (k: string) => snapshotter === 'overlayfs' && (k === 'nlink' || k === 'inode');
      const diffs = diffTrees(want, got, { aName: 'umoci', bName: `tsctr-${snapshotter}`, skip: overlaySkip });
      assert.equal(diffs, [], diffs.join('\n'));
      // Spot checks, so an empty comparison cannot pass by accident.
      assert.is(got.get('bin/ping')?.xattrs['security.capability'], '01000002' + '00200000' + '0'.repeat(24));
      assert.is(got.get('bin/su')?.mode, '4755');
      assert.is(got.get('tmp')?.mode, '1777');
      assert.is(got.get('dev/big')?.dev, '300:70000');
      assert.is(got.get('dir2sym')?.type, 'symlink');
      assert.is(got.get('opaque/old'), undefined);
      assert.is(got.get('var/cache/apt/pkgcache.bin'), undefined);
      assert.is(got.get('srv/data')?.owner, '1234:5678');
      if (snapshotter === 'native') assert.is(got.get('bin/ping6')?.inode, 'bin/ping');
    }
  } finally {
    for (const r of ['root', 'root-zstd']) {
      for (const m of ['mnt-native', 'mnt-overlayfs']) {
        try { unmountAll(join(tmp, r, m), sys); } catch { /* not mounted */ }
      }
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}, hasUmoci);

test.run();
