// The done-criterion of the runtime issue: an interactive shell through a pty.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadSys, type Sys } from '../../../src/sys/index.js';
import { PtySession } from '../../helpers/pty-driver.js';
import { rootTest } from '../../helpers/root.js';
import { Env, FIXTURE_REF } from '../../helpers/tsctr.js';

let env: Env;
let sys: Sys;
let s: PtySession | undefined;

test.before(async () => {
  sys = await loadSys();
  env = new Env('pty');
  if (process.geteuid?.() === 0) env.importFixture();
});
test.after(() => {
  s?.close();
  env.cleanup();
});

rootTest(test, 'run -t --rm busybox c1 sh: an interactive shell in its own namespaces', async () => {
  s = new PtySession(sys, [process.execPath, ...env.args(['run', '-t', '--rm', FIXTURE_REF, 'c1', 'sh'])]);
  await s.waitFor(/\/ # /);
  const ps = await s.sh('ps -o pid,comm');
  assert.match(ps, /^\s*1\s+sh\s*$/m, 'sh is pid 1');
  assert.is((await s.sh('hostname')).trim(), 'c1');
  // The container's own /proc: only its processes, and pid 1 is sh.
  assert.is((await s.sh('cat /proc/1/comm')).trim(), 'sh');
  assert.ok(Number((await s.sh('ls -d /proc/[0-9]* | wc -l')).trim()) <= 4, 'a fresh pid namespace');
  const mounts = await s.sh('cat /proc/self/mounts');
  for (const [what, where, type] of [['proc', '/proc', 'proc'], ['tmpfs', '/dev', 'tmpfs'], ['devpts', '/dev/pts', 'devpts'], ['shm', '/dev/shm', 'tmpfs'], ['mqueue', '/dev/mqueue', 'mqueue'], ['sysfs', '/sys', 'sysfs']]) {
    assert.match(mounts, new RegExp(`^${what} ${where} ${type} `, 'm'), `${where} is mounted`);
  }
  assert.match(mounts, /^overlay \/ overlay /m, 'the root is the overlay snapshot');
  assert.match(mounts, /^sysfs \/sys sysfs ro,/m, '/sys is read-only');
  const caps = await s.sh('grep ^Cap /proc/1/status');
  // containerd's default set: CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP
  for (const set of ['CapPrm', 'CapEff', 'CapBnd']) assert.match(caps, new RegExp(`${set}:\\s+00000000a80425fb`), `${set} is the default set`);
  assert.match(caps, /CapInh:\s+0000000000000000/);
  assert.match(caps, /CapAmb:\s+0000000000000000/);
  // Masked paths: files read as empty, directories are empty read-only tmpfs.
  assert.is((await s.sh('wc -c < /proc/timer_list')).trim(), '0');
  assert.is((await s.sh('wc -c < /proc/keys')).trim(), '0');
  assert.is((await s.sh('ls /sys/firmware | wc -l')).trim(), '0');
  assert.match(await s.sh('touch /proc/sys/kernel/x 2>&1; echo rc=$?'), /rc=1/);
  const links = await s.sh('ip -o link');
  assert.equal(links.trim().split('\n').map((l) => l.split(':')[1]!.trim()), ['lo'], 'only lo');
  assert.match(links, /UP/);
  assert.is((await s.sh('stty size')).trim(), '30 100', 'the window size reached the container');
  s.resize(40, 120);
  let size = '';
  for (let i = 0; i < 50 && size !== '40 120'; i++) size = (await s.sh('stty size')).trim();
  assert.is(size, '40 120', 'SIGWINCH carries a resize into the container');
  // The pty is the container's own (opened inside it), as with runc; /dev/console is bound to it.
  assert.is((await s.sh('tty')).trim(), '/dev/pts/0');
  assert.is((await s.sh('[ /dev/console -ef /dev/pts/0 ] && echo same')).trim(), 'same');
  s.send('exit 3\r');
  const st = await s.exited;
  assert.is(st.code, 3, 'exit 3 returns 3');
  // --rm left nothing behind.
  assert.is(env.run(['containers', 'ls', '-q']).stdout.trim(), '');
});

test.run();
