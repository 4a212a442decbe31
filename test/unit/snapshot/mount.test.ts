import * as fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compactOverlayData, mountAll, mountCommands, overlayMounts, PAGE_SIZE } from '../../../src/snapshot/index.js';
import { MS } from '../../../src/sys/constants.js';
import { FakeSys } from '../../../src/sys/fake.js';

const S = '/var/lib/tsctr/snapshots/overlayfs/snapshots';

test('overlay mounts: bind without parents, ro bind for a one-layer view, overlay otherwise', () => {
  assert.equal(overlayMounts('active', `${S}/1`, []), [{ type: 'bind', source: `${S}/1/fs`, options: ['rw', 'rbind'] }]);
  assert.equal(overlayMounts('view', `${S}/3`, [`${S}/2/fs`]), [{ type: 'bind', source: `${S}/2/fs`, options: ['ro', 'rbind'] }]);
  assert.equal(overlayMounts('view', `${S}/3`, [`${S}/2/fs`, `${S}/1/fs`]), [{ type: 'overlay', source: 'overlay', options: [`lowerdir=${S}/2/fs:${S}/1/fs`] }]);
  assert.equal(overlayMounts('active', `${S}/3`, [`${S}/2/fs`, `${S}/1/fs`]), [{
    type: 'overlay', source: 'overlay', options: [`lowerdir=${S}/2/fs:${S}/1/fs`, `upperdir=${S}/3/fs`, `workdir=${S}/3/work`],
  }]);
});

function deep(n: number, root = S): string[] {
  const lowers = Array.from({ length: n }, (_, i) => `${root}/${n - i}/fs`);
  return [`lowerdir=${lowers.join(':')}`, `upperdir=${root}/${n + 1}/fs`, `workdir=${root}/${n + 1}/work`];
}

test('compactOverlayData makes paths relative to the snapshots directory', () => {
  const c = compactOverlayData(deep(2))!;
  assert.is(c.cwd, S);
  assert.equal(c.data, ['lowerdir=2/fs:1/fs', 'upperdir=3/fs', 'workdir=3/work']);
  const big = compactOverlayData(deep(200))!;
  assert.ok(deep(200).join(',').length > PAGE_SIZE);
  assert.ok(big.data.join(',').length < PAGE_SIZE);
});

test('mountAll: binds take a remount for ro; short overlays mount with absolute paths', () => {
  const sys = new FakeSys();
  mountAll([{ type: 'bind', source: '/src', options: ['ro', 'rbind'] }], '/t', sys);
  assert.equal(sys.calls.map((c) => c.args), [['/src', '/t', null, MS.BIND | MS.REC, null], [null, '/t', null, MS.REMOUNT | MS.BIND | MS.RDONLY, null]]);
  const o = new FakeSys();
  mountAll([{ type: 'overlay', source: 'overlay', options: deep(2) }], '/t', o);
  assert.equal(o.calls[0].args, ['overlay', '/t', 'overlay', 0, deep(2).join(',')]);
});

test('mountAll: long overlays mount from the snapshots dir and restore the cwd', () => {
  const dir = fs.mkdtempSync('/tmp/tsctr-mnt-');
  try {
    const sys = new FakeSys();
    const seen: string[] = [];
    const orig = sys.mount.bind(sys);
    sys.mount = (...a) => { seen.push(process.cwd()); orig(...a); };
    const before = process.cwd();
    mountAll([{ type: 'overlay', source: 'overlay', options: deep(300, dir) }], '/t', sys);
    assert.equal(seen, [dir]);
    assert.is(process.cwd(), before);
    const data = sys.calls[0].args[4] as string;
    assert.ok(data.startsWith('lowerdir=300/fs:299/fs:'), data.slice(0, 40));
    sys.failOn.mount = 'EINVAL';
    assert.throws(() => mountAll([{ type: 'overlay', source: 'overlay', options: deep(300, dir) }], '/t', sys), /EINVAL/);
    assert.is(process.cwd(), before, 'cwd restored after a failed mount');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('mountCommands prints pasteable mount lines', () => {
  assert.equal(mountCommands(overlayMounts('active', `${S}/3`, [`${S}/2/fs`, `${S}/1/fs`]), '/mnt'), [
    `mount -t overlay overlay -o lowerdir=${S}/2/fs:${S}/1/fs,upperdir=${S}/3/fs,workdir=${S}/3/work /mnt`,
  ]);
  const [long] = mountCommands([{ type: 'overlay', source: 'overlay', options: deep(300) }], '/mnt');
  assert.ok(long.startsWith(`(cd ${S} && mount -t overlay overlay -o lowerdir=300/fs:`), long.slice(0, 80));
});

test.run();
