// The libc bindings against the real kernel: each call works, and each
// failure is a SysError naming the call, the errno and the path.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FS_MAGIC, LOCK, MNT, PR, S_IF } from '../../../src/sys/constants.js';
import { loadSys, SysError, type Sys } from '../../../src/sys/index.js';
import { rootTest } from '../../helpers/root.js';

let sys: Sys;
let tmp: string;
test.before(async () => {
  sys = await loadSys();
  tmp = mkdtempSync('/tmp/tsctr-libc-');
});
test.after(() => {
  try { sys.umount2(join(tmp, 'mnt'), MNT.DETACH); } catch { /* not mounted */ }
  rmSync(tmp, { recursive: true, force: true });
});

rootTest(test, 'mount and umount2 a tmpfs; statfs sees it; errors name the path', () => {
  const mnt = join(tmp, 'mnt');
  mkdirSync(mnt);
  sys.mount('tsctr-libc', mnt, 'tmpfs', 0, 'size=1m');
  try {
    assert.is(sys.statfs(mnt).type, FS_MAGIC.TMPFS);
    assert.match(readFileSync('/proc/self/mountinfo', 'utf8'), ` ${mnt} `);
  } finally {
    sys.umount2(mnt, 0);
  }
  assert.not.match(readFileSync('/proc/self/mountinfo', 'utf8'), ` ${mnt} `);
  try {
    sys.mount('x', join(tmp, 'missing'), 'tmpfs', 0, null);
    assert.unreachable();
  } catch (e) {
    assert.instance(e, SysError);
    assert.is((e as SysError).message, `mount ${JSON.stringify(join(tmp, 'missing'))}: ENOENT (No such file or directory)`);
  }
  assert.throws(() => sys.umount2(tmp, 0), /umount2 ".*": EINVAL/);
});

rootTest(test, 'mknod makes fifos and devices; lchown changes owners', () => {
  const fifo = join(tmp, 'fifo');
  sys.mknod(fifo, S_IF.IFO | 0o600, 0, 0);
  assert.ok(statSync(fifo).isFIFO());
  const dev = join(tmp, 'null');
  sys.mknod(dev, S_IF.CHR | 0o666, 1, 3);
  const st = statSync(dev);
  assert.ok(st.isCharacterDevice());
  assert.is(st.rdev, (1 << 8) | 3);
  sys.lchown(fifo, 1234, 5678);
  assert.is(statSync(fifo).uid, 1234);
  assert.is(statSync(fifo).gid, 5678);
  assert.throws(() => sys.mknod(fifo, S_IF.IFO | 0o600, 0, 0), /mknod ".*fifo": EEXIST/);
});

test('xattrs: set, get, list, remove; a missing one is null', () => {
  const f = join(tmp, 'x');
  writeFileSync(f, '');
  sys.lsetxattr(f, 'user.tsctr', Buffer.from('v1'), 0);
  assert.is(sys.lgetxattr(f, 'user.tsctr')!.toString(), 'v1');
  assert.ok(sys.llistxattr(f).includes('user.tsctr'));
  assert.is(sys.lgetxattr(f, 'user.none'), null);
  sys.lremovexattr(f, 'user.tsctr');
  assert.is(sys.lgetxattr(f, 'user.tsctr'), null);
  assert.throws(() => sys.llistxattr(join(tmp, 'nope')), /llistxattr ".*nope": ENOENT/);
});

test('flock: a second exclusive lock is refused without blocking, granted after unlock', async () => {
  const p = join(tmp, 'lock');
  writeFileSync(p, '');
  const a = openSync(p, 'r');
  const b = openSync(p, 'r');
  try {
    sys.flock(a, LOCK.EX);
    assert.throws(() => sys.flock(b, LOCK.EX | LOCK.NB), /flock: (EAGAIN|EWOULDBLOCK)/);
    const waiting = sys.flockWait(b, LOCK.EX);
    sys.flock(a, LOCK.UN);
    await waiting;
  } finally {
    closeSync(a);
    closeSync(b);
  }
});

test('kill and prctl', async () => {
  sys.kill(process.pid, 0);
  assert.throws(() => sys.kill(2 ** 22 + 1, 0), /kill: ESRCH/);
  assert.is(sys.prctl(PR.GET_NO_NEW_PRIVS), 0);
  const c = spawn('sleep', ['5']);
  sys.kill(c.pid!, 15);
  await new Promise((r) => c.on('exit', r));
});

test('openpty gives a pair whose window size can be set and read', () => {
  const p = sys.openpty();
  try {
    assert.match(p.name, /^\/dev\/pts\/\d+$/);
    sys.setWinsize(p.master, 33, 99);
    assert.equal(sys.getWinsize(p.slave), { rows: 33, cols: 99 });
    sys.setOutputProcessing(p.slave, false);
    sys.setOutputProcessing(p.slave, true);
  } finally {
    closeSync(p.master);
    closeSync(p.slave);
  }
  assert.throws(() => sys.getWinsize(openSync('/dev/null', 'r')), /TIOCGWINSZ: ENOTTY/);
});

test('pipe, dup and close-on-exec', () => {
  const [r, w] = sys.pipe();
  const d = sys.dup(w);
  sys.setCloexec(d, false);
  sys.setCloexec(d, true);
  for (const fd of [r, w, d]) closeSync(fd);
  assert.match(sys.buildId(), /^[0-9a-f]{12}$/);
});

test.run();
