// The OCI lifecycle through bin/tsctr-runc on a busybox bundle: create waits,
// start runs, kill stops, delete leaves nothing; errors as runc words them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasBusybox, makeBusyboxRootfs } from '../runtime/rootfs-helper.js';
import { RUNC_BIN, runcAt, sleep, until, writeBundle } from './runc-helper.js';

const root = mkdtempSync(join(tmpdir(), 'lifecycle-state-'));
const skip = process.geteuid?.() !== 0 ? 'needs root' : !hasBusybox ? 'needs a static /bin/busybox' : undefined;
if (skip) console.log(`oci/lifecycle: skipped (${skip})`);

const runc = runcAt(root);
const state = (id: string) => JSON.parse(runc('state', id).out) as { status: string; pid: number };

const bundle = writeBundle;

test('create waits, start runs, kill stops, delete leaves nothing', async () => {
  if (skip) return;
  const fs = makeBusyboxRootfs('lifecycle-');
  try {
    const b = bundle(fs, ['sh', '-c', 'echo ran > /tmp/mark; exec sleep 1000']);
    const pidFile = join(fs.dir, 'pid');
    assert.is(runc('create', '--bundle', b, '--pid-file', pidFile, 'lifecycle-1').code, 0);
    const s = state('lifecycle-1');
    assert.is(s.status, 'created');
    assert.is(readFileSync(pidFile, 'utf8'), String(s.pid), 'pid file: the bare number');
    assert.ok(existsSync(`/proc/${s.pid}`), 'the process exists');
    assert.not.ok(existsSync(join(fs.rootfs, 'tmp/mark')), 'but has not run the program');
    assert.is(runc('start', 'lifecycle-1').code, 0);
    assert.ok(await until(() => existsSync(join(fs.rootfs, 'tmp/mark'))), 'the program ran');
    assert.is(state('lifecycle-1').status, 'running');
    assert.is(runc('start', 'lifecycle-1').code, 1, 'a second start is an error');
    assert.is(runc('delete', 'lifecycle-1').code, 1, 'delete of a running container needs --force');
    assert.is(runc('kill', 'lifecycle-1', 'KILL').code, 0);
    assert.ok(await until(() => state('lifecycle-1').status === 'stopped'));
    const cg = readFileSync(`/proc/self/cgroup`, 'utf8');
    assert.is(runc('delete', 'lifecycle-1').code, 0);
    assert.not.ok(existsSync(join(root, 'lifecycle-1')), 'state dir removed');
    assert.ok(cg.length > 0);
    assert.match(runc('state', 'lifecycle-1').err, /container does not exist: lifecycle-1/);
  } finally {
    runc('delete', '--force', 'lifecycle-1');
    fs.remove();
  }
});

test('create of a missing program fails before waiting, and leaves nothing', () => {
  if (skip) return;
  const fs = makeBusyboxRootfs('lifecycle-');
  try {
    const r = runc('create', '--bundle', bundle(fs, ['no-such-program']), 'lifecycle-2');
    assert.is.not(r.code, 0);
    assert.match(r.err, /no-such-program/);
    assert.not.ok(existsSync(join(root, 'lifecycle-2')));
  } finally {
    runc('delete', '--force', 'lifecycle-2');
    fs.remove();
  }
});

test('--log-format json: the error as a {level, msg, time} line', () => {
  if (skip) return;
  const log = join(root, 'log.json');
  const r = spawnSync(RUNC_BIN, ['--root', root, '--log', log, '--log-format', 'json', 'start', 'lifecycle-none'], { encoding: 'utf8' });
  assert.is(r.status, 1);
  const line = JSON.parse(readFileSync(log, 'utf8').trim().split('\n').pop()!) as { level: string; msg: string; time: string };
  assert.is(line.level, 'error');
  assert.match(line.msg, /container does not exist: lifecycle-none/);
  assert.ok(!Number.isNaN(Date.parse(line.time)));
});

test('hooks: createRuntime and poststart see the state on stdin; a failing poststart is a warning', async () => {
  if (skip) return;
  const fs = makeBusyboxRootfs('lifecycle-');
  const out = join(fs.dir, 'hooks');
  try {
    const hook = (name: string) => ({ path: '/bin/sh', args: ['sh', '-c', `cat >> ${out}; echo " ${name}" >> ${out}`] });
    const b = bundle(fs, ['sleep', '1000'], (s) => {
      s.hooks = { createRuntime: [hook('createRuntime')], poststart: [hook('poststart'), { path: '/bin/false' }], poststop: [hook('poststop')] };
    });
    assert.is(runc('create', '--bundle', b, 'lifecycle-3').code, 0);
    const started = runc('start', 'lifecycle-3');
    assert.is(started.code, 0);
    assert.match(started.err, /warning: poststart hook/);
    assert.is(runc('delete', '--force', 'lifecycle-3').code, 0);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    assert.equal(lines.map((l) => l.split(' ').pop()), ['createRuntime', 'poststart', 'poststop']);
    const st = JSON.parse(lines[0]!.slice(0, lines[0]!.lastIndexOf('}') + 1)) as { id: string; status: string };
    assert.is(st.id, 'lifecycle-3');
    assert.is(st.status, 'creating');
  } finally {
    runc('delete', '--force', 'lifecycle-3');
    fs.remove();
  }
});

test('a failing createRuntime hook fails create and cleans up', () => {
  if (skip) return;
  const fs = makeBusyboxRootfs('lifecycle-');
  try {
    const b = bundle(fs, ['sleep', '1000'], (s) => { s.hooks = { createRuntime: [{ path: '/bin/false' }] }; });
    const r = runc('create', '--bundle', b, 'lifecycle-4');
    assert.is(r.code, 1);
    assert.match(r.err, /createRuntime hook "\/bin\/false"/);
    assert.not.ok(existsSync(join(root, 'lifecycle-4')));
  } finally {
    runc('delete', '--force', 'lifecycle-4');
    fs.remove();
  }
});

test.after(() => { rmSync(root, { recursive: true, force: true }); void execFileSync; });
test.run();
