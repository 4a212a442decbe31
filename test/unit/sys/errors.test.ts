import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SysError, errnoName, errnoOf } from '../../../src/sys/errors.js';
import { FakeSys } from '../../../src/sys/fake.js';

test('SysError reads like a crun error site', () => {
  const e = new SysError('mount', 1, '/x');
  assert.is(e.message, 'mount "/x": EPERM (Operation not permitted)');
  assert.is(e.code, 'EPERM');
  assert.is(e.errno, 1);
  assert.is(e.path, '/x');
});

test('SysError without a path', () => {
  assert.is(new SysError('unshare', 22).message, 'unshare: EINVAL (Invalid argument)');
});

test('errno names round-trip', () => {
  for (const name of ['ENOENT', 'EBUSY', 'EINVAL', 'ENOSPC', 'EEXIST']) assert.is(errnoName(errnoOf(name)), name);
  assert.is(errnoName(95), 'EOPNOTSUPP');
});

test('FakeSys records calls and fails on demand', () => {
  const s = new FakeSys();
  s.mount('proc', '/proc', 'proc', 0, null);
  assert.equal(s.calls[0], { name: 'mount', args: ['proc', '/proc', 'proc', 0, null] });
  s.failOn.mount = 'EBUSY';
  assert.throws(() => s.mount('proc', '/p', 'proc', 0, null), /mount "\/p": EBUSY/);
  s.lsetxattr('/f', 'user.a', Buffer.from('v'), 0);
  assert.equal(s.llistxattr('/f'), ['user.a']);
  assert.is(s.lgetxattr('/f', 'user.b'), null);
});

test.run();
