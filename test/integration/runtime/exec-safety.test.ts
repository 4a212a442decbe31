// tasks exec hardening (issue 8 item 3): the joiner's terminal comes from the
// container's own devpts, opened inside the container; a replaced /dev/pts
// gets a clear refusal and nothing on the host is touched; the exec'd
// process holds only fds 0-2 and is the container's binary; the joiner is
// non-dumpable from clone() to execve().
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, readdirSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rootTest } from '../../helpers/root.js';
import { Env, FIXTURE_REF } from '../../helpers/tsctr.js';

const ID = 'execsafe-1';
const PROBE = '/tmp/tsctr-execsafe-probe';
const PROBE_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '../../helpers/dumpable-probe.js');
let env: Env;
test.before(() => {
  env = new Env('execsafe');
  if (process.geteuid?.() === 0) env.importFixture();
});
test.after(() => {
  env.run(['containers', 'rm', '--force', ID]);
  rmSync(PROBE, { recursive: true, force: true });
  env.cleanup();
});

const exec = (args: string[]) => env.run(['tasks', 'exec', ...args]);
/** Changes the container's /dev/pts from inside (the container holds CAP_SYS_ADMIN for this test). */
const inContainer = (script: string) => {
  const r = exec([ID, 'sh', '-c', script]);
  assert.is(r.code, 0, `${script}: ${r.stderr}`);
  return r.stdout;
};
const hostPtys = () => spawnSync('sh', ['-c', 'ls /dev/pts | wc -l'], { encoding: 'utf8' }).stdout.trim();

/** Starts `tasks exec [-t] ID sleep` and returns the host pid of that sleep and what its fds point at. */
async function execedSleep(tty: boolean): Promise<{ fds: string[]; stop: () => Promise<void> }> {
  const before = new Set(env.run(['tasks', 'ps', ID]).stdout.match(/^\d+/gm) ?? []);
  const cli = env.spawn(['tasks', 'exec', ...(tty ? ['-t'] : []), ID, 'sleep', '300'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let pid: string | undefined;
  for (let i = 0; i < 200 && !pid; i++) {
    pid = (env.run(['tasks', 'ps', ID]).stdout.match(/^\d+(?= +sleep 300)/gm) ?? []).find((p) => !before.has(p));
    if (!pid) await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(pid, 'the exec\'d sleep never showed up');
  const fds = readdirSync(`/proc/${pid}/fd`).sort();
  return {
    fds: fds.map((fd) => `${fd} -> ${readlinkSync(`/proc/${pid}/fd/${fd}`)}`),
    stop: async () => {
      const gone = new Promise((r) => cli.on('exit', r));
      process.kill(Number(pid), 'SIGKILL');
      await gone;
    },
  };
}

rootTest(test, 'exec: only fds 0-2 reach the process, and its /proc/self/exe is the container\'s binary', async () => {
  const r = env.run(['run', '-d', '--cap-add', 'SYS_ADMIN', FIXTURE_REF, ID, 'sleep', '600']);
  assert.is(r.code, 0, r.stderr);
  const plain = await execedSleep(false);
  await plain.stop();
  assert.equal(plain.fds.map((l) => l.split(' ')[0]), ['0', '1', '2'], `no host fd is inherited: ${plain.fds.join(', ')}`);
  const tty = await execedSleep(true);
  await tty.stop();
  assert.equal(tty.fds.map((l) => l.split(' ')[0]), ['0', '1', '2'], `with -t: the master stayed out, the socket was closed: ${tty.fds.join(', ')}`);
  for (const l of tty.fds) assert.match(l, /-> \/dev\/pts\/\d+$/, 'fds 0-2 are the pty slave');
  // $$ is sh itself: its exe as seen inside the container, during the exec.
  const exe = exec([ID, 'sh', '-c', 'readlink /proc/$$/exe']);
  assert.is(exe.stdout, '/bin/busybox\n', 'the container\'s binary, not the host\'s node');
  const t = exec(['-t', ID, 'sh', '-c', 'readlink /proc/$$/exe; tty; readlink /proc/$$/fd/0']);
  assert.is(t.code, 0, t.stderr);
  const lines = t.stdout.split(/\r?\n/);
  assert.is(lines[0], '/bin/busybox');
  assert.match(lines[1]!, /^\/dev\/pts\/\d+$/, 'a pty of the container\'s devpts');
  assert.is(lines[2], lines[1]);
});

rootTest(test, 'exec -t into a container whose /dev/pts is its own new devpts: a working pty from it', async () => {
  inContainer('umount -l /dev/pts && mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts /dev/pts');
  const before = hostPtys();
  const r = exec(['-t', ID, 'sh', '-c', 'tty; stty size']);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout.split(/\r?\n/)[0], '/dev/pts/0', 'the first pty of the container\'s fresh instance');
  assert.is(hostPtys(), before, 'no pty was taken from the host\'s devpts');
});

rootTest(test, 'exec -t when the container put a fake ptmx in a tmpfs over /dev/pts: refused in one line', async () => {
  inContainer('umount -l /dev/pts && mount -t tmpfs tmpfs /dev/pts && echo fake > /dev/pts/ptmx');
  const r = exec(['-t', ID, 'tty']);
  assert.is(r.code, 1);
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /^tsctr: tasks exec execsafe-1: step \d+ open_pty\("\/dev\/pts\/ptmx".*ENOTTY.*\/dev\/pts replaced/);
  assert.is(inContainer('cat /dev/pts/ptmx'), 'fake\n', 'the fake is left as it was');
  // Without -t the container is still usable.
  assert.is(exec([ID, 'echo', 'ok']).stdout, 'ok\n');
});

rootTest(test, 'exec -t when /dev/pts is a symlink to a host-looking path: resolved in the container, the host path is not used', async () => {
  // On the host, the probe path leads to the host's real ptmx; in the container it does not exist.
  rmSync(PROBE, { recursive: true, force: true });
  mkdirSync(PROBE);
  symlinkSync('/dev/pts/ptmx', `${PROBE}/ptmx`);
  inContainer(`umount -l /dev/pts; rmdir /dev/pts 2>/dev/null || rm -rf /dev/pts; ln -s ${PROBE} /dev/pts && test -L /dev/pts`);
  const before = hostPtys();
  const r = exec(['-t', ID, 'tty']);
  assert.is(r.code, 1, r.stdout);
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /step \d+ open_pty\(.*ENOENT/);
  assert.is(hostPtys(), before, 'no host pty was opened');
  assert.is(readlinkSync(`${PROBE}/ptmx`), '/dev/pts/ptmx');
  assert.ok(lstatSync(PROBE).isDirectory());
});

rootTest(test, 'exec -t into a container with a user namespace: a pty owned by the process user', async () => {
  const id = 'execsafe-2';
  try {
    const r = env.run(['run', '-d', '--uidmap', '0:100000:65536', '--gidmap', '0:100000:65536', FIXTURE_REF, id, 'sleep', '600']);
    assert.is(r.code, 0, r.stderr);
    for (const [user, uid] of [['0', '0'], ['65534', '65534']]) {
      const e = exec(['-t', '-u', user!, id, 'sh', '-c', 'tty; ls -ln $(tty) | cut -c1-40; id -u']);
      assert.is(e.code, 0, e.stderr);
      const lines = e.stdout.split(/\r?\n/);
      assert.match(lines[0]!, /^\/dev\/pts\/\d+$/);
      assert.match(lines[1]!, new RegExp(`^crw--w---- +1 ${uid} +5 `), 'owned by the user, group tty');
      assert.is(lines[2], uid);
    }
  } finally {
    env.run(['containers', 'rm', '--force', id]);
  }
});

rootTest(test, 'the joiner is non-dumpable from clone() on: a same-uid process without CAP_SYS_PTRACE cannot read its /proc/<pid>/exe', () => {
  const probe = (mode: string) => {
    const r = spawnSync('setpriv', ['--bounding-set=-sys_ptrace', '--inh-caps=-sys_ptrace', process.execPath, PROBE_SCRIPT, mode], { encoding: 'utf8' });
    assert.is(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as { early: string; late: string; status: unknown; selfDumpable: number };
  };
  const open = probe('dumpable');
  assert.is(open.early, process.execPath, 'control: a dumpable child is readable, and it is the host\'s node');
  assert.is(open.late, process.execPath);
  const shut = probe('nondumpable');
  // early: before the child ran any op, so only the flag the executor set around clone() protects it.
  for (const seen of [shut.early, shut.late]) assert.is(seen, 'EACCES');
  assert.equal(shut.status, { kind: 'exited', code: 0 });
  assert.is(shut.selfDumpable, 1, 'the parent is dumpable again after clone()');
});

test.run();
