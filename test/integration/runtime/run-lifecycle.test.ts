// tsctr run as a user drives it: pipes, exit codes, flags, errors, and
// teardown on every path (normal exit, signal, a killed CLI).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rootTest } from '../../helpers/root.js';
import { Env, FIXTURE_REF } from '../../helpers/tsctr.js';

let env: Env;
let hostDir: string;

test.before(() => {
  env = new Env('run');
  hostDir = mkdtempSync('/tmp/tsctr-run-host-');
  chmodSync(hostDir, 0o755); // the container reads it as uid 1000
  if (process.geteuid?.() === 0) env.importFixture();
});
test.after(() => {
  env.cleanup();
  rmSync(hostDir, { recursive: true, force: true });
});

const mountsUnder = (dir: string) => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.split(' ')[4]?.startsWith(dir));

async function waitForTask(id: string, timeoutMs = 10000): Promise<{ pid: number }> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const r = env.run(['tasks', 'ls', '--json']);
    const t = (JSON.parse(r.stdout || '[]') as { id: string; pid: number }[]).find((x) => x.id === id);
    if (t) return t;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`task ${id} never appeared`);
}

rootTest(test, 'stdin, stdout and stderr pass through, pipes included', () => {
  const r = env.run(['run', '--rm', FIXTURE_REF, 'p1', 'sh', '-c', 'cat; echo to-stderr >&2'], { input: 'hi\n' });
  assert.is(r.code, 0);
  assert.is(r.stdout, 'hi\n');
  assert.is(r.stderr, 'to-stderr\n');
});

rootTest(test, 'the exit code is the container\'s (128+signal is tested with tasks kill below)', () => {
  assert.is(env.run(['run', '--rm', FIXTURE_REF, 'e1', 'sh', '-c', 'exit 42']).code, 42);
  assert.is(env.run(['run', '--rm', FIXTURE_REF, 'e2', 'false']).code, 1);
});

rootTest(test, 'image config and flags: env, env-file, cwd, user, hostname, mounts, read-only', () => {
  writeFileSync(join(hostDir, 'env'), 'FROM_FILE=yes\n# a comment\n');
  writeFileSync(join(hostDir, 'data'), 'from the host\n');
  const r = env.run(['run', '--rm', '-e', 'A=1', '--env-file', join(hostDir, 'env'), '--cwd', '/tmp', '--user', '1000:1000', '--hostname', 'box',
    '--mount', `type=bind,src=${hostDir},dst=/host,options=rbind:ro`, FIXTURE_REF, 'f1',
    'sh', '-c', 'echo $A $FROM_FILE; pwd; id -u; id -g; hostname; cat /host/data; touch /host/x 2>/dev/null || echo ro; echo $PATH']);
  assert.is(r.code, 0, r.stderr);
  const [env1, cwd, uid, gid, host, data, ro, path] = r.stdout.trim().split('\n');
  assert.is(env1, '1 yes');
  assert.is(cwd, '/tmp');
  assert.is(uid, '1000');
  assert.is(gid, '1000');
  assert.is(host, 'box');
  assert.is(data, 'from the host');
  assert.is(ro, 'ro');
  assert.match(path!, /\/bin/, 'PATH comes from the image config');
  const w = env.run(['run', '--rm', '--read-only', FIXTURE_REF, 'f2', 'sh', '-c', 'touch /x 2>/dev/null || echo read-only']);
  assert.is(w.stdout.trim(), 'read-only');
});

rootTest(test, '--net-host shares the host network; the default has only lo', () => {
  const own = env.run(['run', '--rm', FIXTURE_REF, 'n1', 'ip', '-o', 'link']).stdout.trim().split('\n');
  assert.is(own.length, 1);
  const host = env.run(['run', '--rm', '--net-host', FIXTURE_REF, 'n2', 'ip', '-o', 'link']).stdout.trim().split('\n');
  const hostLinks = readFileSync('/proc/net/dev', 'utf8').trim().split('\n').length - 2;
  assert.is(host.length, hostLinks);
});

rootTest(test, 'a missing program is one line, exit 127, and nothing is left behind', () => {
  const r = env.run(['run', '--rm', FIXTURE_REF, 'm1', 'no-such-program']);
  assert.is(r.code, 127);
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /^tsctr: run m1: step \d+ (execve|lookup-exec)\("no-such-program".*ENOENT.*hint:/);
  assert.not.match(r.stderr, /    at /, 'no stack trace');
  assert.is(env.run(['containers', 'ls', '-q']).stdout.trim(), '');
  assert.equal(mountsUnder(env.state), []);
});

rootTest(test, 'bad input gets one clear line and no stack trace', () => {
  const cases: [string[], RegExp][] = [
    [['run', '--rm', 'docker.io/library/nothere:latest', 'b1', 'true'], /image .*not found|not found/i],
    [['run', '--rm', FIXTURE_REF, 'bad/id', 'true'], /invalid container id "bad\/id"/],
    [['run', '--rm', FIXTURE_REF], /container id/],
    [['run', '--rm', '--memory-limit', 'lots', FIXTURE_REF, 'b2', 'true'], /--memory-limit "lots"/],
    [['run', '--rm', '--mount', 'type=bind,src=relative,dst=/x', FIXTURE_REF, 'b3', 'true'], /absolute src/],
    [['run', '--rm', '--cap-add', 'CAP_FLY', FIXTURE_REF, 'b4', 'true'], /unknown capability "CAP_FLY"/],
    [['run', '--rm', '--rootfs', '/nonexistent-dir', 'b5', 'true'], /--rootfs "\/nonexistent-dir"/],
  ];
  for (const [args, re] of cases) {
    const r = env.run(args);
    assert.ok(r.code !== 0, `${args.join(' ')} should fail`);
    assert.match(r.stderr, re, `${args.join(' ')}: ${r.stderr}`);
    assert.not.match(r.stderr, /    at /, `${args.join(' ')} printed a stack trace`);
  }
  assert.is(env.run(['containers', 'ls', '-q']).stdout.trim(), '', 'no half-made container');
});

rootTest(test, 'without --rm the container stays until containers rm; its id is taken meanwhile', () => {
  assert.is(env.run(['run', FIXTURE_REF, 'k1', 'sh', '-c', 'echo kept > /kept']).code, 0);
  assert.is(env.run(['containers', 'ls', '-q']).stdout.trim(), 'k1');
  const again = env.run(['run', FIXTURE_REF, 'k1', 'true']);
  assert.is(again.code, 1);
  assert.match(again.stderr, /container "k1" already exists.*hint: remove it with tsctr containers rm k1/);
  assert.equal(mountsUnder(env.state), [], 'the rootfs is unmounted after the task ends');
  assert.is(env.run(['containers', 'rm', 'k1']).code, 0);
  assert.is(env.run(['containers', 'ls', '-q']).stdout.trim(), '');
  assert.not.match(env.run(['snapshots', 'ls']).stdout, /\bk1\b/, 'its snapshot is gone');
});

rootTest(test, 'signals to the CLI reach the container', async () => {
  const p = env.spawn(['run', '--rm', FIXTURE_REF, 's1', 'sh', '-c', 'trap "exit 42" TERM; while true; do sleep 0.05; done'], { stdio: 'ignore' });
  await waitForTask('s1');
  p.kill('SIGTERM');
  const code = await new Promise((r) => p.on('exit', (c) => r(c)));
  assert.is(code, 42);
  assert.equal(mountsUnder(env.state), []);
});

rootTest(test, 'tasks kill and ps reach a running container from another tsctr', async () => {
  const p = env.spawn(['run', '--rm', FIXTURE_REF, 't1', 'sh', '-c', 'sleep 30 & wait'], { stdio: 'ignore' });
  const exited = new Promise((r) => p.on('exit', (c, sig) => r(c ?? sig)));
  try {
    const t = await waitForTask('t1');
    const ps = env.run(['tasks', 'ps', 't1']);
    assert.match(ps.stdout, new RegExp(`^${t.pid}\\s+sh -c sleep 30 & wait`, 'm'));
    assert.match(ps.stdout, /^\d+\s+sleep 30$/m, 'the sleep is in the container\'s cgroup');
    assert.is(env.run(['tasks', 'kill', '-s', 'KILL', 't1']).code, 0);
    assert.is(await exited, 137, '128 + SIGKILL');
    const again = env.run(['tasks', 'kill', 't1']);
    assert.is(again.code, 1, 'no task any more');
    assert.match(again.stderr, /container "t1" has no running task/);
  } finally {
    p.kill('SIGKILL');
  }
});

rootTest(test, 'a SIGKILLed tsctr leaves leftovers that the next command cleans and reports', async () => {
  const p = env.spawn(['run', '--rm', FIXTURE_REF, 'x1', 'sleep', '30'], { stdio: 'ignore' });
  const t = await waitForTask('x1');
  assert.ok(mountsUnder(env.state).length > 0);
  p.kill('SIGKILL');
  await new Promise((r) => p.on('exit', r));
  // The container dies with its tsctr (parent-death signal).
  for (let i = 0; i < 100; i++) {
    try { process.kill(t.pid, 0); } catch { break; }
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.throws(() => process.kill(t.pid, 0), /ESRCH/);
  const r = env.run(['containers', 'ls']);
  assert.match(r.stderr, /container "x1": its tsctr \(pid \d+\) was killed; cleaned up: unmounted rootfs/);
  assert.not.match(r.stdout, /x1/);
  assert.equal(mountsUnder(join(env.state, 'default/x1')), []);
});

rootTest(test, '--trace prints each step; --dry-run prints the plan and runs nothing', () => {
  const r = env.run(['run', '--rm', '--trace', FIXTURE_REF, 'tr1', 'true']);
  assert.is(r.code, 0);
  assert.match(r.stderr, /\[\s*[\d.]+ ms\]\s+\d+\s+pivot_root\("\.", "\."\) = 0/);
  assert.match(r.stderr, /sethostname\("tr1"\) = 0/);
  const d = env.run(['run', '--rm', '--dry-run', FIXTURE_REF, 'tr2', 'true']);
  assert.is(d.code, 0);
  assert.match(d.stdout, /execve\("true", \["true"\]/);
  assert.is(env.run(['containers', 'ls', '-q']).stdout.trim(), '');
});

test.run();
