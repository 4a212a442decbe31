// tsctr-runc events and update on a busybox bundle: limits reach the cgroup
// file, the state and `events --stats`; a refused value leaves nothing
// changed; an OOM kill becomes an "oom" line; --interval gives stats lines
// until the container stops (exit 0); runc's own `events --stats` on the same
// bundle has the same fields.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Spec } from '../../../src/oci/spec/index.js';
import { hasBusybox, makeBusyboxRootfs, type TestRootfs } from '../runtime/rootfs-helper.js';
import { RUNC_BIN, runcAt, sleep, writeBundle, until as waitUntil } from './runc-helper.js';

const root = mkdtempSync(join(tmpdir(), 'events-update-state-'));
const skip = process.geteuid?.() !== 0 ? 'needs root' : !hasBusybox ? 'needs a static /bin/busybox' : undefined;
if (skip) console.log(`oci/events-update: skipped (${skip})`);
const RUNC = ['/usr/sbin/runc', '/usr/bin/runc'].find((p) => existsSync(p));

const runc = runcAt(root);
const until = (f: () => boolean) => waitUntil(f, 400);

/** The shared bundle with memory and pids limits, so update and the stats have cgroup files to show. */
const bundle = (fs: TestRootfs, args: string[], edit: (s: Spec) => void = () => {}) => writeBundle(fs, args, (s) => {
  s.linux!.resources = { ...s.linux!.resources, memory: { limit: 64 * 1024 * 1024 }, pids: { limit: 100 } };
  edit(s);
});

/** The container's v1 memory directory (or its cgroup2 one), from the recorded state. */
function memoryFile(id: string, v1: string, v2: string): string {
  const st = JSON.parse(readFileSync(join(root, id, 'state.json'), 'utf8')) as { cgroupLayout: { v1: { controllers: string[]; ownDir: string }[]; unified?: { ownDir: string } }; cgroupsPath: string };
  const mem = st.cgroupLayout.v1.find((h) => h.controllers.includes('memory'));
  return mem ? join(mem.ownDir, st.cgroupsPath, v1) : join(st.cgroupLayout.unified!.ownDir, st.cgroupsPath, v2);
}
const recorded = (id: string) => (JSON.parse(readFileSync(join(root, id, 'state.json'), 'utf8')) as { spec: Spec }).spec.linux!.resources!;

/** events as a child: its stdout lines parsed as they come. */
function follow(...args: string[]) {
  const p = spawn(RUNC_BIN, ['--root', root, 'events', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: { type: string; id: string; data?: Record<string, any> }[] = [];
  let buf = '', err = '';
  p.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let i; (i = buf.indexOf('\n')) >= 0; buf = buf.slice(i + 1)) lines.push(JSON.parse(buf.slice(0, i)));
  });
  p.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const exit = new Promise<number | null>((r) => p.on('close', (code) => r(code)));
  return { p, lines, exit, err: () => err };
}

test('update --memory: the cgroup file, the recorded state and events --stats all show the new limit', () => {
  if (skip) return;
  const fs = makeBusyboxRootfs('events-update-');
  try {
    assert.is(runc('run', '-d', '--bundle', bundle(fs, ['sleep', '1000']), 'events-update-1').code, 0);
    const r = runc('update', '--memory', '48m', '--pids-limit', '50', 'events-update-1');
    assert.is(r.code, 0, r.err);
    const limitFile = memoryFile('events-update-1', 'memory.limit_in_bytes', 'memory.max');
    assert.is(readFileSync(limitFile, 'utf8').trim(), String(48 * 1024 * 1024));
    assert.is(recorded('events-update-1').memory!.limit, 48 * 1024 * 1024);
    assert.is(recorded('events-update-1').pids!.limit, 50);
    const s = runc('events', '--stats', 'events-update-1');
    assert.is(s.code, 0, s.err);
    assert.is(s.out.trim().split('\n').length, 1, 'one line');
    const ev = JSON.parse(s.out);
    assert.is(ev.type, 'stats');
    assert.is(ev.id, 'events-update-1');
    assert.is(ev.data.memory.usage.limit, 48 * 1024 * 1024);
    assert.equal(ev.data.pids, { current: 1, limit: 50 });
    // --resources from stdin, laid over what the container has.
    const stdin = spawnSync(RUNC_BIN, ['--root', root, 'update', '--resources', '-', 'events-update-1'], { input: '{"memory":{"limit":40000000},"cpu":{"shares":0}}', encoding: 'utf8' });
    assert.is(stdin.status, 0, stdin.stderr);
    assert.is(readFileSync(limitFile, 'utf8').trim(), String(Math.floor(40000000 / 4096) * 4096), 'the kernel rounds to pages');
    assert.equal(recorded('events-update-1').pids, { limit: 50 }, 'earlier updates stay recorded');
  } finally {
    runc('delete', '--force', 'events-update-1');
    fs.remove();
  }
});

test('update: a value the kernel refuses names the file and errno, and what was written before it is put back', () => {
  if (skip) return;
  const fs = makeBusyboxRootfs('events-update-');
  try {
    assert.is(runc('run', '-d', '--bundle', bundle(fs, ['sleep', '1000']), 'events-update-2').code, 0);
    const limitFile = memoryFile('events-update-2', 'memory.limit_in_bytes', 'memory.max');
    const before = readFileSync(limitFile, 'utf8');
    // memory is written before cpuset, and CPU 4095 does not exist here.
    const r = runc('update', '--memory', '32m', '--cpuset-cpus', '4095', 'events-update-2');
    assert.is(r.code, 1);
    assert.is(r.err.trim().split('\n').length, 1, `one line: ${r.err}`);
    assert.match(r.err, /cpuset\.cpus.*"4095".*(EINVAL|ERANGE|EACCES)/);
    assert.match(r.err, /restored, nothing changed/);
    assert.is(readFileSync(limitFile, 'utf8'), before, 'memory limit put back');
    assert.is(recorded('events-update-2').memory!.limit, 64 * 1024 * 1024, 'state unchanged');
    // Bad input never reaches the cgroup.
    const bad = runc('update', '--memory', '12q', 'events-update-2');
    assert.is(bad.code, 1);
    assert.match(bad.err, /invalid value "12q" for --memory/);
    const kmem = runc('update', '--kernel-memory', '1m', 'events-update-2');
    assert.match(kmem.err, /--kernel-memory: kernel memory limits are deprecated/);
    const json = spawnSync(RUNC_BIN, ['--root', root, 'update', '-r', '-', 'events-update-2'], { input: '{"memory":{"limit":-7},"bogus":1}', encoding: 'utf8' });
    assert.is(json.status, 1);
    assert.match(json.stderr, /memory\.limit: -7 is out of range/);
    assert.match(json.stderr, /bogus: unknown field/);
    assert.is(readFileSync(limitFile, 'utf8'), before);
  } finally {
    runc('delete', '--force', 'events-update-2');
    fs.remove();
  }
});

test('events: stats every --interval 200ms, an "oom" line when the cgroup OOM-kills, exit 0 when the container stops', async () => {
  if (skip) return;
  const fs = makeBusyboxRootfs('events-update-');
  let ev: ReturnType<typeof follow> | undefined;
  try {
    // The shell waits for /tmp/go, then tail buffers /dev/zero (no newline, ever) past the 16 MiB limit.
    const b = bundle(fs, ['sh', '-c', 'while [ ! -e /tmp/go ]; do sleep 0.05; done; tail /dev/zero; exec sleep 1000'], (s) => { s.linux!.resources!.memory = { limit: 16 * 1024 * 1024 }; });
    assert.is(runc('run', '-d', '--bundle', b, 'events-update-3').code, 0);
    ev = follow('--interval', '200ms', 'events-update-3');
    // The OOM watch is in place before the first stats line.
    assert.ok(await until(() => ev!.lines.length >= 1), `a first stats line: ${ev.err()}`);
    writeFileSync(join(fs.rootfs, 'tmp/go'), '');
    assert.ok(await until(() => ev!.lines.some((l) => l.type === 'oom')), `an oom line: ${ev.err()}`);
    assert.ok(await until(() => ev!.lines.filter((l) => l.type === 'stats').length >= 4), 'several stats lines');
    assert.equal(ev.lines.find((l) => l.type === 'oom'), { type: 'oom', id: 'events-update-3' });
    const stats = ev.lines.filter((l) => l.type === 'stats');
    assert.ok(stats.every((l) => l.id === 'events-update-3' && l.data!.memory.usage.limit === 16 * 1024 * 1024));
    assert.ok(stats.at(-1)!.data!.memory.usage.failcnt > 0, 'the limit was hit');
    assert.is(runc('kill', 'events-update-3', 'KILL').code, 0);
    assert.is(await ev.exit, 0, ev.err());
    assert.is(ev.err(), '');
    // A stopped container: runc's wording.
    const stopped = runc('events', '--stats', 'events-update-3');
    assert.is(stopped.code, 1);
    assert.match(stopped.err, /container with id events-update-3 is not running/);
    assert.match(runc('update', '--memory', '32m', 'events-update-3').err, /not running/);
  } finally {
    ev?.p.kill('SIGKILL');
    runc('delete', '--force', 'events-update-3');
    fs.remove();
  }
});

test('events: SIGTERM ends a follow with 0; an unknown container and a bad interval are one-line errors', async () => {
  if (skip) return;
  const fs = makeBusyboxRootfs('events-update-');
  let ev: ReturnType<typeof follow> | undefined;
  try {
    assert.is(runc('run', '-d', '--bundle', bundle(fs, ['sleep', '1000']), 'events-update-4').code, 0);
    ev = follow('--interval', '100ms', 'events-update-4');
    assert.ok(await until(() => ev!.lines.length >= 1));
    ev.p.kill('SIGTERM');
    assert.is(await ev.exit, 0);
    assert.match(runc('events', '--stats', 'events-update-none').err, /container does not exist: events-update-none/);
    const bad = runc('events', '--interval', '5', 'events-update-4');
    assert.is(bad.code, 1);
    assert.match(bad.err, /invalid value "5" for --interval/);
    assert.match(runc('events', '--interval', '0s', 'events-update-4').err, /duration interval must be greater than 0/);
  } finally {
    ev?.p.kill('SIGKILL');
    runc('delete', '--force', 'events-update-4');
    fs.remove();
  }
});

/** Every key path of a JSON value ("memory.usage.limit"), down to the values; maps with data-dependent keys (raw, hugetlb) stop at their name. */
function keyPaths(v: unknown, at = ''): string[] {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || ['memory.raw', 'hugetlb'].includes(at)) return [at];
  return Object.entries(v).flatMap(([k, x]) => keyPaths(x, at ? `${at}.${k}` : k));
}

test('peer: Debian\'s runc events --stats on the same bundle prints the same fields', () => {
  if (skip) return;
  if (!RUNC) { console.log('oci/events-update: runc peer skipped (runc is not installed)'); return; }
  const fs = makeBusyboxRootfs('events-update-');
  const runcRoot = mkdtempSync(join(tmpdir(), 'events-update-runc-'));
  const peer = (...args: string[]) => spawnSync(RUNC, ['--root', runcRoot, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30000 });
  try {
    const b = bundle(fs, ['sleep', '1000']);
    assert.is(runc('run', '-d', '--bundle', b, 'events-update-5').code, 0);
    const r = peer('run', '-d', '--bundle', b, 'events-update-peer');
    assert.is(r.status, 0, r.stderr);
    const ours = JSON.parse(runc('events', '--stats', 'events-update-5').out);
    const theirs = JSON.parse(peer('events', '--stats', 'events-update-peer').stdout);
    assert.equal(Object.keys(ours), Object.keys(theirs));
    assert.equal(Object.keys(ours.data), Object.keys(theirs.data));
    // Zero values are left out by omitempty (percpu, throttling, kmem, the page cache a fresh container may not have yet), so compare the fields both have non-zero here.
    const mine = new Set(keyPaths(ours.data));
    const missing = keyPaths(theirs.data).filter((k) => !mine.has(k) && !/percpu|throttling|kernel\.(usage|max)|kernelTCP|^memory\.cache$/.test(k));
    assert.equal(missing, [], 'fields runc prints that we do not');
    assert.equal(ours.data.memory.usage.limit, theirs.data.memory.usage.limit);
    assert.equal(ours.data.pids.limit, theirs.data.pids.limit);
    assert.equal(ours.data.cpuset, theirs.data.cpuset);
    assert.equal(ours.data.network_interfaces, theirs.data.network_interfaces);
    assert.equal(ours.data.intel_rdt, theirs.data.intel_rdt);
  } finally {
    peer('delete', '--force', 'events-update-peer');
    runc('delete', '--force', 'events-update-5');
    rmSync(runcRoot, { recursive: true, force: true });
    fs.remove();
  }
});

test.after(() => rmSync(root, { recursive: true, force: true }));
test.run();
