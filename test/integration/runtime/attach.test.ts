// run -d -t and tasks attach, through the CLI and a real pty: typing, resize,
// detach keys, several attaches at once, the task's exit code; a task without
// a terminal streams its output; one-line errors; the log's bound.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { rootTest } from '../../helpers/root.js';
import { assertRestored, alive, ended, GO, ready, TaskSuite, until, waitForGo } from '../../helpers/tasks.js';
import { FIXTURE_REF } from '../../helpers/tsctr.js';

const suite = new TaskSuite(test, 'attach', ['attach-t1', 'attach-t2', 'attach-p1', 'attach-log1']);
const { env } = suite;
const task = (id: string) => suite.task(id);
const attach = (id: string, extra: string[] = []) => suite.attachInShell(id, extra);
/** The monitor is the task's parent in the runtime core's record; the socket is in the task's bundle directory. */
const state = (id: string) => {
  const r = suite.monitored(id);
  assert.is(r.parentKind, 'monitor');
  return r;
};

rootTest(test, 'run -d -t, attach: typing, window size, detach keys, attach again, two at once; exit 7 ends every attach with 7', async () => {
  const r = env.run(['run', '-d', '-t', FIXTURE_REF, 'attach-t1', 'sh']);
  assert.is(r.code, 0, r.stderr);
  assert.is(task('attach-t1')?.status, 'RUNNING');
  const st = state('attach-t1');
  assert.is(statSync(st.attachSocket).mode & 0o777, 0o600, 'the socket is root-only');
  assert.match(readFileSync(`/proc/${st.monitorPid}/cmdline`, 'utf8'), /tsctr-monitor/);

  const a = attach('attach-t1');
  await ready(a);
  assert.is((await a.sh('echo hi')).trim(), 'hi');
  assert.is((await a.sh('tty')).trim(), '/dev/pts/0', 'the container\'s own pty');
  assert.is((await a.sh('stty size')).trim(), '30 100', 'the attach sent its window size');
  a.resize(40, 120, { group: true });
  let size = '';
  for (let i = 0; i < 50 && size !== '40 120'; i++) size = (await a.sh('stty size')).trim();
  assert.is(size, '40 120', 'SIGWINCH became a resize frame');
  a.send('\x10\x11');
  const detached = await ended(a);
  assert.is(detached.rc, 0, 'a detach exits 0');
  assert.match(a.output, /detached from attach-t1/);
  assertRestored(detached.modes);
  assert.is(task('attach-t1')?.status, 'RUNNING', 'the task keeps running after a detach');

  const b = attach('attach-t1');
  const c = attach('attach-t1', ['--detach-keys', 'ctrl-x,y']);
  await ready(b);
  await ready(c);
  const from = c.output.length;
  assert.is((await b.sh('echo shared-$((6*7))')).trim(), 'shared-42');
  await c.waitFor(/shared-42/, from);
  // Not c's detach keys: ctrl-p ctrl-q reach the shell (which recalls the last line; ctrl-u clears it).
  c.send('\x10\x11\x15');
  c.send('exit 7\r');
  const [eb, ec] = await Promise.all([ended(b), ended(c)]);
  assert.is(eb.rc, 7, 'every attach ends with the task\'s exit code');
  assert.is(ec.rc, 7);
  assertRestored(eb.modes);
  assertRestored(ec.modes);
  const stopped = await until(() => task('attach-t1'), 'the task state');
  assert.is(stopped.status, 'STOPPED');
  assert.is(stopped.exit, 7);
  assert.not.ok(existsSync(st.attachSocket), 'the socket is gone with the task');
  await until(() => !alive(st.monitorPid), 'the monitor to exit');
  const again = env.run(['tasks', 'attach', 'attach-t1']);
  assert.is(again.code, 1);
  assert.is(again.stderr.trim().split('\n').length, 1, again.stderr);
  assert.match(again.stderr, /task "attach-t1" is STOPPED \(exit 7\): nothing to attach to/);
  const log = env.run(['tasks', 'logs', 'attach-t1']).stdout;
  assert.match(log, /hi\r\n/);
  assert.match(log, /shared-42/);
});

rootTest(test, '--detach-keys ctrl-x,y detaches; a malformed spec and a missing task are one line each', async () => {
  assert.is(env.run(['run', '-d', '-t', FIXTURE_REF, 'attach-t2', 'sh']).code, 0);
  const a = attach('attach-t2', ['--detach-keys', 'ctrl-x,y']);
  await ready(a);
  a.send('\x18y');
  const e = await ended(a);
  assert.is(e.rc, 0);
  assertRestored(e.modes);
  assert.is(task('attach-t2')?.status, 'RUNNING');
  for (const keys of ['ctrl-1', 'ctrl-p,,ctrl-q', 'alt-x', '']) {
    const r = env.run(['tasks', 'attach', '--detach-keys', keys, 'attach-t2']);
    assert.is(r.code, 1, keys);
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^tsctr: tasks attach attach-t2: --detach-keys "[^"]*": .*\(hint: /);
  }
  const missing = env.run(['tasks', 'attach', 'attach-nosuch']);
  assert.is(missing.code, 1);
  assert.is(missing.stderr, 'tsctr: tasks attach attach-nosuch: container "attach-nosuch" not found in namespace "default" (hint: list containers with tsctr containers ls)\n');
  assert.is(env.run(['tasks', 'kill', '-s', 'KILL', 'attach-t2']).code, 0);
});

rootTest(test, 'attach to a task without a terminal streams its stdout and stderr and ends with its exit code', async () => {
  const r = env.run(['run', '-d', FIXTURE_REF, 'attach-p1', 'sh', '-c', `i=0; ${waitForGo('echo tick $i; i=$((i+1)); sleep 0.1')}; echo bye; echo err >&2; exit 3`]);
  assert.is(r.code, 0, r.stderr);
  const p = env.spawn(['tasks', 'attach', 'attach-p1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  p.stdout!.on('data', (d) => { out += d; });
  p.stderr!.on('data', (d) => { err += d; });
  // 'close', not 'exit': at 'exit' the pipes may still hold the last output (bye, err).
  const code = new Promise<number | null>((res) => p.on('close', (c) => res(c)));
  await until(() => /tick \d+\n/.test(out), 'streamed output');
  assert.is(env.run(['tasks', 'exec', 'attach-p1', ...GO]).code, 0);
  assert.is(await code, 3);
  assert.match(out, /bye\n$/);
  assert.is(err, 'err\n');
  assert.match(env.run(['tasks', 'logs', 'attach-p1']).stdout, /^tick 0\n[\s\S]*bye\n/);
});

rootTest(test, 'the log keeps the last 1-2 MiB: log is rotated to log.1 at 1 MiB', async () => {
  const r = env.run(['run', '-d', FIXTURE_REF, 'attach-log1', 'sh', '-c', 'head -c 3500000 /dev/zero | tr "\\0" x; echo; echo END']);
  assert.is(r.code, 0, r.stderr);
  await until(() => task('attach-log1')?.status === 'STOPPED', 'the task to stop');
  const dir = join(env.state, 'default', 'attach-log1');
  const MiB = 1 << 20;
  assert.ok(statSync(join(dir, 'log')).size < MiB + 16384, 'the current segment');
  assert.ok(statSync(join(dir, 'log.1')).size >= MiB && statSync(join(dir, 'log.1')).size < MiB + 16384, 'the previous segment');
  const logs = spawnSync(process.execPath, env.args(['tasks', 'logs', 'attach-log1']), { encoding: 'utf8', maxBuffer: 8 << 20 }).stdout;
  assert.match(logs, /x\nEND\n$/);
  assert.ok(logs.length >= MiB && logs.length < 2 * MiB + 32768, `tasks logs printed ${logs.length} bytes`);
});

test.run();
