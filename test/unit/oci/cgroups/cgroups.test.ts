// cgroup detection and the files each limit writes, against a fake cgroup
// tree in a temp dir (no root needed; the real thing is in integration).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCgroupManager, detectCgroupLayout, parseMountinfo, type CgroupLayout } from '../../../../src/oci/cgroups/index.js';
import { applyNetwork, formatDeviceRule } from '../../../../src/oci/cgroups/v1.js';
import { convertBlkioToIoWeight, convertSharesToWeight } from '../../../../src/oci/cgroups/v2.js';
import { defaultDeviceRules } from '../../../../src/oci/spec/defaults.js';
import { isKind } from '../../../../src/errors.js';
import { FakeSys } from '../../../../src/sys/fake.js';

// This machine's mountinfo and /proc/self/cgroup (hybrid; memory in a sub-cgroup).
const HYBRID_MOUNTINFO = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;
const HYBRID_CGROUP = `9:name=systemd:/
8:pids:/
7:blkio:/
6:freezer:/
5:devices:/
4:memory:/process_api/3131
3:cpuset:/
2:cpuacct:/
1:cpu:/
0::/
`;

test('detects hybrid, with our own cgroup per hierarchy', () => {
  const l = detectCgroupLayout(HYBRID_MOUNTINFO, HYBRID_CGROUP, () => ['hugetlb']);
  assert.is(l.mode, 'hybrid');
  assert.equal(l.v1.map((h) => h.controllers.join(',')), ['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'pids', 'name=systemd']);
  assert.is(l.v1.find((h) => h.controllers.includes('memory'))!.ownDir, '/sys/fs/cgroup/memory/process_api/3131');
  assert.is(l.v1.find((h) => h.controllers.includes('pids'))!.ownDir, '/sys/fs/cgroup/pids');
  assert.equal(l.unified, { mountPoint: '/sys/fs/cgroup/unified', ownPath: '/', ownDir: '/sys/fs/cgroup/unified', controllers: ['hugetlb'] });
});

test('detects pure v1 (co-mounted cpu,cpuacct) and pure v2; mount roots inside a cgroup namespace', () => {
  const v1 = detectCgroupLayout(
    '30 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpuacct,cpu\n31 25 0:27 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n',
    '3:cpu,cpuacct:/user.slice\n2:memory:/user.slice\n', () => []);
  assert.is(v1.mode, 'v1');
  assert.is(v1.unified, undefined);
  assert.is(v1.v1[0]!.ownDir, '/sys/fs/cgroup/cpu,cpuacct/user.slice');
  const v2 = detectCgroupLayout('29 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n', '0::/user.slice/session-1.scope\n', () => ['cpu', 'memory', 'pids']);
  assert.is(v2.mode, 'v2');
  assert.is(v2.unified!.ownDir, '/sys/fs/cgroup/user.slice/session-1.scope');
  assert.equal(v2.v1, []);
  // A bind of a sub-tree (root field not "/") maps our path below it.
  const sub = detectCgroupLayout('29 23 0:26 /kubepods /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n', '0::/kubepods/pod1\n', () => []);
  assert.is(sub.unified!.ownDir, '/sys/fs/cgroup/pod1');
  assert.equal(parseMountinfo('1 2 0:3 / /a\\040b rw - tmpfs t rw,size=1k\n')[0], { root: '/', mountPoint: '/a b', fstype: 'tmpfs', superOptions: ['rw', 'size=1k'] });
});

test('conversions and device rule lines', () => {
  assert.is(convertSharesToWeight(2), 1);
  assert.is(convertSharesToWeight(1024), 39);
  assert.is(convertSharesToWeight(262144), 10000);
  assert.is(convertBlkioToIoWeight(10), 1);
  assert.is(convertBlkioToIoWeight(1000), 10000);
  assert.equal(defaultDeviceRules().slice(0, 4).map(formatDeviceRule), ['a', 'c *:* m', 'b *:* m', 'c 1:3 rwm']);
  assert.is(formatDeviceRule({ allow: true, type: 'c', major: 136, minor: null, access: 'rw' }), 'c 136:* rw');
});

/** A fake tree: one dir per hierarchy with the files the kernel would offer. */
function fakeHybrid(root: string): CgroupLayout {
  const files: Record<string, Record<string, string>> = {
    memory: { 'memory.limit_in_bytes': '9223372036854771712', 'memory.memsw.limit_in_bytes': '9223372036854771712', 'memory.soft_limit_in_bytes': '', 'memory.usage_in_bytes': '4096', 'memory.max_usage_in_bytes': '8192', 'memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 2', 'memory.swappiness': '60' },
    cpu: { 'cpu.shares': '1024', 'cpu.cfs_period_us': '100000', 'cpu.cfs_quota_us': '-1' },
    cpuset: { 'cpuset.cpus': '0-3', 'cpuset.mems': '0' },
    pids: { 'pids.max': 'max', 'pids.current': '3' },
    devices: { 'devices.allow': '', 'devices.deny': '' },
    blkio: { 'blkio.bfq.weight': '100' },
    freezer: { 'freezer.state': 'THAWED' },
  };
  let mi = '';
  let n = 40;
  for (const c of Object.keys(files)) {
    mkdirSync(join(root, c, 'own'), { recursive: true });
    for (const [f, v] of Object.entries(files[c]!)) { writeFileSync(join(root, c, f), v); writeFileSync(join(root, c, 'own', f), v); }
    mi += `${n} 31 0:${n} / ${join(root, c)} rw - cgroup cgroup rw,${c}\n`;
    n++;
  }
  mkdirSync(join(root, 'unified'));
  writeFileSync(join(root, 'unified/cgroup.controllers'), 'hugetlb');
  writeFileSync(join(root, 'unified/cgroup.subtree_control'), '');
  mi += `${n} 31 0:${n} / ${join(root, 'unified')} rw - cgroup2 cgroup2 rw\n`;
  const pc = Object.keys(files).map((c, i) => `${i + 1}:${c}:/own`).join('\n') + '\n0::/\n';
  return detectCgroupLayout(mi, pc);
}

let root = '';
test.before.each(() => { root = mkdtempSync(join(tmpdir(), 'tsctr-cg-')); });
test.after.each(() => rmSync(root, { recursive: true, force: true }));

test('v1: create copies cpuset down; apply writes each file', () => {
  const layout = fakeHybrid(root);
  // mkdir in a fake tree makes empty dirs: give new cpuset dirs the kernel's empty files.
  const m = createCgroupManager('tsctr/default/c1', {
    memory: { limit: 64 << 20, swap: 128 << 20, reservation: 32 << 20 },
    cpu: { shares: 512, quota: 50000, period: 100000, cpus: '1' },
    pids: { limit: 10 },
    devices: defaultDeviceRules().slice(0, 4),
    blockIO: { weight: 300 },
  }, { layout });
  const cpusetLevels = ['tsctr', 'tsctr/default', 'tsctr/default/c1'].map((p) => join(root, 'cpuset/own', p));
  for (const d of cpusetLevels) { mkdirSync(d, { recursive: true }); writeFileSync(join(d, 'cpuset.cpus'), ''); writeFileSync(join(d, 'cpuset.mems'), ''); }
  assert.equal(m.create(), []);
  for (const d of cpusetLevels) assert.is(readFileSync(join(d, 'cpuset.mems'), 'utf8'), '0');
  assert.is(readFileSync(join(cpusetLevels[2]!, 'cpuset.cpus'), 'utf8'), '0-3');
  const memDir = join(root, 'memory/own/tsctr/default/c1');
  writeFileSync(join(memDir, 'memory.limit_in_bytes'), '9223372036854771712');
  writeFileSync(join(memDir, 'memory.memsw.limit_in_bytes'), '9223372036854771712');
  writeFileSync(join(join(root, 'blkio/own/tsctr/default/c1'), 'blkio.bfq.weight'), '100');
  assert.equal(m.apply(), []);
  const read = (c: string, f: string) => readFileSync(join(root, c, 'own/tsctr/default/c1', f), 'utf8');
  assert.is(read('memory', 'memory.limit_in_bytes'), String(64 << 20));
  assert.is(read('memory', 'memory.memsw.limit_in_bytes'), String(128 << 20));
  assert.is(read('memory', 'memory.soft_limit_in_bytes'), String(32 << 20));
  assert.is(read('cpu', 'cpu.shares'), '512');
  assert.is(read('cpu', 'cpu.cfs_quota_us'), '50000');
  assert.is(read('cpuset', 'cpuset.cpus'), '1');
  assert.is(read('pids', 'pids.max'), '10');
  // Each write replaces the file here; the kernel appends rules. The last rule written:
  assert.is(read('devices', 'devices.allow'), 'c 1:3 rwm');
  assert.is(read('devices', 'devices.deny'), 'a');
  assert.is(read('blkio', 'blkio.bfq.weight'), '300');
  assert.equal(m.mountSources().map((s) => s.name), ['memory', 'cpu', 'cpuset', 'pids', 'devices', 'blkio', 'freezer', 'unified']);
});

test('hybrid: hugetlb goes to the unified tree, with the controller enabled on the way down', () => {
  const layout = fakeHybrid(root);
  const m = createCgroupManager('c2', { hugepageLimits: [{ pageSize: '2MB', limit: 4 << 20 }], unified: { 'hugetlb.2MB.rsvd.max': '0' } }, { layout });
  m.create();
  assert.is(readFileSync(join(root, 'unified/cgroup.subtree_control'), 'utf8'), '+hugetlb');
  writeFileSync(join(root, 'unified/c2/cgroup.controllers'), 'hugetlb');
  assert.equal(m.apply(), []);
  assert.is(readFileSync(join(root, 'unified/c2/hugetlb.2MB.max'), 'utf8'), String(4 << 20));
  assert.is(readFileSync(join(root, 'unified/c2/hugetlb.2MB.rsvd.max'), 'utf8'), '0');
});

test('stats read usage back; v1 "unlimited" reads as undefined', () => {
  const layout = fakeHybrid(root);
  const m = createCgroupManager('/own', {}, { layout }); // absolute: from the hierarchy root
  assert.equal(m.stats(), { memory: { usage: 4096, maxUsage: 8192, limit: undefined, oomKills: 2 }, pids: { current: 3, limit: undefined } });
});

test('v2: weight conversion, cpu.max, memory.swap.max, devices warning', () => {
  const own = join(root, 'user.slice');
  mkdirSync(own, { recursive: true });
  writeFileSync(join(own, 'cgroup.controllers'), 'cpu memory pids io');
  writeFileSync(join(own, 'cgroup.subtree_control'), '');
  const layout = detectCgroupLayout(`29 23 0:26 / ${root} rw - cgroup2 cgroup2 rw\n`, '0::/user.slice\n');
  const m = createCgroupManager('c3', { memory: { limit: 100 << 20, swap: 150 << 20 }, cpu: { shares: 1024, quota: 20000, period: 100000 }, pids: { limit: 0 }, devices: defaultDeviceRules() }, { layout });
  const w1 = m.create();
  assert.equal(w1, []);
  // Each "+c" write replaces the fake file; the kernel would accumulate them.
  assert.match(readFileSync(join(own, 'cgroup.subtree_control'), 'utf8'), /^\+(memory|cpu|pids)$/);
  const dir = join(own, 'c3');
  writeFileSync(join(dir, 'cgroup.controllers'), 'cpu memory pids');
  writeFileSync(join(dir, 'memory.swap.max'), 'max');
  const w2 = m.apply();
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  assert.is(read('memory.max'), String(100 << 20));
  assert.is(read('memory.swap.max'), String(50 << 20));
  assert.is(read('cpu.weight'), '39');
  assert.is(read('cpu.max'), '20000 100000');
  assert.is(read('pids.max'), 'max');
  assert.match(w2.join('\n'), /devices: NOT ENFORCED on cgroup v2/);
  assert.equal(m.mountSources(), [{ name: '', hostPath: dir }]);
});

test('a controller missing from the parent is a warning, not a failure', () => {
  const own = join(root, 'x');
  mkdirSync(own);
  writeFileSync(join(own, 'cgroup.controllers'), 'memory');
  writeFileSync(join(own, 'cgroup.subtree_control'), '');
  const layout = detectCgroupLayout(`29 23 0:26 / ${root} rw - cgroup2 cgroup2 rw\n`, '0::/x\n');
  const m = createCgroupManager('c4', { pids: { limit: 5 } }, { layout });
  assert.match(m.create().join('\n'), /controller "pids" is not available/);
});

test('paths that climb out are refused; destroy removes the leaf', async () => {
  const layout = fakeHybrid(root);
  assert.throws(() => createCgroupManager('../escape', {}, { layout }), /without "\.\."/);
  assert.throws(() => createCgroupManager('/', {}, { layout }), /must name a cgroup/);
  const m = createCgroupManager('gone', {}, { layout, retryMs: 1 });
  m.create();
  assert.ok(existsSync(join(root, 'pids/own/gone')));
  // A fresh fake dir is empty, so rmdir works as on a real cgroup.
  await m.destroy();
  assert.not.ok(existsSync(join(root, 'pids/own/gone')));
  assert.not.ok(existsSync(join(root, 'unified/gone')));
  assert.ok(existsSync(join(root, 'pids/own')), 'only the leaf is removed');
  await m.destroy(); // twice is fine
});

/** A fake pure-v2 tree with our cgroup at /user.slice. */
function fakeV2(): CgroupLayout {
  const own = join(root, 'user.slice');
  mkdirSync(own, { recursive: true });
  writeFileSync(join(own, 'cgroup.controllers'), 'cpu memory pids');
  writeFileSync(join(own, 'cgroup.subtree_control'), '');
  return detectCgroupLayout(`29 23 0:26 / ${root} rw - cgroup2 cgroup2 rw\n`, '0::/user.slice\n');
}

const bpfCalls = (sys: FakeSys) => sys.calls.filter((c) => c.name.startsWith('bpf') || c.name === 'close').map((c) => c.name);

test('v2: device rules become a BPF program attached to the container\'s directory', () => {
  const sys = new FakeSys();
  const trace: string[] = [];
  const m = createCgroupManager('d1', { devices: defaultDeviceRules(), pids: { limit: 5 } }, { layout: fakeV2(), sys, trace: (l) => trace.push(l) });
  m.create();
  writeFileSync(join(root, 'user.slice/d1/cgroup.controllers'), 'pids');
  assert.equal(m.apply(), []);
  assert.equal(bpfCalls(sys), ['bpfProgQuery', 'bpfProgLoad', 'bpfProgAttach', 'close']);
  const load = sys.calls.find((c) => c.name === 'bpfProgLoad')!.args;
  assert.equal([load[0], (load[1] as Buffer).length / 8, load[2], load[3]], [15, 69, 'Apache', 'tsctr_devices']);
  const attach = sys.calls.find((c) => c.name === 'bpfProgAttach')!.args;
  assert.equal(attach.slice(1), [100, 6, 2]); // our program, BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI
  assert.match(trace.join('\n'), /d1 \(12 exceptions, default deny\):\n\s+0: r2 = /);
  // No device list in the spec: no program (as on v1, where nothing is written).
  const none = new FakeSys();
  createCgroupManager('d2', { pids: { limit: 5 } }, { layout: fakeV2(), sys: none }).apply();
  createCgroupManager('d2', { devices: [] }, { layout: fakeV2(), sys: none }).apply();
  assert.equal(bpfCalls(none), []);
});

test('v2: a program that cannot be loaded is an error, unless the rules allow everything anyway', () => {
  const sys = new FakeSys();
  sys.failOn = { bpfProgLoad: 'EPERM' };
  const layout = fakeV2();
  const m = createCgroupManager('d3', { devices: defaultDeviceRules() }, { layout, sys });
  m.create();
  let err: unknown;
  try { m.apply(); } catch (e) { err = e; }
  assert.ok(isKind(err, 'PermissionDenied'), String(err));
  assert.match(String(err), /load device filter \(69 BPF instructions\): bpfProgLoad: EPERM/);
  assert.match((err as { hint?: string }).hint ?? '', /CAP_SYS_ADMIN or CAP_BPF/);
  const all = createCgroupManager('d4', { devices: [{ allow: true, access: 'rwm' }] }, { layout, sys });
  all.create();
  assert.match(all.apply().join('\n'), /BPF device filter was not attached/);
  // Rules the v1 controller could not express either are refused before any bpf().
  const hole = createCgroupManager('d5', { devices: [...defaultDeviceRules(), { allow: false, type: 'c', major: 1, minor: 3, access: 'm' }] }, { layout, sys: new FakeSys() });
  hole.create();
  assert.throws(() => hole.apply(), /cannot punch a hole in "c \*:\* m"/);
});

test('hybrid: the v1 devices controller enforces, and the program is attached to the unified directory too', () => {
  const layout = fakeHybrid(root);
  const sys = new FakeSys();
  const m = createCgroupManager('h1', { devices: defaultDeviceRules().slice(0, 4) }, { layout, sys });
  m.create();
  assert.equal(m.apply(), []);
  assert.is(readFileSync(join(root, 'devices/own/h1/devices.allow'), 'utf8'), 'c 1:3 rwm');
  assert.equal(bpfCalls(sys), ['bpfProgQuery', 'bpfProgLoad', 'bpfProgAttach', 'close']);
  // There a failure to load is a warning: v1 still enforces.
  const failing = new FakeSys();
  failing.failOn = { bpfProgAttach: 'EINVAL' };
  const f = createCgroupManager('h2', { devices: defaultDeviceRules() }, { layout, sys: failing });
  f.create();
  assert.match(f.apply().join('\n'), /not attached to .*unified\/h2 .*EINVAL.*; the v1 devices controller enforces the rules/);
  assert.ok(failing.calls.some((c) => c.name === 'close'), 'the program fd is closed after a failed attach');
});

test('hybrid without a v1 devices hierarchy: the program is the enforcement, so a failure is an error', () => {
  const full = fakeHybrid(root);
  const layout = { ...full, v1: full.v1.filter((h) => !h.controllers.includes('devices')) };
  const sys = new FakeSys();
  const m = createCgroupManager('h3', { devices: defaultDeviceRules() }, { layout, sys });
  m.create();
  assert.equal(m.apply(), [], 'no "no devices hierarchy" warning: the unified tree enforces');
  assert.equal(bpfCalls(sys), ['bpfProgQuery', 'bpfProgLoad', 'bpfProgAttach', 'close']);
  const failing = new FakeSys();
  failing.failOn = { bpfProgLoad: 'EINVAL' };
  const f = createCgroupManager('h4', { devices: defaultDeviceRules() }, { layout, sys: failing });
  f.create();
  assert.throws(() => f.apply(), /load device filter .*EINVAL/);
});

test.run();

test('linux.resources.network: written to net_cls/net_prio where mounted, refused naming the field where not', () => {
  const d = mkdtempSync(join(tmpdir(), 'tsctr-netcls-'));
  try {
    writeFileSync(join(d, 'net_cls.classid'), '0');
    writeFileSync(join(d, 'net_prio.ifpriomap'), '');
    applyNetwork(new Map([['net_cls', d], ['net_prio', d]]), { classID: 0x100001, priorities: [{ name: 'eth0', priority: 5 }] });
    assert.is(readFileSync(join(d, 'net_cls.classid'), 'utf8').trim(), String(0x100001));
    assert.is(readFileSync(join(d, 'net_prio.ifpriomap'), 'utf8').trim(), 'eth0 5');
    applyNetwork(new Map(), undefined);
    applyNetwork(new Map(), {});
    const cases: [NonNullable<Parameters<typeof applyNetwork>[1]>, string][] = [[{ classID: 1 }, 'classID'], [{ priorities: [{ name: 'lo', priority: 1 }] }, 'priorities']];
    for (const [net, field] of cases) {
      try {
        applyNetwork(new Map(), net);
        assert.unreachable('a missing net_cls/net_prio hierarchy must refuse the request');
      } catch (e) {
        assert.ok(isKind(e, 'FailedPrecondition'), String(e));
        assert.match((e as Error).message, `linux.resources.network.${field}`);
      }
    }
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});
