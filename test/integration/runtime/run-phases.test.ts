// The phases of `run --trace` and of tsctr-runc's verbs under TSCTR_TRACE=1:
// every phase named, in the order they end, each with a duration that parses.
// (Behaviour, not speed: no figure is asserted.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootTest } from '../../helpers/root.js';
import { Env, FIXTURE_REF } from '../../helpers/tsctr.js';
import { parsePhaseLine } from '../../../src/util/phases.js';
import { hasBusybox, makeBusyboxRootfs } from './rootfs-helper.js';
import { runcAt, until, writeBundle } from '../oci/runc-helper.js';

let env: Env;
test.before(() => {
  env = new Env('phases');
  if (process.geteuid?.() === 0) env.importFixture();
});
test.after(() => env.cleanup());

const phasesOf = (stderr: string) => stderr.split('\n').map(parsePhaseLine).filter((p) => p !== undefined);

/** Each name of `want` appears, in this order (other phases may come between). */
function assertInOrder(got: { name: string }[], want: string[]): void {
  let i = 0;
  for (const p of got) if (p.name === want[i]) i++;
  assert.ok(i === want.length, `phase "${want[i]}" missing or out of order in: ${got.map((p) => p.name).join(', ')}`);
}

rootTest(test, 'run --rm --trace: every phase from image lookup to teardown, in order, with durations', () => {
  const r = env.run(['run', '--rm', '--trace', FIXTURE_REF, 'phases-1', 'true']);
  assert.is(r.code, 0, r.stderr);
  const got = phasesOf(r.stderr);
  assertInOrder(got, [
    'start-up', 'leftover check', 'image lookup', 'spec build', 'container record', 'journal write', 'snapshot prepare',
    'task lock', 'snapshot mount', 'bundle write',
    'bundle load', 'state reserve', 'state lock', 'exec fifo', 'cgroup create', 'cgroup limits', 'spec to plan',
    'plan encode', 'executor spawn', 'id maps and cgroup join', 'executor ops', 'state write', 'core create',
    'start handshake', 'core start', 'wait', 'exit status write',
    'cgroup remove', 'state remove', 'undo core delete', 'undo unmount rootfs', 'undo remove bundle', 'teardown',
    'container remove',
  ]);
  assert.ok(got.some((p) => p.name === 'sys binding'), 'loading ffi-rs and the libraries is a phase');
  for (const p of got) assert.ok(Number.isFinite(p.ms) && p.ms >= 0 && p.at >= p.ms - 0.1, JSON.stringify(p));
  // Lines come as phases end: their times never go back.
  for (let i = 1; i < got.length; i++) assert.ok(got[i]!.at >= got[i - 1]!.at, `${got[i]!.name} after ${got[i - 1]!.name}`);
  const journal = got.filter((p) => p.name === 'journal write').map((p) => p.detail);
  assert.equal(journal, ['/containers/create', '/snapshot/prepare', '/tasks/create', '/tasks/start', '/tasks/exit', '/tasks/delete', '/snapshot/remove', '/containers/delete']);
  // The executor's own steps are still there between the phases.
  assert.match(r.stderr, /\d+\s+pivot_root\("\.", "\."\) = 0/);
  // Without --trace nothing of it is printed.
  const quiet = env.run(['run', '--rm', FIXTURE_REF, 'phases-2', 'true']);
  assert.is(quiet.code, 0);
  assert.is(quiet.stderr, '');
});

rootTest(test, 'TSCTR_TRACE=1: the same lines without --trace; a failing launch still ends its phases', () => {
  const r = env.run(['run', '--rm', FIXTURE_REF, 'phases-3', 'nothere'], { env: { ...process.env, TSCTR_TRACE: '1' } });
  assert.is(r.code, 127);
  const got = phasesOf(r.stderr);
  assertInOrder(got, ['image lookup', 'executor ops', 'core create', 'teardown']);
  assert.match(got.find((p) => p.name === 'core create')!.detail ?? '', /failed/);
  assert.match(r.stderr, /lookup-exec\("nothere"\): ENOENT/);
  assert.is(env.run(['containers', 'ls', '-q']).stdout.trim(), '');
});

test('tsctr-runc with TSCTR_TRACE=1: each verb prints its phases on stderr, stdout unchanged', async () => {
  if (process.geteuid?.() !== 0 || !hasBusybox) { console.log('run-phases: tsctr-runc part skipped (needs root and a static busybox)'); return; }
  const root = mkdtempSync(join(tmpdir(), 'phases-runc-'));
  const fs = makeBusyboxRootfs('phases-runc-');
  const prev = process.env.TSCTR_TRACE;
  process.env.TSCTR_TRACE = '1';
  const runc = runcAt(root);
  try {
    const b = writeBundle(fs, ['sleep', '1000']);
    const c = runc('create', '--bundle', b, 'phases-r1');
    assert.is(c.code, 0, c.err);
    assertInOrder(phasesOf(c.err), ['sys binding', 'start-up', 'bundle load', 'state reserve', 'state lock', 'exec fifo', 'cgroup create', 'cgroup limits', 'spec to plan', 'executor spawn', 'executor ops', 'state write']);
    const s = runc('start', 'phases-r1');
    assert.is(s.code, 0, s.err);
    assertInOrder(phasesOf(s.err), ['start-up', 'state lock', 'state read', 'start handshake', 'state write']);
    const st = runc('state', 'phases-r1');
    assert.is(JSON.parse(st.out).status, 'running', 'stdout is still the state JSON alone');
    assertInOrder(phasesOf(st.err), ['start-up', 'state read', 'status']);
    const k = runc('kill', 'phases-r1', 'KILL');
    assert.is(k.code, 0, k.err);
    assertInOrder(phasesOf(k.err), ['start-up', 'state read', 'status', 'signal']);
    assert.ok(await until(() => JSON.parse(runc('state', 'phases-r1').out).status === 'stopped'));
    const d = runc('delete', 'phases-r1');
    assert.is(d.code, 0, d.err);
    assertInOrder(phasesOf(d.err), ['start-up', 'state lock', 'state read', 'cgroup remove', 'state remove']);
  } finally {
    if (prev === undefined) delete process.env.TSCTR_TRACE; else process.env.TSCTR_TRACE = prev;
    runc('delete', '--force', 'phases-r1');
    fs.remove();
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
