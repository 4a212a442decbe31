// The native executor for real: namespaces, the sync protocol, step reports.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSys, SysError, type Sys } from '../../../src/sys/index.js';
import { CLONE, MS } from '../../../src/sys/constants.js';
import { launch, LaunchError } from '../../../src/oci/launcher.js';
import type { PlanOp } from '../../../src/oci/launch-plan.js';
import { rootTest } from '../../helpers/root.js';

const BUSYBOX = '/bin/busybox';
let sys: Sys;
let tmp: string;

test.before(async () => {
  sys = await loadSys();
  tmp = mkdtempSync('/tmp/tsctr-exec-test-');
});
test.after(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs a shell script as the plan's last step with stdout/stderr in a file; returns exit code and output. */
async function runScript(pre: PlanOp[], script: string, cloneFlags: number, beforeStart?: (pid: number) => void) {
  const out = join(tmp, `out-${Math.random().toString(36).slice(2)}`);
  const fd = openSync(out, 'w');
  try {
    const l = await launch(sys, [
      ...pre,
      { op: 'dup2', oldfd: fd, newfd: 1 },
      { op: 'dup2', oldfd: fd, newfd: 2 },
      { op: 'close_from', fd: 3 },
      { op: 'execve', path: BUSYBOX, argv: ['sh', '-c', script], env: ['PATH=/bin:/usr/bin:/sbin:/usr/sbin'] },
    ], { cloneFlags, beforeStart });
    const st = await sys.wait(l.pid);
    closeSync(l.pidfd);
    return { status: st, output: readFileSync(out, 'utf8') };
  } finally {
    closeSync(fd);
  }
}

rootTest(test, 'a child in new namespaces is pid 1 with its own hostname and mount table', async () => {
  const mnt = join(tmp, 'mnt');
  const r = await runScript([
    { op: 'mount', source: null, target: '/', fstype: null, flags: MS.REC | MS.PRIVATE, data: null },
    { op: 'mkdir', path: mnt, mode: 0o755 },
    { op: 'mount', source: 'tsctr-test', target: mnt, fstype: 'tmpfs', flags: 0, data: 'size=1m' },
    { op: 'sethostname', name: 'c1' },
    { op: 'mount', source: 'proc', target: '/proc', fstype: 'proc', flags: 0, data: null },
  ], `echo pid=$$; echo host=$(${BUSYBOX} hostname); ${BUSYBOX} grep -c tsctr-test /proc/self/mountinfo; ${BUSYBOX} ps | ${BUSYBOX} wc -l; exit 7`,
  CLONE.NEWNS | CLONE.NEWUTS | CLONE.NEWPID);
  assert.equal(r.status, { kind: 'exited', code: 7 });
  const lines = r.output.trim().split('\n');
  assert.is(lines[0], 'pid=1');
  assert.is(lines[1], 'host=c1');
  assert.is(lines[2], '1');
  // ps header + sh + ps (+ wc in the pipeline): a fresh pid namespace, not the host's processes.
  assert.ok(Number(lines[3]) <= 5, `ps saw ${lines[3]} lines`);
  assert.not.match(readFileSync('/proc/self/mountinfo', 'utf8'), 'tsctr-test', 'the tmpfs leaked into the host mount table');
});

rootTest(test, 'a failing step comes back as a SysError naming the step', async () => {
  try {
    await launch(sys, [{ op: 'sethostname', name: 'x' }, { op: 'chdir', path: '/does/not/exist' }], { cloneFlags: CLONE.NEWUTS });
    assert.unreachable('launch should fail');
  } catch (e) {
    assert.instance(e, LaunchError);
    assert.instance(e, SysError);
    const le = e as LaunchError;
    assert.is(le.step, 1);
    assert.is(le.code, 'ENOENT');
    assert.is(le.op.op, 'chdir');
    assert.match(le.message, 'step 1 chdir("/does/not/exist"): ENOENT (No such file or directory)');
  }
});

rootTest(test, 'execve of a missing program names it and hints', async () => {
  try {
    await launch(sys, [{ op: 'execve', path: 'no-such-program', argv: ['no-such-program'], env: [], searchPath: '/bin:/usr/bin' }], { cloneFlags: 0 });
    assert.unreachable('launch should fail');
  } catch (e) {
    const le = e as LaunchError;
    assert.is(le.code, 'ENOENT');
    assert.match(le.hint ?? '', 'not found');
  }
});

rootTest(test, 'trace reports every step with its time', async () => {
  const steps: number[] = [];
  const l = await launch(sys, [{ op: 'sethostname', name: 'a' }, { op: 'setdomainname', name: 'b' }], { cloneFlags: CLONE.NEWUTS, trace: true, onStep: (r) => steps.push(r.step) });
  assert.equal(steps, [0, 1]);
  assert.ok(l.steps.every((s) => s.errno === 0 && s.ns >= 0));
  assert.equal(await sys.wait(l.pid), { kind: 'exited', code: 0 });
});

rootTest(test, 'an error before start aborts the child and leaves no zombie', async () => {
  let pid = 0;
  try {
    await launch(sys, [{ op: 'sethostname', name: 'never' }], { cloneFlags: CLONE.NEWUTS, beforeStart: (p) => { pid = p; throw new Error('cgroup setup failed'); } });
    assert.unreachable('launch should fail');
  } catch (e) {
    assert.match((e as Error).message, 'cgroup setup failed');
  }
  assert.ok(pid > 0);
  assert.throws(() => sys.kill(pid, 0), /ESRCH/);
});

rootTest(test, 'a user namespace child is root inside and mapped outside', async () => {
  const r = await runScript([
    { op: 'setresgid', rgid: 0, egid: 0, sgid: 0 },
    { op: 'setresuid', ruid: 0, euid: 0, suid: 0 },
  ], `${BUSYBOX} id -u; ${BUSYBOX} cat /proc/self/uid_map`, CLONE.NEWUSER, (pid) => {
    writeFileSync(`/proc/${pid}/uid_map`, '0 100000 65536');
    writeFileSync(`/proc/${pid}/gid_map`, '0 100000 65536');
  });
  assert.equal(r.status, { kind: 'exited', code: 0 });
  const [uid, map] = r.output.trim().split('\n');
  assert.is(uid, '0');
  assert.equal(map!.trim().split(/\s+/), ['0', '100000', '65536']);
});

rootTest(test, 'loopback_up brings lo up in a new network namespace', async () => {
  const r = await runScript([{ op: 'loopback_up' }], `${BUSYBOX} ip link show lo; ${BUSYBOX} ip link | ${BUSYBOX} grep -c '^[0-9]'`, CLONE.NEWNET);
  assert.equal(r.status, { kind: 'exited', code: 0 });
  assert.match(r.output, /<LOOPBACK,UP/);
  assert.is(r.output.trim().split('\n').pop(), '1');
});

test.run();
