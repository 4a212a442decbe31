import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveInRootfs, resolveUser } from '../../../../src/container/user.js';

let root = '';
test.before(() => {
  root = mkdtempSync(join(tmpdir(), 'tsctr-user-'));
  mkdirSync(join(root, 'etc'));
  mkdirSync(join(root, 'usr/lib'), { recursive: true });
  writeFileSync(join(root, 'etc/passwd'), [
    'root:x:0:0:root:/root:/bin/sh',
    '# a comment',
    'bob:x:1000:1000:Bob:/home/bob:/bin/sh',
    'svc:x:999:50::/var/svc:/bin/false',
    'broken line',
  ].join('\n'));
  // /etc/group reached through an absolute symlink, as some images ship it.
  writeFileSync(join(root, 'usr/lib/group'), ['root:x:0:', 'wheel:x:10:bob,svc', 'staff:x:50:', 'audio:x:63:bob', 'bob:x:1000:'].join('\n'));
  symlinkSync('/usr/lib/group', join(root, 'etc/group'));
});
test.after(() => rmSync(root, { recursive: true, force: true }));

test('table of --user values', () => {
  const table: [string, { uid: number; gid: number; additionalGids: number[]; username?: string }][] = [
    ['0', { uid: 0, gid: 0, additionalGids: [], username: 'root' }],
    ['bob', { uid: 1000, gid: 1000, additionalGids: [10, 63], username: 'bob' }],
    ['1000', { uid: 1000, gid: 1000, additionalGids: [10, 63], username: 'bob' }],
    ['bob:staff', { uid: 1000, gid: 50, additionalGids: [10, 63], username: 'bob' }],
    ['bob:7', { uid: 1000, gid: 7, additionalGids: [10, 63], username: 'bob' }],
    ['svc', { uid: 999, gid: 50, additionalGids: [10], username: 'svc' }],
    ['4242', { uid: 4242, gid: 0, additionalGids: [] }],
    ['4242:4343', { uid: 4242, gid: 4343, additionalGids: [] }],
    ['4242:wheel', { uid: 4242, gid: 10, additionalGids: [] }],
  ];
  for (const [input, want] of table) {
    const r = resolveUser(root, input);
    assert.equal({ uid: r.uid, gid: r.gid, additionalGids: r.additionalGids, ...(r.username ? { username: r.username } : {}) }, want, input);
  }
  assert.is(resolveUser(root, 'bob').home, '/home/bob');
});

test('clear errors naming the file', () => {
  assert.throws(() => resolveUser(root, 'alice'), (e: Error) => e.message === `user "alice": no such user in ${root}/etc/passwd`);
  assert.throws(() => resolveUser(root, 'bob:nogroup'), (e: Error) => e.message === `group "nogroup": no such group in ${root}/etc/group`);
  assert.throws(() => resolveUser(root, 'a:b:c'), /expected uid, uid:gid, name or name:group/);
  assert.throws(() => resolveUser(root, ''), /expected uid/);
  assert.throws(() => resolveUser(root, '99999999999'), /out of range/);
});

test('symlinks resolve inside the rootfs; climbing out is refused', () => {
  assert.is(resolveInRootfs(root, '/etc/group'), join(root, 'usr/lib/group'));
  const evil = mkdtempSync(join(tmpdir(), 'tsctr-user-evil-'));
  try {
    mkdirSync(join(evil, 'etc'));
    symlinkSync('../../../../../../etc/passwd', join(evil, 'etc/passwd'));
    assert.throws(() => resolveUser(evil, 'root'), /leaves the root filesystem/);
    // An absolute link is read inside the rootfs, never on the host.
    rmSync(join(evil, 'etc/passwd'));
    symlinkSync('/usr/../../etc/shadow-of-host', join(evil, 'etc/passwd'));
    assert.throws(() => resolveUser(evil, 'root'), /leaves the root filesystem/);
    rmSync(join(evil, 'etc/passwd'));
    symlinkSync('/var/passwd', join(evil, 'etc/passwd'));
    assert.is(resolveInRootfs(evil, '/etc/passwd'), join(evil, 'var/passwd'));
    assert.throws(() => resolveUser(evil, 'root'), /no such user/);
    assert.equal(resolveUser(evil, '0:0'), { uid: 0, gid: 0, additionalGids: [] });
  } finally {
    rmSync(evil, { recursive: true, force: true });
  }
});

test.run();
