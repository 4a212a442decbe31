// The config.json fields that became plan ops in the audit: time namespace
// offsets, personality, I/O priority, a joined mount namespace, consoleSize
// and device attributes. Golden lines, as plan.test.ts does for the default.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CLONE } from '../../../../src/sys/constants.js';
import { describeOp, encodePlan, type PlanOp } from '../../../../src/oci/launch-plan.js';
import { createPlan, type PlanOptions } from '../../../../src/oci/plan/index.js';
import { defaultSpec, type Spec } from '../../../../src/oci/spec/index.js';

const opts = (o: Partial<PlanOptions> = {}): PlanOptions => ({ rootfs: '/tmp/rootfs', lastCap: 40, ...o });
const spec = (edit: (s: Spec) => void = () => {}) => { const s = defaultSpec({ args: ['sh'], hostname: 'box' }); edit(s); return s; };
const lines = (ops: PlanOp[]) => ops.map(describeOp);

test('linux.timeOffsets: unshare, offsets written, then setns into time_for_children before anything else', () => {
  const p = createPlan(spec((s) => {
    s.linux!.namespaces!.push({ type: 'time' });
    s.linux!.timeOffsets = { monotonic: { secs: 86400, nanosecs: 5 }, boottime: { secs: -10 } };
  }), opts());
  // CLONE_NEWTIME is 0x80, clone()'s exit-signal bits: never in the clone flags.
  assert.not.ok(p.cloneFlags & CLONE.NEWTIME);
  assert.equal(lines(p.ops.slice(0, 3)), [
    'unshare(0x80)',
    'write("/proc/self/timens_offsets", "monotonic 86400 5\\nboottime -10 0")',
    'setns("/proc/self/ns/time_for_children", 0x80)',
  ]);
  assert.ok(encodePlan(p.ops).length > 0);
  // Without offsets: the namespace alone.
  const bare = createPlan(spec((s) => { s.linux!.namespaces!.push({ type: 'time' }); }), opts());
  assert.equal(lines(bare.ops.slice(0, 2)), ['unshare(0x80)', 'setns("/proc/self/ns/time_for_children", 0x80)']);
});

test('time namespace in a new user namespace: after becoming its root, so the user namespace owns it', () => {
  const p = createPlan(spec((s) => {
    s.linux!.namespaces!.push({ type: 'time' }, { type: 'user' });
    s.linux!.uidMappings = [{ containerID: 0, hostID: 1000, size: 1000 }];
    s.linux!.gidMappings = [{ containerID: 0, hostID: 1000, size: 1000 }];
    s.linux!.timeOffsets = { boottime: { secs: 3600 } };
  }), opts());
  assert.equal(lines(p.ops.slice(0, 5)), [
    'setresgid(0, 0, 0)', 'setresuid(0, 0, 0)', 'unshare(0x80)',
    'write("/proc/self/timens_offsets", "boottime 3600 0")', 'setns("/proc/self/ns/time_for_children", 0x80)',
  ]);
});

test('a time namespace joined by path is a setns like the others', () => {
  const p = createPlan(spec((s) => { s.linux!.namespaces!.push({ type: 'time', path: '/proc/42/ns/time' }); }), opts());
  assert.equal(lines(p.ops.slice(0, 1)), ['setns("/proc/42/ns/time", 0x80)']);
});

test('linux.personality and process.ioPriority: one op each, before the credentials change', () => {
  const p = createPlan(spec((s) => {
    s.linux!.personality = { domain: 'LINUX32' };
    s.process!.ioPriority = { class: 'IOPRIO_CLASS_IDLE', priority: 7 };
  }), opts());
  const l = lines(p.ops);
  const pers = l.indexOf('personality(0x8)');
  const io = l.indexOf('ioprio_set(1, 0, class 3 data 7)');
  assert.ok(pers > 0 && io > 0);
  assert.ok(pers < l.indexOf('setresuid(0, 0, 0)') && io < l.indexOf('setresuid(0, 0, 0)'));
  assert.ok(encodePlan(p.ops).length > 0);
  assert.ok(lines(createPlan(spec((s) => { s.linux!.personality = { domain: 'LINUX', flags: [] }; }), opts()).ops).includes('personality(0x0)'));
});

test('a joined mount namespace gets the rootfs set up in it, as runc does (setns, then the same rootfs ops)', () => {
  const p = createPlan(spec((s) => { s.linux!.namespaces = s.linux!.namespaces!.map((n) => (n.type === 'mount' ? { type: 'mount', path: '/proc/42/ns/mnt' } : n)); }), opts());
  const l = lines(p.ops);
  assert.is(l[0], 'setns("/proc/42/ns/mnt", 0x20000)');
  assert.not.ok(p.cloneFlags & CLONE.NEWNS);
  assert.ok(l.includes('pivot_root(".", ".")'));
  assert.ok(l.includes('mount("proc", "<root>/proc", "proc", MS_NOSUID|MS_NODEV|MS_NOEXEC, NULL) no-symlinks'));
  assert.equal(p.warnings, []);
});

test('linux.devices: fileMode, uid and gid reach mknod and lchown', () => {
  const p = createPlan(spec((s) => { s.linux!.devices = [{ type: 'b', path: '/dev/sdz', major: 8, minor: 0, fileMode: 0o640, uid: 7, gid: 6 }]; }), opts());
  const l = lines(p.ops);
  assert.ok(l.includes('mknod("<root>/dev/sdz", 060640, 8:0)'));
  assert.ok(l.includes('lchown("<root>/dev/sdz", 7, 6)'));
});

test('implemented fields reach the plan: umask, additionalGids, oomScoreAdj, domainname, rootfsPropagation', () => {
  const l = lines(createPlan(spec((s) => {
    s.process!.user = { uid: 1000, gid: 1000, umask: 0o077, additionalGids: [5, 6] };
    s.process!.oomScoreAdj = 500;
    s.domainname = 'example.org';
    s.linux!.rootfsPropagation = 'shared';
  }), opts()).ops);
  for (const want of ['umask(077)', 'setgroups([5, 6])', 'write("<root>/proc/self/oom_score_adj", "500")', 'setdomainname("example.org")', 'mount(NULL, "/", NULL, MS_SHARED, NULL)']) assert.ok(l.includes(want), want);
});

test.run();
