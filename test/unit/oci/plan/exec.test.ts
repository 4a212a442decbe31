// createExecPlan: a process joining a running container (tasks exec).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PR } from '../../../../src/sys/constants.js';
import { describeOp, encodePlan, OPCODES, type PlanOp } from '../../../../src/oci/launch-plan.js';
import { createExecPlan } from '../../../../src/oci/plan/exec.js';
import { defaultSpec, type Spec } from '../../../../src/oci/spec/index.js';

const spec = (edit: (s: Spec) => void = () => {}) => { const s = defaultSpec({ args: ['sleep', '60'], hostname: 'box' }); s.linux!.seccomp = undefined; edit(s); return s; };
const lines = (ops: PlanOp[]) => ops.map(describeOp);

// The whole exec plan with a terminal. A change here changes every `tasks exec -t`.
const EXEC_TTY_PLAN = [
  'prctl(4, 0, 0, 0, 0)',
  'setns("/proc/42/ns/ipc", 0x8000000)',
  'setns("/proc/42/ns/uts", 0x4000000)',
  'setns("/proc/42/ns/net", 0x40000000)',
  'setns("/proc/42/ns/mnt", 0x20000)',
  'setrlimit(7, 1024, 1024)',
  'open_pty("/dev/pts/ptmx" or "/dev/ptmx", 30x100, owner 0) → master to fd 7, slave on 0-2 + setsid + TIOCSCTTY',
  'close_range(3, ~0, CLOEXEC)',
  'capbset_drop(keep=0xa80425fb)',
  'prctl(8, 1)',
  'setgroups([])',
  'setresgid(0, 0, 0)',
  'setresuid(0, 0, 0)',
  'prctl(8, 0)',
  'capset(eff=0xa80425fb, prm=0xa80425fb, inh=0x0)',
  'cap_ambient_raise(0x0)',
  'umask(022)',
  'chdir("/")',
  'prctl(38, 1, 0, 0, 0)',
  'execve("sh", ["sh"], 1 env)',
];

test('exec -t: golden plan; non-dumpable first, the pty opened after joining the mount namespace', () => {
  const s = spec();
  const p = createExecPlan(s, { pid: 42, process: { ...s.process!, terminal: true, args: ['sh'] }, stdio: 'pty', consoleSocket: { fd: 7, rows: 30, cols: 100 }, lastCap: 40 });
  assert.equal(lines(p.ops), EXEC_TTY_PLAN);
  assert.is(p.pidNamespace, '/proc/42/ns/pid');
});

test('exec: prctl(PR_SET_DUMPABLE, 0) is op 0, before any setns, with or without a terminal', () => {
  for (const terminal of [false, true]) {
    const s = spec();
    const p = createExecPlan(s, { pid: 9, process: { ...s.process!, terminal }, stdio: terminal ? 'pty' : undefined, consoleSocket: terminal ? { fd: 5 } : undefined, lastCap: 40 });
    assert.equal(p.ops[0], { op: 'prctl', option: PR.SET_DUMPABLE, args: [0, 0, 0, 0] });
    // Nothing re-enables it before execve.
    assert.not.ok(p.ops.slice(1).some((o) => o.op === 'prctl' && o.option === PR.SET_DUMPABLE), 'dumpable is not turned back on');
  }
});

test('exec -t: the pty comes after setns(mnt) and before seccomp and the credential change; no host ptmx path', () => {
  const s = spec((x) => { x.process!.user = { uid: 1000, gid: 1000 }; x.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] }; });
  const p = createExecPlan(s, { pid: 42, process: { ...s.process!, terminal: true }, stdio: 'pty', consoleSocket: { fd: 7 }, lastCap: 40 });
  const at = (pred: (o: PlanOp) => boolean) => p.ops.findIndex(pred);
  const pty = at((o) => o.op === 'open_pty');
  assert.ok(pty > at((o) => o.op === 'setns' && o.path.endsWith('/mnt')));
  assert.ok(pty < at((o) => o.op === 'seccomp'));
  assert.ok(pty < at((o) => o.op === 'setresuid'));
  assert.is(p.ops[pty + 1]!.op, 'close_from');
  const op = p.ops[pty] as Extract<PlanOp, { op: 'open_pty' }>;
  assert.is(op.uid, 1000, 'the slave belongs to the process user');
  assert.not.ok(lines(p.ops).some((l) => l.includes('/proc/42/root')), 'nothing is opened through /proc/<pid>/root');
  assert.not.ok(p.ops.some((o) => o.op === 'dup2'), 'no host fd becomes the terminal');
});

test('exec into a user namespace: the namespace\'s root right after setns(user), before the other namespaces and the pty', () => {
  const s = spec((x) => { x.linux!.namespaces!.push({ type: 'user' }); x.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }]; x.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }]; });
  const p = createExecPlan(s, { pid: 42, process: { ...s.process!, terminal: true }, stdio: 'pty', consoleSocket: { fd: 7 }, lastCap: 40 });
  assert.equal(lines(p.ops).slice(0, 5), ['prctl(4, 0, 0, 0, 0)', 'setns("/proc/42/ns/user", 0x10000000)', 'setresgid(0, 0, 0)', 'setresuid(0, 0, 0)', 'setns("/proc/42/ns/ipc", 0x8000000)']);
  assert.ok(p.ops.findIndex((o) => o.op === 'open_pty') > 4);
});

test('exec -t without a console socket or fd is refused', () => {
  const s = spec();
  assert.throws(() => createExecPlan(s, { pid: 42, process: { ...s.process!, terminal: true }, stdio: 'pty', lastCap: 40 }), /consoleSocket/);
});

test('open_pty encodes as opcode 50: paths, socket, size, owner (-1 when unset)', () => {
  assert.is(OPCODES.open_pty, 50);
  const b = encodePlan([{ op: 'open_pty', ptmx: '/dev/pts/ptmx', fallback: '/dev/ptmx', socketFd: 7, rows: 24, cols: 80 }]);
  const at = 16;
  assert.is(b.readUInt32LE(at), 50);
  assert.equal([0, 1, 2, 3, 4].map((k) => b.readBigInt64LE(at + 8 + k * 8)), [7n, 24n, 80n, -1n, -1n]);
  const str = (off: number) => b.toString('utf8', off, b.indexOf(0, off));
  assert.is(str(b.readUInt32LE(at + 48)), '/dev/pts/ptmx');
  assert.is(str(b.readUInt32LE(at + 52)), '/dev/ptmx');
});

test('open_pty carries an optional message (s2): runc sends "/dev/ptmx" with the master', () => {
  const b = encodePlan([{ op: 'open_pty', ptmx: '/dev/pts/ptmx', socketFd: 7, rows: 0, cols: 0, message: '/dev/ptmx' }]);
  const str = (off: number) => b.toString('utf8', off, b.indexOf(0, off));
  assert.is(str(b.readUInt32LE(16 + 56)), '/dev/ptmx');
  assert.is(encodePlan([{ op: 'open_pty', ptmx: '/dev/pts/ptmx', socketFd: 7, rows: 0, cols: 0 }]).readUInt32LE(16 + 56), 0, 'no message: the slave name (native default)');
});

// The plan of `tsctr-runc exec --detach --process p.json ID` as the shim
// calls it: namespace files opened by the caller (/proc/self/fd/N), the
// container's oom_score_adj written first, while /proc/self is still the host's.
const RUNC_EXEC_PLAN = [
  'prctl(4, 0, 0, 0, 0)',
  'write("/proc/self/oom_score_adj", "-500")',
  'setns("/proc/self/fd/21", 0x8000000)',
  'setns("/proc/self/fd/22", 0x4000000)',
  'setns("/proc/self/fd/23", 0x40000000)',
  'setns("/proc/self/fd/25", 0x20000)',
  'open_pty("/dev/pts/ptmx" or "/dev/ptmx", 40x120, owner 1000) → master to fd 9, slave on 0-2 + setsid + TIOCSCTTY',
  'close_range(3, ~0, CLOEXEC)',
  'capbset_drop(keep=0x20)',
  'prctl(8, 1)',
  'setgroups([10])',
  'setresgid(1000, 1000, 1000)',
  'setresuid(1000, 1000, 1000)',
  'prctl(8, 0)',
  'capset(eff=0x20, prm=0x20, inh=0x0)',
  'cap_ambient_raise(0x0)',
  'umask(077)',
  'chdir("/srv")',
  'prctl(38, 1, 0, 0, 0)',
  'execve("id", ["id"], 1 env)',
];

test('tsctr-runc exec: golden plan with caller-opened namespace files, oomScoreAdj, consoleSize and the runc message', () => {
  const s = spec();
  const proc = { terminal: true, consoleSize: { height: 40, width: 120 }, user: { uid: 1000, gid: 1000, additionalGids: [10], umask: 0o77 }, args: ['id'], env: ['PATH=/bin'], cwd: '/srv', capabilities: { bounding: ['CAP_KILL'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'] }, noNewPrivileges: true, oomScoreAdj: -500 };
  const p = createExecPlan(s, {
    pid: 42, process: proc, stdio: 'pty', consoleSocket: { fd: 9, rows: 40, cols: 120, message: '/dev/ptmx' }, lastCap: 40,
    namespacePaths: { ipc: '/proc/self/fd/21', uts: '/proc/self/fd/22', network: '/proc/self/fd/23', pid: '/proc/self/fd/24', mount: '/proc/self/fd/25' },
  });
  assert.equal(lines(p.ops), RUNC_EXEC_PLAN);
  assert.is(p.pidNamespace, '/proc/self/fd/24', 'the pid namespace too comes from the caller\'s fd');
  assert.is((p.ops.find((o) => o.op === 'open_pty') as { message?: string }).message, '/dev/ptmx');
  assert.not.ok(lines(p.ops).some((l) => l.includes('/proc/42/')), 'nothing is opened by the container\'s pid number');
});

test.run();
