// tasks pause/resume through the cgroup freezer, PAUSED in tasks ls and
// containers ls, kill and rm --force of a paused task; and truthful state
// when a detached task's monitor is killed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { rootTest } from '../../helpers/root.js';
import { Env, FIXTURE_REF } from '../../helpers/tsctr.js';

let env: Env;
const IDS = ['tasks-p1', 'tasks-p2', 'tasks-m1', 'tasks-m2'];
test.before(() => {
  env = new Env('tasks-pause');
  if (process.geteuid?.() === 0) env.importFixture();
});
test.after(() => {
  for (const id of IDS) { env.run(['tasks', 'resume', id]); env.run(['containers', 'rm', '--force', id]); }
  env.cleanup();
});

type Row = { id: string; pid: number; status: string; monitor: boolean | null; exit: number | null };
const tasks = (): Row[] => JSON.parse(env.run(['tasks', 'ls', '--format', 'json']).stdout || '[]');
const task = (id: string) => tasks().find((t) => t.id === id);
const tableLine = (args: string[], id: string) => env.run(args).stdout.split('\n').find((l) => l.startsWith(id + ' ')) ?? '';
// The task's one record is the runtime core's (src/oci/state.ts); its parent is the monitor for run -d.
const state = (id: string) => {
  const r = JSON.parse(readFileSync(join(env.state, '.runtime', 'default', id, 'state.json'), 'utf8'));
  return { ...r, monitorPid: r.parent?.kind === 'monitor' ? r.parent.pid : undefined };
};
const mountsOf = (id: string) => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(join(env.state, 'default', id)));
const cgroupDirsOf = (id: string) => readdirSync('/sys/fs/cgroup').map((h) => join('/sys/fs/cgroup', h, 'tsctr', 'default', id)).filter((d) => existsSync(d));
const ppidOf = (pid: number) => { try { return Number(/^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]); } catch { return undefined; } };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(f: () => T | undefined, what: string, ms = 10000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const LOOP = ['sh', '-c', 'while true; do echo x >> /tmp/t; sleep 0.1; done'];

rootTest(test, 'pause stops the container (its file stops growing), shows PAUSED in tasks ls and containers ls; resume lets it go on', async () => {
  assert.is(env.run(['run', '-d', FIXTURE_REF, 'tasks-p1', ...LOOP]).code, 0);
  const file = join(state('tasks-p1').rootfs, 'tmp/t');
  await until(() => existsSync(file) && statSync(file).size > 0, 'the loop to write');
  const p = env.run(['tasks', 'pause', 'tasks-p1']);
  assert.is(p.code, 0, p.stderr);
  assert.is(task('tasks-p1')?.status, 'PAUSED');
  assert.match(tableLine(['tasks', 'ls'], 'tasks-p1'), / PAUSED /);
  assert.match(tableLine(['containers', 'ls'], 'tasks-p1'), /paused \(pid \d+, detached\)/);
  const c = JSON.parse(env.run(['containers', 'ls', '--format', 'json']).stdout).find((x: { id: string }) => x.id === 'tasks-p1');
  assert.is(c.task.status, 'paused');
  const frozenSize = statSync(file).size;
  await sleep(600);
  assert.is(statSync(file).size, frozenSize, 'nothing runs while paused');
  const again = env.run(['tasks', 'pause', 'tasks-p1']);
  assert.is(again.code, 1);
  assert.match(again.stderr, /already paused/);
  assert.not.match(again.stderr, /\n\s+at /, 'no stack trace');
  const exec = env.run(['tasks', 'exec', 'tasks-p1', 'true']);
  assert.is(exec.code, 1);
  assert.match(exec.stderr, /is paused: cannot exec.*tasks resume tasks-p1/);
  assert.is(env.run(['tasks', 'resume', 'tasks-p1']).code, 0);
  await until(() => statSync(file).size > frozenSize, 'the file to grow after resume');
  assert.is(task('tasks-p1')?.status, 'RUNNING');
  assert.match(env.run(['tasks', 'resume', 'tasks-p1']).stderr, /not paused/);
});

rootTest(test, 'a paused task keeps other signals for resume; SIGKILL kills it (thawed after); rm --force of a paused one cleans up', async () => {
  assert.is(env.run(['tasks', 'pause', 'tasks-p1']).code, 0);
  assert.is(env.run(['tasks', 'kill', '-s', 'TERM', 'tasks-p1']).code, 0);
  assert.is(task('tasks-p1')?.status, 'PAUSED', 'SIGTERM waits for resume');
  assert.is(env.run(['tasks', 'kill', '-s', 'KILL', 'tasks-p1']).code, 0);
  const s = await until(() => tasks().find((t) => t.id === 'tasks-p1' && t.status === 'STOPPED'), 'tasks-p1 to stop');
  assert.is(s.exit, 137);
  assert.is(env.run(['tasks', 'rm', 'tasks-p1']).stdout, 'tasks-p1: exited with status 137\n');
  assert.equal(cgroupDirsOf('tasks-p1'), []);

  assert.is(env.run(['run', '-d', FIXTURE_REF, 'tasks-p2', ...LOOP]).code, 0);
  assert.is(env.run(['tasks', 'pause', 'tasks-p2']).code, 0);
  const refused = env.run(['tasks', 'rm', 'tasks-p2']);
  assert.is(refused.code, 1);
  assert.match(refused.stderr, /running task/);
  const rm = env.run(['tasks', 'rm', '--force', 'tasks-p2']);
  assert.is(rm.code, 0, rm.stderr);
  assert.is(rm.stdout, 'tasks-p2: exited with status 137\n');
  assert.equal(mountsOf('tasks-p2'), []);
  assert.equal(cgroupDirsOf('tasks-p2'), []);
  assert.is(task('tasks-p2'), undefined);
});

async function killMonitor(id: string): Promise<number> {
  const st = state(id);
  assert.ok(st.monitorPid > 0);
  assert.is(ppidOf(st.pid), st.monitorPid, 'the recorded monitor is the container\'s parent');
  assert.match(readFileSync(`/proc/${st.monitorPid}/cmdline`, 'utf8'), /tsctr-monitor/);
  process.kill(st.monitorPid, 'SIGKILL');
  await until(() => ppidOf(st.pid) !== st.monitorPid, 'the container to be reparented');
  return st.pid;
}

rootTest(test, 'a killed monitor: RUNNING (no monitor) while the container lives, UNKNOWN (exit status lost) once it is gone; rm --force cleans up', async () => {
  assert.is(env.run(['run', '-d', FIXTURE_REF, 'tasks-m1', 'sleep', '300']).code, 0);
  assert.equal(task('tasks-m1')?.monitor, true);
  const pid = await killMonitor('tasks-m1');
  assert.equal({ ...task('tasks-m1'), pid: 0 }, { id: 'tasks-m1', pid: 0, status: 'RUNNING', detached: true, monitor: false, exit: null, oomKilled: false, addresses: [] } as unknown as Row);
  assert.match(tableLine(['tasks', 'ls'], 'tasks-m1'), /RUNNING \(no monitor\)/);
  assert.match(tableLine(['containers', 'ls'], 'tasks-m1'), /running \(pid \d+, detached, no monitor\)/);
  assert.is(env.run(['tasks', 'kill', '-s', 'KILL', 'tasks-m1']).code, 0);
  await until(() => !existsSync(`/proc/${pid}`) || undefined, 'the container to be reaped');
  assert.is(task('tasks-m1')?.status, 'UNKNOWN');
  assert.match(tableLine(['tasks', 'ls'], 'tasks-m1'), /UNKNOWN \(exit status lost\)/);
  const rm = env.run(['tasks', 'rm', '--force', 'tasks-m1']);
  assert.is(rm.code, 0, rm.stderr);
  assert.is(rm.stdout, 'tasks-m1: exit status unknown\n');
  assert.equal(mountsOf('tasks-m1'), []);
  assert.equal(cgroupDirsOf('tasks-m1'), []);

  // rm --force of a live container whose monitor is gone kills it through its pidfd.
  assert.is(env.run(['run', '-d', FIXTURE_REF, 'tasks-m2', 'sleep', '300']).code, 0);
  const pid2 = await killMonitor('tasks-m2');
  const rm2 = env.run(['tasks', 'rm', '--force', 'tasks-m2']);
  assert.is(rm2.code, 0, rm2.stderr);
  await until(() => !existsSync(`/proc/${pid2}`) || undefined, 'the container to be gone');
  assert.equal(mountsOf('tasks-m2'), []);
  assert.equal(cgroupDirsOf('tasks-m2'), []);
  assert.is(task('tasks-m2'), undefined);
});

test.run();
