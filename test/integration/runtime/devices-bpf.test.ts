// The cgroup v2 device program on the real kernel. On this machine (hybrid)
// a program attached to a directory of the cgroup2 mount applies to the
// processes in it whatever controllers that mount has, and our processes sit
// in the root of the v1 devices hierarchy (allow-all), so only the program
// can refuse. Each test makes its own cgroup2 directory (tsctr-bpf-<pid>-*),
// moves only a shell it started into it, and removes it, even on failure.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { attachDeviceFilter, compileDeviceFilter, createCgroupManager, detectHostCgroups, loadDeviceFilter } from '../../../src/oci/cgroups/index.js';
import { defaultDeviceRules } from '../../../src/oci/spec/defaults.js';
import type { DeviceCgroupRule } from '../../../src/oci/spec/types.js';
import { BPF } from '../../../src/sys/constants.js';
import { loadSys, type Sys } from '../../../src/sys/index.js';
import { isRoot, rootTest } from '../../helpers/root.js';

const unified = isRoot ? detectHostCgroups().unified : undefined;
const base = unified ? join(unified.ownDir, `tsctr-bpf-${process.pid}`) : '';
let n = 0;
const made: string[] = [];
let tmp = '';

/**
 * A host block device this process may open outside any test cgroup (the
 * control), from /sys/block: real disks first, then zram and loop devices.
 * (On this VM the sandbox itself already refuses /dev/vda to us.)
 */
function hostDisk(): { dev: string; major: number; minor: number } | undefined {
  const rank = (n: string) => (/^(loop|ram|nbd)/.test(n) ? 2 : /^zram/.test(n) ? 1 : 0);
  for (const name of readdirSync('/sys/block').sort((a, b) => rank(a) - rank(b))) {
    const dev = `/dev/${name}`;
    try { closeSync(openSync(dev, 'r')); } catch { continue; }
    const [major, minor] = readFileSync(`/sys/block/${name}/dev`, 'utf8').trim().split(':').map(Number);
    return { dev, major: major!, minor: minor! };
  }
  return undefined;
}

function newCgroup(): string {
  mkdirSync(base, { recursive: true });
  const dir = join(base, `t${n++}`);
  mkdirSync(dir);
  made.push(dir);
  return dir;
}

/** Runs a shell script inside dir: the shell moves itself in first. */
function inCgroup(dir: string, script: string): { code: number | null; out: string } {
  const r = spawnSync('/bin/sh', ['-c', `echo $$ > '${dir}/cgroup.procs' && ${script}`], { encoding: 'utf8', env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' } });
  return { code: r.status, out: (r.stdout + r.stderr).trim() };
}

test.before(() => { if (isRoot) tmp = mkdtempSync('/tmp/tsctr-bpf-'); });
test.after(() => {
  for (const d of made.reverse()) { try { rmdirSync(d); } catch (e) { console.error(`cleanup ${d}: ${(e as Error).message}`); } }
  try { if (base) rmdirSync(base); } catch { /* not made */ }
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

function skipReason(): string | undefined {
  if (!unified) return 'no cgroup2 hierarchy is mounted';
  if (!hostDisk()) return 'no disk in /sys/block with a node in /dev';
  return undefined;
}

function bpfTest(name: string, fn: (sys: Sys) => Promise<void> | void): void {
  rootTest(test, name, async () => {
    const why = skipReason();
    if (why) { console.log(`  SKIP ${name}: ${why}`); return; }
    await fn(await loadSys());
  });
}

bpfTest('the default rules: mknod of the host disk is allowed, opening it is EPERM; /dev/null works', (sys) => {
  const disk = hostDisk()!;
  // Outside the cgroup, as a control: a shell opens the disk.
  assert.is(spawnSync('/bin/sh', ['-c', `: < '${disk.dev}'`]).status, 0, `control: ${disk.dev} opens outside the cgroup`);
  const dir = newCgroup();
  const filter = compileDeviceFilter(defaultDeviceRules());
  assert.equal(attachDeviceFilter(dir, filter, sys), { replaced: 0 });
  const node = join(tmp, 'disk');
  const r = inCgroup(dir, `mknod '${node}' b ${disk.major} ${disk.minor} && echo made; (: < '${node}') || echo node-refused; (: < '${disk.dev}') || echo dev-refused; echo ok > /dev/null && echo null-ok; mknod '${tmp}/null' c 1 3 && echo x > '${tmp}/null' && echo own-null-ok`);
  assert.match(r.out, /^made$/m, r.out);
  for (const [path, mark] of [[node, 'node-refused'], [disk.dev, 'dev-refused']]) {
    assert.ok(r.out.includes(`cannot open ${path}: Operation not permitted`), r.out);
    assert.match(r.out, new RegExp(`^${mark}$`, 'm'), r.out);
  }
  assert.match(r.out, /^null-ok$/m, r.out);
  assert.match(r.out, /^own-null-ok$/m, r.out);
});

bpfTest('without "b *:* m", mknod of a block device is EPERM too', (sys) => {
  const disk = hostDisk()!;
  const dir = newCgroup();
  const rules: DeviceCgroupRule[] = [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }];
  attachDeviceFilter(dir, compileDeviceFilter(rules), sys);
  const r = inCgroup(dir, `mknod '${tmp}/disk2' b ${disk.major} ${disk.minor} || echo refused; echo > /dev/null && echo null-ok`);
  assert.match(r.out, /Operation not permitted/, r.out);
  assert.match(r.out, /^refused$/m, r.out);
  assert.match(r.out, /^null-ok$/m, r.out);
  assert.not.ok(existsSync(`${tmp}/disk2`));
});

bpfTest('attaching again replaces the program (one attached, the new rules apply)', (sys) => {
  const disk = hostDisk()!;
  const dir = newCgroup();
  attachDeviceFilter(dir, compileDeviceFilter(defaultDeviceRules()), sys);
  const readDisk: DeviceCgroupRule = { allow: true, type: 'b', major: disk.major, minor: disk.minor, access: 'r' };
  assert.equal(attachDeviceFilter(dir, compileDeviceFilter([...defaultDeviceRules(), readDisk]), sys), { replaced: 1 });
  const ids = queryIds(sys, dir);
  assert.is(ids.length, 1, JSON.stringify(ids));
  const r = inCgroup(dir, `(: < '${disk.dev}') && echo read-ok`);
  assert.match(r.out, /^read-ok$/m, r.out);
});

/** The device programs attached to dir, by id. */
function queryIds(sys: Sys, dir: string): number[] {
  const fd = openSync(dir, 'r');
  try { return sys.bpfProgQuery(fd, BPF.CGROUP_DEVICE); } finally { closeSync(fd); }
}

bpfTest('a program the verifier refuses: the error carries the verifier\'s words', (sys) => {
  const filter = compileDeviceFilter([]);
  // Drop the final "exit": the program falls off its end.
  const broken = { ...filter, insns: filter.insns.slice(0, -1), bytecode: filter.bytecode.subarray(0, filter.bytecode.length - 8) };
  let err: unknown;
  try { sys.close(loadDeviceFilter(broken, sys)); } catch (e) { err = e; }
  assert.ok(err, 'the broken program was loaded');
  assert.match(String(err), /load device filter \(7 BPF instructions\): bpf BPF_PROG_LOAD: EINVAL \(Invalid argument\); verifier: .+/);
});

bpfTest('the cgroup manager attaches the program to the container\'s unified directory, and rmdir releases it', async (sys) => {
  const m = createCgroupManager(`tsctr-bpf-${process.pid}/mgr`, { devices: defaultDeviceRules(), pids: { limit: 20 } }, { sys, retryMs: 5 });
  const unifiedDir = m.dirs.find((d) => d.hierarchy === '')!.dir;
  const listing: string[] = [];
  try {
    m.create();
    const warnings = m.apply(undefined);
    assert.equal(warnings.filter((w) => w.includes('devices')), []);
    const ids = queryIds(sys, unifiedDir);
    assert.is(ids.length, 1);
    // After destroy the kernel drops the attachment and, with no fd left, the program.
    await m.destroy();
    let gone = false;
    for (let i = 0; i < 200 && !gone; i++) {
      try { sys.close(sys.bpfProgGetFdById(ids[0]!)); await new Promise((r) => setTimeout(r, 25)); } catch (e) { gone = (e as { code?: string }).code === 'ENOENT'; }
    }
    assert.ok(gone, `program ${ids[0]} still loaded after the cgroup was removed`);
  } finally {
    await m.destroy().catch(() => undefined);
  }
  // With a trace, the listing is printed.
  const t = createCgroupManager(`tsctr-bpf-${process.pid}/trace`, { devices: defaultDeviceRules() }, { sys, trace: (l) => listing.push(l), retryMs: 5 });
  try {
    t.create();
    t.apply(undefined);
    assert.match(listing.join('\n'), /device filter for .*\(12 exceptions, default deny\):\n\s+0: r2 = \*\(u32 \*\)\(r1 \+ 0\)/);
  } finally {
    await t.destroy();
  }
});

test.run();
