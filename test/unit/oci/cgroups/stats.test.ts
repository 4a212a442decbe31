// The cgroup stats reader against fake cgroup trees (v1 as this machine's
// kernel writes its files, v2, and hybrid), checked field by field against
// runc's JSON shape; the parsers get hostile file contents.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeJson, readOomKills, readStats } from '../../../../src/oci/cgroups/index.js';
import { MAX_UINT64, parseBlkioFile, parseCpuList, parseIoStat, parseKeyed, parseUint } from '../../../../src/oci/cgroups/stats.js';
import { watchMemoryEvents } from '../../../../src/oci/events.js';

const base = mkdtempSync(join(tmpdir(), 'stats-test-'));
function tree(name: string, files: Record<string, string>): string {
  const d = join(base, name);
  mkdirSync(d, { recursive: true });
  for (const [f, v] of Object.entries(files)) writeFileSync(join(d, f), v);
  return d;
}

const UNLIMITED_V1 = '9223372036854771712';

function v1Source() {
  const cpu = tree('v1/cpu', { 'cpu.stat': 'nr_periods 10\nnr_throttled 2\nthrottled_time 3000\n' });
  const cpuacct = tree('v1/cpuacct', {
    'cpuacct.usage': '65593608\n', 'cpuacct.usage_percpu': '11482266 54111342 \n', 'cpuacct.stat': 'user 3\nsystem 2\n',
    'cpuacct.usage_all': 'cpu user system\n0 0 12000000\n1 44000000 24000000\n',
  });
  const cpuset = tree('v1/cpuset', {
    'cpuset.cpus': '0-1\n', 'cpuset.mems': '0\n', 'cpuset.cpu_exclusive': '0\n', 'cpuset.mem_hardwall': '0\n', 'cpuset.mem_exclusive': '0\n',
    'cpuset.memory_migrate': '0\n', 'cpuset.memory_spread_page': '0\n', 'cpuset.memory_spread_slab': '0\n', 'cpuset.memory_pressure': '0\n',
    'cpuset.sched_load_balance': '1\n', 'cpuset.sched_relax_domain_level': '-1\n',
  });
  const memory = tree('v1/memory', {
    'memory.stat': 'cache 4096\nrss 53248\nhierarchical_memory_limit 67108864\nhierarchical_memsw_limit 9223372036854771712\nswap 0\n',
    'memory.usage_in_bytes': '495616\n', 'memory.max_usage_in_bytes': '2662400\n', 'memory.failcnt': '0\n', 'memory.limit_in_bytes': '67108864\n',
    'memory.memsw.usage_in_bytes': '495616\n', 'memory.memsw.max_usage_in_bytes': '2662400\n', 'memory.memsw.failcnt': '0\n', 'memory.memsw.limit_in_bytes': UNLIMITED_V1,
    'memory.kmem.tcp.usage_in_bytes': '0\n', 'memory.kmem.tcp.max_usage_in_bytes': '0\n', 'memory.kmem.tcp.failcnt': '0\n', 'memory.kmem.tcp.limit_in_bytes': UNLIMITED_V1,
    'memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 3\n',
  });
  const pids = tree('v1/pids', { 'pids.current': '1\n', 'pids.max': '100\n' });
  const blkio = tree('v1/blkio', {
    'blkio.throttle.io_serviced_recursive': '8:0 Read 5\n8:0 Write 0\n8:0 Sync 5\n8:0 Async 0\n8:0 Total 5\nTotal 5\n',
    'blkio.throttle.io_service_bytes_recursive': '8:0 Read 20480\n8:0 Write 0\nTotal 20480\n',
  });
  const hugetlb = tree('v1/hugetlb', { 'hugetlb.2MB.limit_in_bytes': UNLIMITED_V1, 'hugetlb.2MB.usage_in_bytes': '0', 'hugetlb.2MB.max_usage_in_bytes': '2097152', 'hugetlb.2MB.failcnt': '1', 'hugetlb.2MB.rsvd.limit_in_bytes': '0' });
  return { v1: new Map([['cpu', cpu], ['cpuacct', cpuacct], ['cpuset', cpuset], ['memory', memory], ['pids', pids], ['blkio', blkio], ['hugetlb', hugetlb]]) };
}

test('v1: every controller mapped as runc does, in runc\'s key order', () => {
  const s = readStats(v1Source());
  const json = JSON.parse(encodeJson(s).replace(/:(\d{16,})/g, ':"$1"'));
  assert.equal(Object.keys(json), ['cpu', 'cpuset', 'memory', 'pids', 'blkio', 'hugetlb', 'intel_rdt', 'network_interfaces']);
  assert.equal(json.cpu, {
    usage: { total: 65593608, percpu: [11482266, 54111342], percpu_kernel: [12000000, 24000000], percpu_user: [0, 44000000], kernel: 20000000, user: 30000000 },
    throttling: { periods: 10, throttledPeriods: 2, throttledTime: 3000 },
  });
  assert.equal(json.cpuset, { cpus: [0, 1], cpu_exclusive: 0, mems: [0], mem_hardwall: 0, mem_exclusive: 0, memory_migrate: 0, memory_spread_page: 0, memory_spread_slab: 0, memory_pressure: 0, sched_load_balance: 1, sched_relax_domain_level: -1 });
  assert.equal(Object.keys(json.memory), ['cache', 'usage', 'swap', 'kernel', 'kernelTCP', 'raw']);
  assert.equal(json.memory.usage, { limit: 67108864, usage: 495616, max: 2662400, failcnt: 0 });
  assert.equal(json.memory.swap, { limit: UNLIMITED_V1, usage: 495616, max: 2662400, failcnt: 0 });
  assert.equal(json.memory.kernel, { limit: 0, failcnt: 0 }, 'no kmem files: runc\'s zero entry (limit and failcnt are not omitempty)');
  assert.equal(json.memory.kernelTCP, { limit: UNLIMITED_V1, failcnt: 0 }, 'zero usage and max are omitted');
  assert.is(json.memory.raw.hierarchical_memsw_limit, UNLIMITED_V1);
  assert.is(json.memory.cache, 4096);
  assert.equal(json.pids, { current: 1, limit: 100 });
  assert.equal(json.blkio, {
    ioServiceBytesRecursive: [{ major: 8, op: 'Read', value: 20480 }, { major: 8, op: 'Write' }],
    ioServicedRecursive: [{ major: 8, op: 'Read', value: 5 }, { major: 8, op: 'Write' }, { major: 8, op: 'Sync', value: 5 }, { major: 8, op: 'Async' }, { major: 8, op: 'Total', value: 5 }],
  });
  assert.equal(json.hugetlb, { '2MB': { max: 2097152, failcnt: 1 } });
  assert.equal(json.intel_rdt, {});
  assert.is(json.network_interfaces, null);
  assert.is(readOomKills(v1Source()), 3n);
});

test('v1 limits near 2^63 are written exactly, not rounded through a double', () => {
  const text = encodeJson(readStats(v1Source()));
  assert.ok(text.includes(`"swap":{"limit":${UNLIMITED_V1},`), text.slice(0, 200));
  assert.not.ok(text.includes('9223372036854772000'));
});

test('v2: cpu.stat in µs becomes ns, swap is reported as memory+swap, io.stat maps to v1 tables, "max" pids is 0', () => {
  const u = tree('v2/c1', {
    'cpu.stat': 'usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 4\nnr_throttled 1\nthrottled_usec 7\n',
    'cpuset.cpus': '', 'cpuset.mems': '',
    'memory.current': '1048576\n', 'memory.max': 'max\n', 'memory.peak': '2097152\n', 'memory.stat': 'anon 4096\nfile 8192\n',
    'memory.swap.current': '4096\n', 'memory.swap.max': 'max\n', 'memory.events': 'low 0\nhigh 0\nmax 2\noom 1\noom_kill 1\n',
    'pids.current': '2\n', 'pids.max': 'max\n',
    'io.stat': '8:16 rbytes=1459200 wbytes=314773504 rios=192 wios=353 dbytes=0 dios=0\n',
    'hugetlb.2MB.max': 'max\n', 'hugetlb.2MB.current': '0\n', 'hugetlb.2MB.events': 'max 4\n',
  });
  const s = readStats({ v1: new Map(), unified: u });
  assert.equal(s.cpu.usage, { total: 1_500_000n, kernel: 500_000n, user: 1_000_000n });
  assert.equal(s.cpu.throttling, { periods: 4n, throttledPeriods: 1n, throttledTime: 7000n });
  assert.equal(s.memory.usage, { limit: MAX_UINT64, usage: 1048576n, max: 2097152n, failcnt: 0n });
  assert.equal(s.memory.swap, { limit: MAX_UINT64, usage: 1048576n + 4096n, failcnt: 0n });
  assert.is(s.memory.cache, 8192n);
  assert.equal(s.pids, { current: 2n });
  assert.equal(s.blkio, {
    ioServiceBytesRecursive: [{ major: 8n, minor: 16n, op: 'Read', value: 1459200n }, { major: 8n, minor: 16n, op: 'Write', value: 314773504n }],
    ioServicedRecursive: [{ major: 8n, minor: 16n, op: 'Read', value: 192n }, { major: 8n, minor: 16n, op: 'Write', value: 353n }],
  });
  assert.equal(s.hugetlb, { '2MB': { failcnt: 4n } });
  assert.equal(s.cpuset.cpus, undefined);
  assert.is(readOomKills({ v1: new Map(), unified: u }), 1n);
});

test('v2 without the pids controller counts cgroup.procs; an empty cgroup reads as zeros, not an error', () => {
  const u = tree('v2/c2', { 'cgroup.procs': '10\n11\n12\n', 'cpu.stat': 'usage_usec 0\n' });
  const s = readStats({ v1: new Map(), unified: u });
  assert.equal(s.pids, { current: 3n });
  assert.equal(s.memory.usage, { limit: 0n, failcnt: 0n });
  const empty = readStats({ v1: new Map([['memory', join(base, 'missing')]]), unified: join(base, 'missing2') });
  assert.equal(empty.pids, {});
  assert.equal(empty.blkio, {});
});

test('hybrid: v1 controllers first, hugetlb from the unified tree where v1 has none', () => {
  const src = v1Source();
  src.v1.delete('hugetlb');
  const u = tree('hybrid/u', { 'hugetlb.1GB.max': '1073741824', 'hugetlb.1GB.current': '0', 'hugetlb.1GB.events': 'max 0\n', 'cpu.stat': 'usage_usec 999\n' });
  const s = readStats({ ...src, unified: u });
  assert.equal(s.hugetlb, { '1GB': { failcnt: 0n } });
  assert.is(s.cpu.usage.total, 65593608n, 'cpuacct, not the unified cpu.stat');
});

test('hostile file contents: parsers skip or clamp, never throw or blow up', () => {
  assert.is(parseUint('max'), MAX_UINT64);
  assert.is(parseUint('-5'), 0n);
  assert.is(parseUint('99999999999999999999999'), MAX_UINT64);
  assert.is(parseUint('12abc'), undefined);
  assert.is(parseUint(''), undefined);
  assert.equal([...parseKeyed('a 1\nb x\nc 2 3\n\n d 4 \nconstructor 5\n__proto__ 6\n')], [['a', 1n], ['d', 4n], ['constructor', 5n], ['__proto__', 6n]]);
  assert.equal(parseCpuList('0-3,8'), [0, 1, 2, 3, 8]);
  assert.is(parseCpuList('0-4294967295'), undefined, 'a huge range is refused, not expanded');
  assert.is(parseCpuList('3-1'), undefined);
  assert.is(parseCpuList('a'), undefined);
  assert.equal(parseBlkioFile('8:0 Read 1\ngarbage\n8:0\n8:x Read 1\n8:0 Read -1\n1:2 3 4 5\n8:1 7\n'), [{ major: 8n, op: 'Read', value: 1n }, { major: 8n, op: 'Read' }, { major: 8n, minor: 1n, value: 7n }]);
  assert.equal(parseIoStat('8:0 rbytes=x wbytes= =1 rios=2=3 other=4\nnonsense\n'), {});
  const s = readStats({ v1: new Map([['memory', tree('hostile/mem', { 'memory.stat': '__proto__ 1\nconstructor 2\ncache 3\n', 'memory.usage_in_bytes': 'lots', 'memory.limit_in_bytes': '-1' })]]) });
  assert.equal(Object.keys(s.memory.raw!), ['__proto__', 'cache', 'constructor']);
  assert.is(Object.getPrototypeOf(s.memory.raw), Object.prototype, 'a "__proto__" key is data, not a prototype');
});

test('v2 OOM watch: inotify on memory.events reports each oom_kill the counter gained', async () => {
  const d = tree('v2/oom', { 'memory.events': 'oom 0\noom_kill 0\n' });
  let ooms = 0;
  const w = watchMemoryEvents(d, () => { ooms++; });
  try {
    writeFileSync(join(d, 'memory.events'), 'oom 2\noom_kill 2\n');
    for (let i = 0; i < 200 && ooms < 2; i++) await new Promise((r) => setTimeout(r, 10));
    assert.is(ooms, 2);
    writeFileSync(join(d, 'memory.events'), 'oom 3\noom_kill 3\n');
    w.final();
    assert.is(ooms, 3, 'final() reports a kill whose notification has not arrived yet');
  } finally {
    w.close();
  }
});

test.after(() => rmSync(base, { recursive: true, force: true }));
test.run();
