// tasks exec: another process in a running container's namespaces and cgroup.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ChildProcess } from 'node:child_process';
import { loadSys } from '../../../src/sys/index.js';
import { PtySession } from '../../helpers/pty-driver.js';
import { rootTest } from '../../helpers/root.js';
import { Env, FIXTURE_REF } from '../../helpers/tsctr.js';

let env: Env;
let p: ChildProcess | undefined;
test.before(() => {
  env = new Env('exec');
  if (process.geteuid?.() === 0) env.importFixture();
});
test.after(async () => {
  if (p && p.exitCode === null && p.signalCode === null) {
    const gone = new Promise((r) => p!.on('exit', r));
    p.kill('SIGKILL');
    await gone;
  }
  env.cleanup();
});

rootTest(test, 'exec joins the container: its pid namespace, hostname, cgroup and capabilities', async () => {
  p = env.spawn(['run', '--rm', '--hostname', 'exhost', FIXTURE_REF, 'ex1', 'sleep', '60'], { stdio: 'ignore' });
  let up = false;
  for (let i = 0; i < 200 && !up; i++) {
    up = env.run(['tasks', 'ls']).stdout.includes('ex1');
    if (!up) await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(up, 'the task never started');
  const r = env.run(['tasks', 'exec', 'ex1', 'sh', '-c', 'cat /proc/1/comm; hostname; grep CapEff /proc/self/status; cat /proc/self/cgroup']);
  assert.is(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.is(lines[0], 'sleep', 'pid 1 is the container\'s init');
  assert.is(lines[1], 'exhost');
  assert.match(r.stdout, /CapEff:\s+00000000a80425fb/);
  assert.match(r.stdout, /:\/tsctr\/default\/ex1$/m);
  // Flags, exit codes and errors.
  const f = env.run(['tasks', 'exec', '-e', 'X=1', '--user', 'nobody', '--cwd', '/tmp', 'ex1', 'sh', '-c', 'echo $X; id -u; pwd; exit 4']);
  assert.is(f.code, 4);
  assert.is(f.stdout, '1\n65534\n/tmp\n');
  const missing = env.run(['tasks', 'exec', 'ex1', 'nothere']);
  assert.is(missing.code, 127);
  assert.match(missing.stderr, /^tsctr: tasks exec ex1: step \d+ execve\("nothere"/);
  // With a terminal.
  const s = new PtySession(await loadSys(), [process.execPath, ...env.args(['tasks', 'exec', '-t', 'ex1', 'sh'])]);
  try {
    await s.waitFor(/\/ # /);
    assert.is((await s.sh('tty')).trim(), '/dev/pts/0');
    s.send('exit 6\r');
    assert.is((await s.exited).code, 6);
  } finally {
    s.close();
  }
});

rootTest(test, 'exec into a container without a running task is one clear line', () => {
  const r = env.run(['tasks', 'exec', 'nosuch', 'true']);
  assert.is(r.code, 1);
  assert.match(r.stderr, /container "nosuch" not found/);
  assert.is(r.stderr.trim().split('\n').length, 1);
});

test.run();
