// Crafted malicious layers: nothing they hold may write, chmod, chown, link,
// delete or set an xattr outside the snapshot. Each case runs on both
// snapshotters and checks a decoy directory outside the root is untouched and,
// where the layer is accepted, where the entry landed inside the root instead.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatError } from '../../../src/cli/errors.js';
import { isKind } from '../../../src/errors.js';
import { getSnapshotter, mountAll, unmountAll } from '../../../src/snapshot/index.js';
import { loadSys, type Sys } from '../../../src/sys/index.js';
import { unpackImage } from '../../../src/unpack/index.js';
import { encodeEntry, type WriteEntry } from '../../../src/unpack/tar-writer.js';
import { rootTest } from '../../helpers/root.js';
import { block, craftHeader } from '../../helpers/tar-craft.js';
import { buildLayer, storeLayers } from './oci-layout.js';
import { scanTree, type Node } from './tree.js';

const SNAPSHOTTERS = ['overlayfs', 'native'] as const;

interface Outcome { error?: unknown; files: Set<string>; tree?: Map<string, Node> }

/** Unpacks the layers with each snapshotter; returns what ended up inside, and checks the decoy. */
async function run(layers: LayerFn[], check: (o: Outcome, snapshotter: string, outsideRel: string) => void): Promise<void> {
  const sys = await loadSys();
  for (const snapshotter of SNAPSHOTTERS) {
    const tmp = fs.mkdtempSync('/tmp/tsctr-evil-');
    const outside = join(tmp, 'outside');
    fs.mkdirSync(outside);
    fs.writeFileSync(join(outside, 'secret'), 's', { mode: 0o600 });
    fs.mkdirSync(join(outside, 'dir'));
    fs.writeFileSync(join(outside, 'dir', 'keep'), 'k');
    const before = JSON.stringify([...scanTree(outside, sys)]);
    const root = join(tmp, 'root');
    const mnt = join(tmp, 'mnt');
    try {
      const built = layers.map((fn) => buildLayer(fn(outside)));
      storeLayers(root, built);
      const o: Outcome = { files: new Set() };
      try {
        const r = await unpackImage({ root, namespace: 'default', snapshotter, layers: built.map((b) => b.descriptor), diffIds: built.map((b) => b.diffId), sys });
        o.tree = await listView(sys, root, snapshotter, r.chainId, mnt);
        o.files = new Set(o.tree.keys());
      } catch (e) {
        o.error = e;
      }
      assert.is(JSON.stringify([...scanTree(outside, sys)]), before, `${snapshotter}: the directory outside the root changed`);
      check(o, snapshotter, outside.slice(1));
    } finally {
      try { unmountAll(mnt, sys); } catch { /* not mounted */ }
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
}

/** Layers are built per run because they name the run's decoy directory. */
type LayerFn = (outside: string) => WriteEntry[];
function l(fn: LayerFn): LayerFn { return fn; }

async function listView(sys: Sys, root: string, snapshotter: string, chainId: string, mnt: string): Promise<Map<string, Node>> {
  const sn = getSnapshotter(root, snapshotter, sys);
  fs.mkdirSync(mnt, { recursive: true });
  mountAll(await sn.view('look', chainId), mnt, sys);
  try {
    return scanTree(mnt, sys);
  } finally {
    unmountAll(mnt, sys);
    await sn.remove('look');
  }
}

const file = (name: string, extra: Partial<WriteEntry> = {}): WriteEntry => ({ name, type: 'file', data: 'pwned', mode: 0o777, ...extra });

rootTest(test, '.. and absolute names stay inside the root', async () => {
  await run([l((out) => [
    file('../../../../../../../..' + out + '/pwned-dotdot'),
    file(out + '/pwned-abs'),
    file('a/../../../../../b'),
  ])], (o, s, rel) => {
    assert.is(o.error, undefined, String(o.error));
    assert.ok(o.files.has(rel + '/pwned-dotdot'), `${s}: ../ name clamped at the root`);
    assert.ok(o.files.has(rel + '/pwned-abs'), `${s}: absolute name inside the root`);
    assert.ok(o.files.has('b'));
  });
});

rootTest(test, 'a symlink planted earlier in the layer is resolved inside the root', async () => {
  await run([l((out) => [
    { name: 'esc', type: 'symlink', linkname: out },
    { name: 'up', type: 'symlink', linkname: '../../../../../../../../../..' },
    file('esc/pwned'),
    { name: 'esc/dir', type: 'dir', mode: 0o777, uid: 1234 },
    file('esc/dir/keep', { xattrs: { 'user.evil': 'x' } }),
    file('up' + out + '/pwned-up'),
  ])], (o, s, rel) => {
    assert.is(o.error, undefined, String(o.error));
    assert.ok(o.files.has(rel + '/pwned'), `${s}: write through an absolute symlink lands inside`);
    assert.ok(o.files.has(rel + '/dir/keep'));
    assert.ok(o.files.has(rel + '/pwned-up'), `${s}: write through a ../ symlink lands inside`);
  });
});

rootTest(test, 'a symlink from a lower layer is resolved inside the root', async () => {
  await run([
    l((out) => [{ name: 'esc', type: 'symlink', linkname: out }, { name: 'rel', type: 'symlink', linkname: '../../../../../../../..' + out }]),
    l(() => [file('esc/pwned'), file('rel/pwned-rel'), file('esc/dir/keep'), { name: 'esc/.wh.secret', type: 'file' }, { name: 'esc/dir/.wh..wh..opq', type: 'file' }]),
  ], (o, s, rel) => {
    assert.is(o.error, undefined, String(o.error));
    assert.ok(o.files.has(rel + '/pwned'), s);
    assert.ok(o.files.has(rel + '/pwned-rel'), s);
  });
});

rootTest(test, 'an entry replaces a symlink instead of chmod/chown/xattr through it', async () => {
  await run([l((out) => [
    { name: 'secret', type: 'symlink', linkname: out + '/secret' },
    file('secret', { uid: 1234, mode: 0o4777, xattrs: { 'user.evil': 'x' } }),
    { name: 'd', type: 'symlink', linkname: out + '/dir' },
    { name: 'd', type: 'dir', mode: 0o777, uid: 99 },
  ])], (o) => {
    assert.is(o.error, undefined, String(o.error));
    assert.ok(o.files.has('secret') && o.files.has('d'));
  });
});

// A base layer skips the lstat before creating a name it has not created
// itself (apply.ts, `fresh`): every name it did create must still be found
// and replaced, whatever was there, and a replaced symlink is never followed.
rootTest(test, 'a base layer that names a path twice: the last entry wins, of any type', async () => {
  await run([l((out) => [
    file('f2f', { data: 'first' }),
    file('f2f', { data: 'second' }),
    file('f2d'),
    { name: 'f2d', type: 'dir', mode: 0o755 },
    file('f2d/in', { data: 'in' }),
    { name: 'd2f', type: 'dir', mode: 0o755 },
    file('d2f/gone'),
    file('d2f', { data: 'now a file' }),
    { name: 's2d', type: 'symlink', linkname: out + '/dir' },
    { name: 's2d', type: 'dir', mode: 0o700 },
    file('s2d/keep', { data: 'inside' }),
    file('f2s'),
    { name: 'f2s', type: 'symlink', linkname: 'f2f' },
    file('h'),
    { name: 'h2', type: 'link', linkname: 'h' },
    file('h2', { data: 'no longer a link' }),
    { name: 'a/b/c', type: 'dir', mode: 0o755 },
    file('a', { data: 'a file over a tree' }),
  ])], (o, s) => {
    assert.is(o.error, undefined, `${s}: ${String(o.error)}`);
    const t = o.tree!;
    const is = (p: string, type: string, size?: number) => {
      assert.is(t.get(p)?.type, type, `${s}: ${p}`);
      if (size !== undefined) assert.is(t.get(p)?.size, size, `${s}: ${p} size`);
    };
    is('f2f', 'file', 'second'.length);
    is('f2d', 'dir');
    is('f2d/in', 'file', 2);
    is('d2f', 'file', 'now a file'.length);
    assert.not.ok(t.has('d2f/gone'), s);
    is('s2d', 'dir');
    is('s2d/keep', 'file', 'inside'.length);
    is('f2s', 'symlink');
    is('h2', 'file', 'no longer a link'.length);
    assert.is(t.get('h')?.nlink, 1, `${s}: h is linked no more`);
    is('a', 'file');
    assert.not.ok(t.has('a/b'), s);
  });
});

rootTest(test, 'a hardlink cannot reach a file outside the root', async () => {
  for (const target of [(out: string) => out + '/secret', (out: string) => '../../../../../../..' + out + '/secret', () => 'esc/secret']) {
    await run([l((out) => [{ name: 'esc', type: 'symlink', linkname: out }, { name: 'hl', type: 'link', linkname: target(out) }])], (o, s) => {
      assert.ok(o.error !== undefined, `${s}: a link to a missing in-root target must fail`);
      assert.match(String(o.error), /does not exist/);
    });
  }
});

rootTest(test, 'device nodes are created inside the root only', async () => {
  await run([l(() => [
    { name: '../../../../dev/tsctr-evil-null', type: 'char', devmajor: 1, devminor: 3, mode: 0o666 },
    { name: 'dev/sda', type: 'block', devmajor: 8, devminor: 0, mode: 0o666 },
  ])], (o) => {
    assert.is(o.error, undefined, String(o.error));
    assert.ok(o.files.has('dev/tsctr-evil-null'));
    assert.not.ok(fs.existsSync('/dev/tsctr-evil-null'));
  });
});

rootTest(test, 'a whiteout of .. or . is refused and deletes nothing', async () => {
  for (const name of ['.wh...', 'sub/.wh...', '.wh..', 'sub/../../.wh...']) {
    await run([l(() => [{ name: 'sub', type: 'dir' }, file('sub/f'), { name, type: 'file' }])], (o, s) => {
      assert.ok(isKind(o.error, 'InvalidArgument'), `${s} ${name}: ${String(o.error)}`);
      assert.match(String(o.error), /invalid whiteout/);
    });
  }
});

rootTest(test, 'overlay xattrs from a layer are dropped', async () => {
  await run([l(() => [{ name: 'd', type: 'dir', xattrs: { 'trusted.overlay.redirect': '/etc', 'trusted.overlay.opaque': 'y' } }, file('d/f')])], (o) => {
    assert.is(o.error, undefined, String(o.error));
    assert.ok(o.files.has('d/f'));
  });
});

/**
 * A gzip layer written as a stream, so the test itself never holds the tar:
 * parts() yields the tar's pieces. Returns the blob's digest and diff ID.
 */
async function storeStreamedLayer(root: string, parts: () => Iterable<Buffer>): Promise<{ digest: string; diffId: string; size: number }> {
  const dir = join(root, 'content/blobs/sha256');
  fs.mkdirSync(dir, { recursive: true });
  const tmp = join(dir, 'tmp');
  const diff = createHash('sha256');
  await pipeline(function* () { for (const p of parts()) { diff.update(p); yield p; } }, createGzip({ level: 9 }), fs.createWriteStream(tmp));
  const blob = fs.readFileSync(tmp);
  const hex = createHash('sha256').update(blob).digest('hex');
  fs.renameSync(tmp, join(dir, hex));
  return { digest: 'sha256:' + hex, diffId: 'sha256:' + diff.digest('hex'), size: blob.length };
}

const MiB = 1 << 20;

rootTest(test, 'metadata bombs: a small gzip layer whose PAX, global or GNU long-name header holds 100 MiB is refused without buffering it', async () => {
  const sys = await loadSys();
  for (const flag of ['x', 'g', 'L', 'K']) {
    const tmp = fs.mkdtempSync('/tmp/tsctr-evil-');
    try {
      const root = join(tmp, 'root');
      // A real 100 MiB record (it compresses to ~100 KB), then an ordinary entry.
      const key = flag === 'x' || flag === 'g' ? ' SCHILY.xattr.user.bomb=' : '';
      const body = 100 * MiB;
      const head = `${body}${key}`;
      const layer = await storeStreamedLayer(root, function* () {
        yield* encodeEntry({ name: 'first', type: 'dir' });
        yield craftHeader({ name: 'bomb', flag, size: body });
        yield Buffer.from(head);
        const chunk = Buffer.alloc(MiB, 0x61);
        let left = body - head.length;
        while (left > 0) { const n = Math.min(left, MiB); yield chunk.subarray(0, n); left -= n; }
        yield block(Buffer.alloc(0));
        yield Buffer.alloc(1024);
      });
      assert.ok(layer.size < 200 * 1024, `the blob is small: ${layer.size} bytes`);
      global.gc?.();
      const before = process.memoryUsage().rss;
      let err: unknown;
      try {
        await unpackImage({ root, namespace: 'default', snapshotter: 'native', layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layer.digest, size: layer.size }], diffIds: [layer.diffId], sys });
      } catch (e) {
        err = e;
      }
      const grew = process.memoryUsage().rss - before;
      assert.ok(isKind(err, 'InvalidArgument'), `${flag}: ${String(err)}`);
      const line = formatError(err, 'unpack');
      assert.ok(line.includes(layer.digest), line);
      assert.match(line, new RegExp(`over the 1048576-byte limit \\(header at offset 512, after entry "first/"\\)`));
      assert.match(line, /hint: the layer is malformed or crafted/);
      assert.ok(!line.includes('\n'), line);
      // The old reader kept the whole 100 MiB (twice, with the concat).
      assert.ok(grew < 32 * MiB, `${flag}: RSS grew by ${(grew / MiB).toFixed(1)} MiB`);
      // Nothing was committed.
      const sn = getSnapshotter(root, 'native', sys, 'default');
      assert.equal((await sn.list()).map((i) => i.name), []);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
});

test.run();
