// run -d: the container outlives tsctr under tsctr-monitor, which records its
// exit status; tasks ls/logs/exec/kill/rm and containers rm handle it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { rootTest } from '../../helpers/root.js';
import { Env, FIXTURE_REF } from '../../helpers/tsctr.js';
import { GO, waitForGo } from '../../helpers/tasks.js';

let env: Env;
test.before(() => {
  env = new Env('detach');
  if (process.geteuid?.() === 0) env.importFixture();
});
test.after(() => {
  for (const id of ['dt1', 'dt2', 'dt3']) env.run(['containers', 'rm', '--force', id]);
  env.cleanup();
});

const mountsOf = (id: string) => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(join(env.state, 'default', id)));
type Row = { id: string; pid: number; status: string; exit?: number | null };
const tasks = (): Row[] => JSON.parse(env.run(['tasks', 'ls', '--json']).stdout || '[]');

async function until<T>(f: () => T | undefined, what: string, ms = 10000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

rootTest(test, 'run -d returns at once; the task runs on, then stops with its status; tasks rm releases it', async () => {
  const r = env.run(['run', '-d', FIXTURE_REF, 'dt1', 'sh', '-c', `echo out; echo err >&2; ${waitForGo()}; exit 7`]);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, '');
  // "At once" is shown by the task, which waits for GO, still RUNNING after run -d returned (no clock: a loaded machine is slow).
  const running = tasks().find((t) => t.id === 'dt1');
  assert.is(running?.status, 'RUNNING');
  // tsctr is gone; the container's parent is the monitor.
  const ppid = Number(/^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${running!.pid}/status`, 'utf8'))![1]);
  assert.match(readFileSync(`/proc/${ppid}/cmdline`, 'utf8'), /tsctr-monitor/);
  assert.is(env.run(['tasks', 'exec', 'dt1', 'hostname']).stdout, 'dt1\n');
  // The task waits for this file, so a slow machine cannot see it stopped before the checks above.
  assert.is(env.run(['tasks', 'exec', 'dt1', ...GO]).code, 0);
  const stopped = await until(() => tasks().find((t) => t.id === 'dt1' && t.status === 'STOPPED'), 'dt1 to stop');
  assert.is(stopped.exit, 7);
  assert.is(env.run(['tasks', 'logs', 'dt1']).stdout, 'out\nerr\n');
  assert.match(env.run(['containers', 'ls']).stdout, /dt1 .* stopped \(task not deleted\)/);
  assert.ok(mountsOf('dt1').length > 0, 'the rootfs stays mounted until the task is deleted, as with ctr');
  const rm = env.run(['tasks', 'rm', 'dt1']);
  assert.is(rm.stdout, 'dt1: exited with status 7\n');
  assert.equal(mountsOf('dt1'), []);
  assert.is(env.run(['containers', 'rm', 'dt1']).code, 0);
  assert.not.match(spawnSync('pgrep', ['-fa', 'tsctr-monitor'], { encoding: 'utf8' }).stdout, new RegExp(env.state), 'no monitor left');
});

rootTest(test, 'a detached task killed with tasks kill reports 128+9; containers rm --force handles a running one', async () => {
  assert.is(env.run(['run', '-d', FIXTURE_REF, 'dt2', 'sleep', '60']).code, 0);
  assert.is(env.run(['tasks', 'kill', '-s', 'KILL', 'dt2']).code, 0);
  const s = await until(() => tasks().find((t) => t.id === 'dt2' && t.status === 'STOPPED'), 'dt2 to stop');
  assert.is(s.exit, 137);
  assert.is(env.run(['containers', 'rm', 'dt2']).code, 0, 'a stopped task is released by containers rm');
  assert.is(env.run(['run', '-d', FIXTURE_REF, 'dt3', 'sleep', '60']).code, 0);
  const refused = env.run(['containers', 'rm', 'dt3']);
  assert.is(refused.code, 1);
  assert.match(refused.stderr, /has a running task.*--force/);
  assert.is(env.run(['containers', 'rm', '--force', 'dt3']).code, 0);
  assert.equal(mountsOf('dt3'), []);
  assert.equal(tasks(), []);
});

rootTest(test, 'run -d refuses --rm; a failed start leaves no container', () => {
  assert.match(env.run(['run', '-d', '--rm', FIXTURE_REF, 'x', 'true']).stderr, /--rm and --detach cannot be used together/);
  const r = env.run(['run', '-d', FIXTURE_REF, 'x', 'nothere']);
  assert.is(r.code, 127);
  assert.is(env.run(['containers', 'ls', '-q']).stdout, '');
});

test.run();
