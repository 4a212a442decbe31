// Signals through pidfds (issue 8 item 5): a reused pid is never signalled;
// kill --all freezes the cgroup around signalling each process, or uses
// cgroup.kill for SIGKILL.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSys } from '../../../src/sys/index.js';
import { NotFoundError } from '../../../src/errors.js';
import { signalTask } from '../../../src/container/signal.js';
import { processStartTime } from '../../../src/container/store.js';
import { rootTest } from '../../helpers/root.js';
import { until } from '../../helpers/tasks.js';
import { Env, FIXTURE_REF } from '../../helpers/tsctr.js';

let env: Env;
const mine: ChildProcess[] = [];
test.before(() => {
  env = new Env('killpidfd');
  if (process.geteuid?.() === 0) env.importFixture();
});
test.after(() => {
  for (const c of mine) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const id of ['killpid-1', 'killall-1', 'killall-2']) env.run(['containers', 'rm', '--force', id]);
  env.cleanup();
});

type Row = { id: string; pid: number; status: string; exit?: number | null };
const tasks = (): Row[] => JSON.parse(env.run(['tasks', 'ls', '--json']).stdout || '[]');
const alive = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;
function startSleep(): ChildProcess {
  const c = spawn('sleep', ['300'], { stdio: 'ignore' });
  mine.push(c);
  return c;
}

rootTest(test, 'a recorded pid now held by another process: tasks kill refuses and does not signal it', async () => {
  assert.is(env.run(['run', '-d', FIXTURE_REF, 'killpid-1', 'true']).code, 0);
  await until(() => tasks().find((t) => t.id === 'killpid-1' && t.status === 'STOPPED'), 'killpid-1 to stop');
  // The recorded pid now points at a live process of ours that started at another time.
  const impostor = startSleep();
  await until(() => processStartTime(impostor.pid!), 'the sleep to start');
  const file = join(env.state, '.runtime', 'default', 'killpid-1', 'state.json');
  const state = JSON.parse(readFileSync(file, 'utf8'));
  assert.is.not(processStartTime(impostor.pid!), state.startTime);
  writeFileSync(file, JSON.stringify({ ...state, pid: impostor.pid }));
  for (const sig of ['KILL', 'TERM']) {
    const r = env.run(['tasks', 'kill', '-s', sig, 'killpid-1']);
    assert.is(r.code, 1);
    assert.match(r.stderr, /container "killpid-1" has no running task/);
    assert.is(r.stderr.trim().split('\n').length, 1);
  }
  assert.is(env.run(['tasks', 'rm', '--force', 'killpid-1']).code, 0);
  await new Promise((r) => setTimeout(r, 100));
  assert.ok(alive(impostor), 'the other process was not signalled');
});

rootTest(test, 'signalTask: the pidfd is checked against the recorded start time before anything is sent', async () => {
  const sys = await loadSys();
  const s = startSleep();
  const started = await until(() => processStartTime(s.pid!), 'the sleep to start');
  // A start time that is not this process's: refused, nothing sent.
  assert.throws(() => signalTask(sys, { id: 'x', pid: s.pid!, startTime: String(Number(started) - 1) }, 9), (e: unknown) => e instanceof NotFoundError && /is gone or is now another process/.test((e as Error).message));
  await new Promise((r) => setTimeout(r, 100));
  assert.ok(alive(s), 'not signalled');
  // Its own start time: signalled through the pidfd.
  const gone = new Promise((r) => s.on('exit', (_c, sig) => r(sig)));
  signalTask(sys, { id: 'x', pid: s.pid!, startTime: started }, 15);
  assert.is(await gone, 'SIGTERM');
  assert.throws(() => signalTask(sys, { id: 'x', pid: s.pid!, startTime: started }, 15), (e: unknown) => e instanceof NotFoundError, 'an exited process is refused too');
});

rootTest(test, 'kill --all: the cgroup is frozen while every process is signalled by pidfd, then thawed; all are gone', async () => {
  assert.is(env.run(['run', '-d', FIXTURE_REF, 'killall-1', 'sh', '-c', 'sleep 300 & sleep 300 & sleep 300 & wait']).code, 0);
  const pids = await until(() => { const p = env.run(['tasks', 'ps', 'killall-1']).stdout.match(/^\d+/gm) ?? []; return p.length === 4 && p; }, 'four processes');
  const r = env.run(['tasks', 'kill', '--all', '--trace', '-s', 'TERM', 'killall-1']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /^froze tsctr\/default\/killall-1 \((FROZEN|frozen)\); signal 15 → 4 processes \(([\d ]+)\) by pidfd; thawed \((THAWED|thawed)\)$/m);
  assert.equal(/4 processes \(([\d ]+)\)/.exec(r.stderr)![1]!.split(' ').sort(), [...pids].sort());
  // The sleeps die of SIGTERM; sh (the pid namespace's init, no handler) ignores it but its wait returns.
  const stopped = await until(() => tasks().find((t) => t.id === 'killall-1' && t.status === 'STOPPED'), 'killall-1 to stop');
  assert.is(stopped.exit, 0);
  for (const p of pids) assert.not.ok(processStartTime(Number(p)), `pid ${p} is gone`);
});

rootTest(test, 'kill --all -s KILL goes through cgroup.kill where there is one, else freeze + pidfd', async () => {
  assert.is(env.run(['run', '-d', FIXTURE_REF, 'killall-2', 'sh', '-c', 'sleep 300 & sleep 300 & wait']).code, 0);
  await until(() => (env.run(['tasks', 'ps', 'killall-2']).stdout.match(/^\d+/gm) ?? []).length === 3, 'three processes');
  const r = env.run(['tasks', 'kill', '--all', '--trace', '-s', 'KILL', 'killall-2']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /^(cgroup\.kill tsctr\/default\/killall-2: 3 processes|froze tsctr\/default\/killall-2 .*signal 9 → 3 processes .* by pidfd)/m);
  const stopped = await until(() => tasks().find((t) => t.id === 'killall-2' && t.status === 'STOPPED'), 'killall-2 to stop');
  assert.is(stopped.exit, 137);
});

test.run();
