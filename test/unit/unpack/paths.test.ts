import * as fs from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FakeSys } from '../../../src/sys/fake.js';
import { chainIds } from '../../../src/unpack/chain-id.js';
import { FsView, cleanPath } from '../../../src/unpack/fs-view.js';
import { classifyName } from '../../../src/unpack/whiteout.js';

test('cleanPath clamps .. at the root and drops absolute prefixes', () => {
  const cases: [string, string][] = [
    ['a/b/c', 'a/b/c'], ['./a//b/', 'a/b'], ['/etc/passwd', 'etc/passwd'], ['../../etc', 'etc'],
    ['a/../../../b', 'b'], ['..', ''], ['/', ''], ['a/./b/../c', 'a/c'],
  ];
  for (const [i, want] of cases) assert.is(cleanPath(i).join('/'), want, i);
});

test('chain IDs follow the image-spec definition', () => {
  const d1 = 'sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4';
  const d2 = 'sha256:2f09aa8ce3e4cf4b2b45ed9e18ab7a5e8e4a1e18e2b3b7d6c5b0bd7e8e96f1b4';
  const ids = chainIds([d1, d2]);
  assert.is(ids[0], d1);
  // printf '%s %s' $d1 $d2 | sha256sum
  assert.is(ids[1], 'sha256:6eb2a83ba03513473abf34ad89d6113e571f87ad553958e881d2b13d7cedfb14');
  assert.equal(chainIds([]), []);
});

test('whiteout names are classified', () => {
  assert.equal(classifyName('.wh.foo'), { kind: 'whiteout', target: 'foo' });
  assert.equal(classifyName('.wh..wh..opq'), { kind: 'opaque' });
  assert.equal(classifyName('.wh..wh.plnk'), { kind: 'meta' });
  assert.equal(classifyName('foo.wh.'), { kind: 'none' });
  assert.equal(classifyName('.wh...'), { kind: 'whiteout', target: '..' });
});

test('symlinks resolve inside the root, through upper and lower layers', () => {
  const tmp = fs.mkdtempSync('/tmp/tsctr-view-');
  try {
    const upper = join(tmp, 'upper');
    const lower = join(tmp, 'lower');
    fs.mkdirSync(join(upper, 'etc'), { recursive: true });
    fs.mkdirSync(join(lower, 'usr/lib'), { recursive: true });
    fs.symlinkSync('/usr/lib', join(lower, 'lib'));
    fs.symlinkSync('../../../../..', join(lower, 'up'));
    fs.symlinkSync('/etc', join(upper, 'abs'));
    fs.symlinkSync('loop2', join(upper, 'loop1'));
    fs.symlinkSync('loop1', join(upper, 'loop2'));
    const v = new FsView(upper, [lower], new FakeSys());
    assert.equal(v.resolveParent('lib/x.so'), { dir: 'usr/lib', base: 'x.so' });
    assert.equal(v.resolveParent('up/up/etc/passwd'), { dir: 'etc', base: 'passwd' });
    assert.equal(v.resolveParent('abs/../../../x'), { dir: '', base: 'x' });
    assert.equal(v.resolveParent('lib'), { dir: '', base: 'lib' }, 'the last component is never followed');
    assert.equal(v.resolveParent('new/dir/f'), { dir: 'new/dir', base: 'f' });
    assert.throws(() => v.resolveParent('loop1/x'), /too many levels/);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test.run();
