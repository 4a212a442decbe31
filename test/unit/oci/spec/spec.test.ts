import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import {
  CAPABILITIES, DEFAULT_CAPABILITIES, defaultSpec, findCapability, findSpecErrors, listCapabilities, maskCapabilities, validateSpec,
  type Spec,
} from '../../../../src/oci/spec/index.js';

test('the default spec matches containerd\'s defaults', () => {
  const s = defaultSpec({ id: 'c1', args: ['echo', 'hi'] });
  assert.equal(s.process!.args, ['echo', 'hi']);
  assert.is(s.process!.cwd, '/');
  assert.is(s.process!.noNewPrivileges, true);
  assert.equal(s.process!.rlimits, [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }]);
  assert.equal(s.linux!.namespaces!.map((n) => n.type).sort(), ['ipc', 'mount', 'network', 'pid', 'uts']);
  const caps = s.process!.capabilities!;
  assert.is(caps.bounding!.length, 14);
  assert.equal(caps.effective, caps.bounding);
  assert.equal(caps.permitted, caps.bounding);
  assert.equal(caps.inheritable, []);
  assert.equal(caps.ambient, []);
  assert.equal(s.mounts!.map((m) => `${m.destination}:${m.type}`), [
    '/proc:proc', '/dev:tmpfs', '/dev/pts:devpts', '/dev/shm:tmpfs', '/dev/mqueue:mqueue', '/sys:sysfs', '/sys/fs/cgroup:cgroup',
  ]);
  assert.ok(s.mounts![2]!.options!.includes('ptmxmode=0666'));
  assert.ok(s.mounts![5]!.options!.includes('ro'));
  assert.ok(s.linux!.maskedPaths!.includes('/proc/kcore'));
  assert.ok(s.linux!.readonlyPaths!.includes('/proc/sys'));
  assert.equal(s.linux!.resources!.devices![0], { allow: false, access: 'rwm' });
  assert.ok(s.linux!.resources!.devices!.some((d) => d.allow && d.major === 1 && d.minor === 3));
  assert.is(s.linux!.cgroupsPath, 'tsctr/default/c1');
  assert.equal(findSpecErrors(s), []);
  assert.not.ok(defaultSpec().hostname);
});

test('default capabilities and namespaces agree with `runc spec` where runc has them', () => {
  if (!existsSync('/usr/sbin/runc') && !existsSync('/usr/bin/runc')) { console.log('  (runc not installed: comparison skipped)'); return; }
  const dir = execFileSync('mktemp', ['-d'], { encoding: 'utf8' }).trim();
  try {
    execFileSync('runc', ['spec'], { cwd: dir });
    const runc = JSON.parse(execFileSync('cat', [`${dir}/config.json`], { encoding: 'utf8' })) as Spec;
    const ours = defaultSpec();
    for (const c of runc.process!.capabilities!.bounding!) assert.ok(ours.process!.capabilities!.bounding!.includes(c), c);
    assert.equal(runc.linux!.namespaces!.map((n) => n.type).sort(), ours.linux!.namespaces!.map((n) => n.type).sort());
    for (const p of runc.linux!.maskedPaths!) assert.ok(ours.linux!.maskedPaths!.includes(p), p);
    assert.equal(runc.linux!.readonlyPaths, ours.linux!.readonlyPaths);
  } finally {
    execFileSync('rm', ['-rf', dir]);
  }
});

test('capability table: names ↔ numbers and masks', () => {
  assert.is(CAPABILITIES.CAP_CHOWN, 0);
  assert.is(CAPABILITIES.CAP_SYS_ADMIN, 21);
  assert.is(CAPABILITIES.CAP_CHECKPOINT_RESTORE, 40);
  assert.is(findCapability('sys_admin'), 21);
  assert.is(findCapability('CAP_NOPE'), undefined);
  const m = maskCapabilities([...DEFAULT_CAPABILITIES]);
  assert.is(m.mask, 0xa80425fbn);
  assert.equal(listCapabilities(m.mask).sort(), [...DEFAULT_CAPABILITIES].sort());
  assert.equal(maskCapabilities(['CAP_BPF', 'CAP_CHOWN'], 38), { mask: 1n, unknown: ['CAP_BPF'] });
});

const base = () => defaultSpec({ args: ['sh'] });
type Edit = (s: Spec) => void;
const INVALID: [string, Edit, string][] = [
  ['args empty', (s) => { s.process!.args = []; }, 'process.args: must be a non-empty array'],
  ['args missing', (s) => { delete s.process!.args; }, 'process.args: must be a non-empty array'],
  ['cwd relative', (s) => { s.process!.cwd = 'tmp'; }, 'process.cwd: must be an absolute path'],
  ['env without =', (s) => { s.process!.env = ['PATH=/bin', 'BAD']; }, 'process.env[1]: must look like KEY=value, got "BAD"'],
  ['uid negative', (s) => { s.process!.user.uid = -1; }, 'process.user.uid: must be an integer from 0 to 4294967295'],
  ['unknown cap', (s) => { s.process!.capabilities!.effective = ['CAP_CHOWN', 'CAP_FLY']; }, 'process.capabilities.effective[1]: unknown capability "CAP_FLY"'],
  ['unknown rlimit', (s) => { s.process!.rlimits = [{ type: 'RLIMIT_FOO', soft: 1, hard: 1 }]; }, 'process.rlimits[0].type: unknown rlimit "RLIMIT_FOO"'],
  ['soft > hard', (s) => { s.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 10, hard: 5 }]; }, 'process.rlimits[0].soft: must not exceed hard (10 > 5)'],
  ['oom score', (s) => { s.process!.oomScoreAdj = 2000; }, 'process.oomScoreAdj: must be an integer from -1000 to 1000'],
  ['unknown namespace', (s) => { s.linux!.namespaces!.push({ type: 'foo' as never }); }, 'linux.namespaces[5].type: unknown namespace "foo"'],
  ['duplicate namespace', (s) => { s.linux!.namespaces!.push({ type: 'pid' }); }, 'linux.namespaces[5].type: duplicate namespace "pid"'],
  ['relative ns path', (s) => { s.linux!.namespaces![1]!.path = 'proc/1/ns/ipc'; }, 'linux.namespaces[1].path: must be absolute'],
  ['relative mount', (s) => { s.mounts![3]!.destination = 'dev/shm'; }, 'mounts[3].destination: must be absolute'],
  ['mount ..', (s) => { s.mounts![3]!.destination = '/dev/../../etc'; }, 'mounts[3].destination: must not contain ".."'],
  ['bind without source', (s) => { s.mounts!.push({ destination: '/x', type: 'bind', source: 'rel', options: ['rbind'] }); }, 'mounts[7].source: a bind mount needs an absolute source'],
  ['mount without type', (s) => { s.mounts!.push({ destination: '/x', source: 'x' }); }, 'mounts[7].type: must name a filesystem type (or use the "bind" option)'],
  ['maps without userns', (s) => { s.linux!.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }]; }, 'linux.uidMappings: needs a user namespace in linux.namespaces'],
  ['userns without maps', (s) => { s.linux!.namespaces!.push({ type: 'user' }); }, 'linux.uidMappings: a new user namespace needs uidMappings and gidMappings'],
  ['propagation', (s) => { s.linux!.rootfsPropagation = 'sideways'; }, 'linux.rootfsPropagation: unknown propagation "sideways"'],
  ['masked relative', (s) => { s.linux!.maskedPaths = ['proc/kcore']; }, 'linux.maskedPaths[0]: must be absolute'],
  ['host sysctl', (s) => { s.linux!.sysctl = { 'vm.swappiness': '10' }; }, 'linux.sysctl["vm.swappiness"]: not namespaced: setting it would change the host'],
  ['net sysctl without netns', (s) => { s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'network'); s.linux!.sysctl = { 'net.ipv4.ip_forward': '1' }; }, 'linux.sysctl["net.ipv4.ip_forward"]: needs a network namespace'],
  ['net sysctl in host netns', (s) => { s.linux!.namespaces!.find((n) => n.type === 'network')!.path = '/proc/1/ns/net'; s.linux!.sysctl = { 'net.ipv4.ip_forward': '1' }; }, 'linux.sysctl["net.ipv4.ip_forward"]: the network namespace is the host\'s'],
  ['sysctl path tricks', (s) => { s.linux!.sysctl = { 'net./../../../etc/passwd': 'x' }; }, 'linux.sysctl["net./../../../etc/passwd"]: not a sysctl name'],
  ['hostname without uts', (s) => { s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'uts'); s.hostname = 'x'; }, 'hostname: needs a UTS namespace in linux.namespaces'],
  ['seccomp action', (s) => { s.linux!.seccomp = { defaultAction: 'SCMP_ACT_MAYBE' as never }; }, 'linux.seccomp.defaultAction: unknown action "SCMP_ACT_MAYBE"'],
  ['seccomp arg index', (s) => { s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['x'], action: 'SCMP_ACT_ERRNO', args: [{ index: 6, value: 0, op: 'SCMP_CMP_EQ' }] }] }; }, 'linux.seccomp.syscalls[0].args[0].index: must be from 0 to 5'],
  ['seccomp arg value', (s) => { s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['x'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: '5' as never, op: 'SCMP_CMP_EQ' }] }] }; }, 'linux.seccomp.syscalls[0].args[0].value: must be an integer'],
  ['device access', (s) => { s.linux!.resources!.devices![1]!.access = 'rwx'; }, 'linux.resources.devices[1].access: must be made of r, w and m'],
  ['memory swap below limit', (s) => { s.linux!.resources!.memory = { limit: 100, swap: 50 }; }, 'linux.resources.memory.swap: memory+swap must not be below memory.limit'],
  ['cpus list', (s) => { s.linux!.resources!.cpu = { cpus: '0-a' }; }, 'linux.resources.cpu.cpus: must be a list like "0-2,4", got "0-a"'],
  ['root path', (s) => { s.root!.path = ''; }, 'root.path: must be a non-empty string'],
];

test('invalid configs are refused, naming the field', () => {
  for (const [name, edit, want] of INVALID) {
    const s = base();
    edit(s);
    const errs = findSpecErrors(s);
    assert.equal(errs, [want], name);
    assert.throws(() => validateSpec(s), (e: Error & { kind?: string }) => e.message === `invalid config: ${want}` && e.kind === 'InvalidArgument', name);
  }
});

test('several problems are all listed', () => {
  const s = base();
  s.process!.args = [];
  s.process!.cwd = 'x';
  assert.throws(() => validateSpec(s), /process\.args: must be a non-empty array \(and 1 more: process\.cwd/);
});

test('valid variations pass', () => {
  const s = base();
  s.linux!.namespaces!.push({ type: 'user' }, { type: 'cgroup' });
  s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  s.linux!.sysctl = { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '1000', 'fs.mqueue.msg_max': '20' };
  s.hostname = 'box';
  s.mounts!.push({ destination: '/data', type: 'bind', source: '/srv/data', options: ['rbind', 'ro'] });
  s.linux!.resources = { memory: { limit: 1 << 20, swap: -1 }, cpu: { shares: 512, quota: 50000, period: 100000, cpus: '0-1,3' }, pids: { limit: -1 } };
  assert.equal(findSpecErrors(s), []);
});

test.run();
