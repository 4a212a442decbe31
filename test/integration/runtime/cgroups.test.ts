// Real cgroups on this machine (v1, hybrid or v2, as detected): limits are
// written and read back, a launched child joins, the pids and memory limits
// bite. Everything is made under tsctr-test-<pid>/ in our own cgroups and
// removed in test.after, even when a test fails.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, existsSync, readFileSync, rmdirSync } from 'node:fs';
import { join, posix } from 'node:path';
import { createCgroupManager, detectHostCgroups, type CgroupManager } from '../../../src/oci/cgroups/index.js';
import { launch } from '../../../src/oci/launcher.js';
import { createPlan } from '../../../src/oci/plan/index.js';
import { defaultSpec } from '../../../src/oci/spec/index.js';
import { loadSys } from '../../../src/sys/index.js';
import { isRoot, rootTest } from '../../helpers/root.js';
import { hasBusybox, lastCap, makeBusyboxRootfs, runSpec, type TestRootfs } from './rootfs-helper.js';

const base = `tsctr-test-${process.pid}`;
const managers: CgroupManager[] = [];
let fs: TestRootfs | undefined;

test.before(() => { if (isRoot && hasBusybox) fs = makeBusyboxRootfs('tsctr-cg-'); });
test.after(async () => {
  for (const m of managers) await m.destroy().catch((e) => console.error(`cleanup: ${(e as Error).message}`));
  if (managers[0]) for (const d of managers[0].dirs) { try { rmdirSync(posix.join(d.base, base)); } catch { /* not made */ } }
  fs?.remove();
});

function manage(name: string, resources: Parameters<typeof createCgroupManager>[1]): CgroupManager {
  const m = createCgroupManager(`${base}/${name}`, resources);
  managers.push(m);
  return m;
}

rootTest(test, 'detects this machine\'s layout from mountinfo', () => {
  const l = detectHostCgroups();
  const mi = readFileSync('/proc/self/mountinfo', 'utf8');
  assert.is(l.mode, / - cgroup cgroup /.test(mi) ? (/ - cgroup2 /.test(mi) ? 'hybrid' : 'v1') : 'v2');
  for (const h of l.v1) assert.ok(h.ownDir.startsWith(h.mountPoint), h.ownDir);
});

rootTest(test, 'create, apply memory and pids limits, read them back, destroy', async () => {
  const m = manage('limits', { memory: { limit: 64 << 20 }, pids: { limit: 10 }, cpu: { shares: 512 } });
  const warnings = [...m.create(), ...m.apply()];
  const s = m.stats();
  assert.is(s.memory?.limit, 64 << 20, JSON.stringify({ s, warnings }));
  assert.is(s.pids?.limit, 10);
  assert.is(s.pids?.current, 0);
  assert.is(s.cpu?.usageNs, 0, 'no task has run in it yet');
  assert.is(s.memory?.usage, 0);
  const cpuDir = m.dirs.find((d) => d.hierarchy.split(',').includes('cpu'))?.dir;
  if (cpuDir) assert.is(readFileSync(join(cpuDir, 'cpu.shares'), 'utf8').trim(), '512');
  // A relative path lands under our own cgroup in each hierarchy.
  const own = readFileSync('/proc/self/cgroup', 'utf8');
  const memPath = own.match(/^\d+:memory:(.*)$/m)?.[1];
  if (memPath) assert.ok(m.dirs.some((d) => d.dir.endsWith(posix.join(memPath, base, 'limits'))), JSON.stringify(m.dirs));
  await m.destroy();
  for (const d of m.dirs) assert.throws(() => readFileSync(join(d.dir, 'cgroup.procs')), /ENOENT/);
});

rootTest(test, 'a launched child joins the cgroup before its plan runs', async () => {
  if (!fs) throw new Error('busybox-static is needed at /bin/busybox');
  const m = manage('join', { pids: { limit: 100 } });
  m.create();
  m.apply();
  const spec = defaultSpec({ args: ['cat', '/proc/self/cgroup'] });
  const r = await runSpec(spec, fs.rootfs, join(fs.dir, 'join.txt'), {}, (pid) => m.join(pid));
  assert.is(r.code, 0, r.out);
  const lines = r.out.trim().split('\n');
  // Every hierarchy we made a directory in shows the container inside it.
  for (const d of m.dirs) {
    const key = d.hierarchy;
    const line = lines.find((l) => l.split(':')[1] === key);
    assert.ok(line?.endsWith(`/${base}/join`), `${key}: ${line}`);
  }
});

rootTest(test, 'pids.max 10 stops a loop starting 50 background sleeps', async () => {
  if (!fs) throw new Error('busybox-static is needed at /bin/busybox');
  const m = manage('pids', { pids: { limit: 10 } });
  m.create();
  m.apply();
  // busybox sh gives up at the first failed fork.
  const script = 'i=0; while [ $i -lt 50 ]; do sleep 1 & i=$((i+1)); done; echo done';
  const spec = defaultSpec({ args: ['sh', '-c', script] });
  const r = await runSpec(spec, fs.rootfs, join(fs.dir, 'pids.txt'), {}, (pid) => m.join(pid));
  assert.match(r.out, /can't fork|Resource temporarily unavailable/, r.out);
  assert.not.match(r.out, /done/);
  assert.is.not(r.code, 0);
  // pids.events counts the forks refused at pids.max.
  const pidsDir = m.dirs.find((d) => d.hierarchy.split(',').includes('pids'))?.dir ?? m.dirs.find((d) => d.hierarchy === '')!.dir;
  const refused = Number(readFileSync(join(pidsDir, 'pids.events'), 'utf8').match(/^max (\d+)/m)?.[1]);
  assert.ok(refused >= 1, `pids.events max ${refused}`);
});

rootTest(test, 'a 32 MiB memory limit OOM-kills a shell growing a 200 MB variable', async () => {
  if (!fs) throw new Error('busybox-static is needed at /bin/busybox');
  const m = manage('memory', { memory: { limit: 32 << 20, swap: 32 << 20 } });
  m.create();
  const warnings = m.apply();
  const spec = defaultSpec({ args: ['sh', '-c', 'a=$(head -c 200000000 /dev/zero | tr "\\0" x); echo "survived ${#a}"'] });
  const r = await runSpec(spec, fs.rootfs, join(fs.dir, 'mem.txt'), {}, (pid) => m.join(pid));
  assert.not.match(r.out, /survived 200000000/, `${r.out} ${warnings.join('; ')}`);
  const s = m.stats();
  assert.ok((s.memory?.maxUsage ?? 0) > 16 << 20, `max usage ${s.memory?.maxUsage}: the shell did grow`);
  assert.ok((s.memory?.maxUsage ?? 0) <= (32 << 20) + (1 << 20), `max usage ${s.memory?.maxUsage}`);
  assert.ok((s.cpu?.usageNs ?? 0) > 0, 'cpu time was charged');
  assert.ok(r.code === 137 || (s.memory?.oomKills ?? 0) > 0, `exit ${r.code}, ${JSON.stringify(s)}`);
});

rootTest(test, 'v1 device rules: the default ones allow /dev/null and refuse /dev/mem (c 1:1)', async () => {
  if (!fs) throw new Error('busybox-static is needed at /bin/busybox');
  const spec = defaultSpec({ args: ['sh', '-c', 'echo ok > /dev/null && echo null-ok; mknod /tmp/mem c 1 1 && echo mknod-ok; head -c 1 /tmp/mem 2>&1; true'] });
  const m = manage('devices', spec.linux!.resources!);
  m.create();
  const warnings = m.apply();
  const enforced = m.layout.mode !== 'v2';
  const r = await runSpec(spec, fs.rootfs, join(fs.dir, 'devices.txt'), {}, (pid) => m.join(pid));
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /null-ok/);
  assert.match(r.out, /mknod-ok/, 'mknod of any char device is allowed ("c *:* m")');
  if (enforced) assert.match(r.out, /Operation not permitted/, r.out);
  else assert.match(warnings.join('\n'), /NOT ENFORCED/);
});

rootTest(test, '/sys/fs/cgroup inside shows the container\'s own cgroups (mountSources)', async () => {
  if (!fs) throw new Error('busybox-static is needed at /bin/busybox');
  const m = manage('inside', { pids: { limit: 42 } });
  m.create();
  m.apply();
  const pidsName = m.mountSources().find((s) => s.name.split(',').includes('pids'))?.name;
  const file = pidsName ? `/sys/fs/cgroup/${pidsName}/pids.max` : '/sys/fs/cgroup/pids.max';
  const spec = defaultSpec({ args: ['sh', '-c', `cat ${file}; grep " /sys/fs/cgroup" /proc/self/mountinfo; touch /sys/fs/cgroup/x 2>&1; true`] });
  const r = await runSpec(spec, fs.rootfs, join(fs.dir, 'inside.txt'), { cgroupMounts: m.mountSources() }, (pid) => m.join(pid));
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /^42$/m);
  assert.match(r.out, /Read-only file system/);
  for (const s of m.mountSources()) assert.ok(r.out.includes(` /sys/fs/cgroup${s.name ? '/' + s.name : ''} `), `${s.name} mounted: ${r.out}`);
});

rootTest(test, 'freeze and thaw a running container; destroy kills what is left and removes the cgroup', async () => {
  if (!fs) throw new Error('busybox-static is needed at /bin/busybox');
  const sys = await loadSys();
  const m = manage('freeze', { pids: { limit: 20 } });
  m.create();
  m.apply();
  const plan = createPlan(defaultSpec({ args: ['sleep', '60'] }), { rootfs: fs.rootfs, lastCap });
  const child = await launch(sys, plan.ops, { cloneFlags: plan.cloneFlags, beforeStart: (pid) => m.join(pid) });
  try {
    assert.equal(m.pids(), [child.pid]);
    await m.freeze();
    m.thaw();
    await m.destroy();
    const st = await sys.wait(child.pid);
    assert.equal(st, { kind: 'signaled', signal: 9, coreDumped: false });
    for (const d of m.dirs) assert.not.ok(existsSync(d.dir), d.dir);
  } finally {
    closeSync(child.pidfd);
  }
});

test.run();
