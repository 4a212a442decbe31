// run -d -i / containers create -i + tasks start -d: a task without a terminal
// gets a stdin pipe the monitor feeds from `tasks attach`; without -i its stdin
// is /dev/null and a read sees EOF at once.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rootTest } from '../../helpers/root.js';
import { TaskSuite, until } from '../../helpers/tasks.js';
import { FIXTURE_REF } from '../../helpers/tsctr.js';

const suite = new TaskSuite(test, 'stdin', ['stdin-1', 'stdin-2', 'stdin-3']);
const { env } = suite;
const SCRIPT = ['sh', '-c', 'read x; echo got=$x; exit 4'];
const task = (id: string) => suite.task(id);

rootTest(test, 'run -d -i: tasks attach with "hello\\n" on a pipe feeds the task\'s read; the attach exits with its 4', () => {
  const r = env.run(['run', '-d', '-i', FIXTURE_REF, 'stdin-1', ...SCRIPT]);
  assert.is(r.code, 0, r.stderr);
  assert.is(task('stdin-1')?.status, 'RUNNING', 'the read waits for input');
  // The pipe ends after "hello\n": the attach stays until the task's exit (our EOF does not close the task's stdin).
  const a = env.run(['tasks', 'attach', 'stdin-1'], { input: 'hello\n' });
  assert.is(a.code, 4, a.stderr);
  assert.is(a.stdout, 'got=hello\n');
  assert.is(a.stderr, '');
  assert.is(env.run(['tasks', 'logs', 'stdin-1']).stdout, 'got=hello\n');
});

rootTest(test, 'run -d without -i: the task\'s stdin is /dev/null, the read sees EOF at once', async () => {
  const r = env.run(['run', '-d', FIXTURE_REF, 'stdin-2', ...SCRIPT]);
  assert.is(r.code, 0, r.stderr);
  const row = await until(() => { const t = task('stdin-2'); return t?.status === 'STOPPED' ? t : undefined; }, 'the task to stop on its own');
  assert.is(row.exit, 4);
  assert.is(env.run(['tasks', 'logs', 'stdin-2']).stdout, 'got=\n');
});

rootTest(test, 'containers create -i, then tasks start -d: the annotation keeps stdin open', () => {
  const c = env.run(['containers', 'create', '-i', FIXTURE_REF, 'stdin-3', ...SCRIPT]);
  assert.is(c.code, 0, c.stderr);
  const info = JSON.parse(env.run(['containers', 'info', 'stdin-3']).stdout) as { spec?: { annotations?: Record<string, string> }; Spec?: { annotations?: Record<string, string> } };
  assert.is((info.spec ?? info.Spec)?.annotations?.['io.tsctr.stdin'], 'open');
  assert.is(env.run(['tasks', 'start', '-d', 'stdin-3']).code, 0);
  const a = env.run(['tasks', 'attach', 'stdin-3'], { input: 'from-start\n' });
  assert.is(a.code, 4, a.stderr);
  assert.is(a.stdout, 'got=from-start\n');
});

test.run();
