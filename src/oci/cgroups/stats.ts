// A container's cgroup statistics in runc's shape (runc types/events.go as
// Debian's runc 1.1.5 prints it: nested objects always present, zero numbers
// and empty lists left out where runc's `omitempty` leaves them out), read
// from whichever hierarchy carries each controller: v1 directories first,
// then the unified one (pure v2, or hybrid for what v1 lacks, e.g. hugetlb).
// The one reader of cgroup usage: `tsctr-runc events` prints it, the
// manager's stats() (tsctr tasks metrics, tsctr check) summarises it.
//
// Counters are uint64 in the kernel and limits come near 2^63 (v1's
// "unlimited" is 9223372036854771712), past what a JS number holds exactly:
// every number here is a bigint, and encodeEvent writes them as JSON digits.
import { readdirSync } from 'node:fs';
import { tryReadCgroupFile } from './files.js';

export const MAX_UINT64 = 18446744073709551615n;

export interface MemoryEntry { limit: bigint; usage?: bigint; max?: bigint; failcnt: bigint }
export interface BlkioEntry { major?: bigint; minor?: bigint; op?: string; value?: bigint }
export interface HugetlbEntry { usage?: bigint; max?: bigint; failcnt: bigint }

/** runc's types.Stats. */
export interface RuncStats {
  cpu: {
    usage: { total?: bigint; percpu?: bigint[]; percpu_kernel?: bigint[]; percpu_user?: bigint[]; kernel: bigint; user: bigint };
    throttling: { periods?: bigint; throttledPeriods?: bigint; throttledTime?: bigint };
  };
  cpuset: {
    cpus?: number[]; cpu_exclusive: bigint; mems?: number[]; mem_hardwall: bigint; mem_exclusive: bigint;
    memory_migrate: bigint; memory_spread_page: bigint; memory_spread_slab: bigint; memory_pressure: bigint;
    sched_load_balance: bigint; sched_relax_domain_level: bigint;
  };
  memory: { cache?: bigint; usage: MemoryEntry; swap: MemoryEntry; kernel: MemoryEntry; kernelTCP: MemoryEntry; raw?: Record<string, bigint> };
  pids: { current?: bigint; limit?: bigint };
  blkio: Partial<Record<BlkioTable, BlkioEntry[]>>;
  hugetlb: Record<string, HugetlbEntry>;
  intel_rdt: Record<string, never>;
  network_interfaces: null;
}

export type BlkioTable = 'ioServiceBytesRecursive' | 'ioServicedRecursive' | 'ioQueueRecursive' | 'ioServiceTimeRecursive'
  | 'ioWaitTimeRecursive' | 'ioMergedRecursive' | 'ioTimeRecursive' | 'sectorsRecursive';

/** Where to read: controller → v1 directory, and the container's unified directory (pure v2 or hybrid). */
export interface StatsSource {
  v1: ReadonlyMap<string, string>;
  unified?: string;
}

/** "max" reads as runc's MaxUint64; a negative or unparsable value as 0 (fscommon.GetCgroupParamUint). */
export function parseUint(text: string | undefined): bigint | undefined {
  if (text === undefined) return undefined;
  const t = text.trim().split(/\s+/)[0] ?? '';
  if (t === 'max') return MAX_UINT64;
  if (!/^-?\d+$/.test(t)) return undefined;
  const v = BigInt(t);
  return v < 0n ? 0n : v > MAX_UINT64 ? MAX_UINT64 : v;
}

/** "key value" lines → map (memory.stat, cpu.stat, memory.events); lines that are not a key and a number are skipped. */
export function parseKeyed(text: string | undefined): Map<string, bigint> {
  const m = new Map<string, bigint>();
  for (const line of (text ?? '').split('\n')) {
    const [k, v, extra] = line.trim().split(/\s+/);
    if (k && v !== undefined && extra === undefined && /^\d+$/.test(v)) m.set(k, BigInt(v));
  }
  return m;
}

/** A cpuset list "0-3,8" → [0,1,2,3,8]; bounded so a hostile file cannot make a huge array. */
export function parseCpuList(text: string | undefined): number[] | undefined {
  const t = text?.trim();
  if (!t) return undefined;
  const out: number[] = [];
  for (const part of t.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) return undefined;
    const a = Number(m[1]), b = m[2] === undefined ? a : Number(m[2]);
    if (b < a || b > 65535) return undefined;
    for (let i = a; i <= b; i++) out.push(i);
  }
  return out;
}

const put = <T extends object, K extends keyof T>(o: T, k: K, v: T[K] | undefined, keepZero = false) => {
  if (v === undefined || (!keepZero && (v === 0n || (Array.isArray(v) && v.length === 0)))) return;
  o[k] = v;
};

// USER_HZ: cpuacct.stat counts in 1/100 s on every architecture Linux exports it for.
const NS_PER_TICK = 10_000_000n;

export function readStats(src: StatsSource): RuncStats {
  const s: RuncStats = {
    cpu: { usage: { kernel: 0n, user: 0n }, throttling: {} },
    cpuset: { cpu_exclusive: 0n, mem_hardwall: 0n, mem_exclusive: 0n, memory_migrate: 0n, memory_spread_page: 0n, memory_spread_slab: 0n, memory_pressure: 0n, sched_load_balance: 0n, sched_relax_domain_level: 0n },
    memory: { usage: { limit: 0n, failcnt: 0n }, swap: { limit: 0n, failcnt: 0n }, kernel: { limit: 0n, failcnt: 0n }, kernelTCP: { limit: 0n, failcnt: 0n } },
    pids: {}, blkio: {}, hugetlb: {}, intel_rdt: {}, network_interfaces: null,
  };
  const u = src.unified;
  const read = (dir: string, file: string) => tryReadCgroupFile(dir, file);
  // cpu
  const acct = src.v1.get('cpuacct');
  if (acct) readCpuacct(acct, s);
  const cpuDir = src.v1.get('cpu');
  if (cpuDir) {
    const st = parseKeyed(read(cpuDir, 'cpu.stat'));
    put(s.cpu.throttling, 'periods', st.get('nr_periods'));
    put(s.cpu.throttling, 'throttledPeriods', st.get('nr_throttled'));
    put(s.cpu.throttling, 'throttledTime', st.get('throttled_time'));
  }
  if (u && !acct && !cpuDir) {
    // cpu.stat is there even where the cpu controller is not enabled (cgroup-v2.rst).
    const st = parseKeyed(read(u, 'cpu.stat'));
    const us = (k: string) => (st.has(k) ? st.get(k)! * 1000n : undefined);
    put(s.cpu.usage, 'total', us('usage_usec'));
    s.cpu.usage.user = us('user_usec') ?? 0n;
    s.cpu.usage.kernel = us('system_usec') ?? 0n;
    put(s.cpu.throttling, 'periods', st.get('nr_periods'));
    put(s.cpu.throttling, 'throttledPeriods', st.get('nr_throttled'));
    put(s.cpu.throttling, 'throttledTime', us('throttled_usec'));
  }
  // cpuset: the same file names on v1 and v2 (v2 has only cpus and mems, as cpuset.cpus.effective too)
  const cpuset = src.v1.get('cpuset') ?? u;
  if (cpuset) readCpuset(cpuset, s);
  // memory
  const mem = src.v1.get('memory');
  if (mem) readMemoryV1(mem, s);
  else if (u && tryReadCgroupFile(u, 'memory.current') !== undefined) readMemoryV2(u, s);
  // pids
  const pids = src.v1.get('pids') ?? u;
  if (pids) {
    const cur = parseUint(read(pids, 'pids.current'));
    if (cur !== undefined) {
      put(s.pids, 'current', cur);
      const max = parseUint(read(pids, 'pids.max'));
      // runc: no limit ("max") is 0, which omitempty leaves out.
      put(s.pids, 'limit', max === MAX_UINT64 ? 0n : max);
    } else if (pids === u) {
      put(s.pids, 'current', BigInt((read(u, 'cgroup.procs') ?? '').split('\n').filter(Boolean).length));
    }
  }
  // blkio
  const blk = src.v1.get('blkio');
  if (blk) s.blkio = readBlkioV1(blk);
  else if (u) s.blkio = parseIoStat(read(u, 'io.stat'));
  // hugetlb
  const huge = src.v1.get('hugetlb');
  if (huge) s.hugetlb = readHugetlb(huge, 'v1');
  else if (u) s.hugetlb = readHugetlb(u, 'v2');
  return inGoOrder(s);
}

/** o's keys in the order given (Go encodes struct fields in declaration order); absent ones stay absent. */
function pick<T extends object>(o: T, keys: (keyof T)[]): T {
  const r = {} as T;
  for (const k of keys) if (o[k] !== undefined) r[k] = o[k];
  return r;
}

const ENTRY: (keyof MemoryEntry)[] = ['limit', 'usage', 'max', 'failcnt'];
const BLKIO_ORDER: BlkioTable[] = ['ioServiceBytesRecursive', 'ioServicedRecursive', 'ioQueueRecursive', 'ioServiceTimeRecursive', 'ioWaitTimeRecursive', 'ioMergedRecursive', 'ioTimeRecursive', 'sectorsRecursive'];

/** The same stats with every object's keys in runc's field order, so the lines compare with runc's byte for byte in shape. */
function inGoOrder(s: RuncStats): RuncStats {
  const m = s.memory;
  const blkio: RuncStats['blkio'] = {};
  for (const t of BLKIO_ORDER) if (s.blkio[t]) blkio[t] = s.blkio[t]!.map((e) => pick(e, ['major', 'minor', 'op', 'value']));
  return {
    cpu: { usage: pick(s.cpu.usage, ['total', 'percpu', 'percpu_kernel', 'percpu_user', 'kernel', 'user']), throttling: pick(s.cpu.throttling, ['periods', 'throttledPeriods', 'throttledTime']) },
    cpuset: pick(s.cpuset, ['cpus', 'cpu_exclusive', 'mems', 'mem_hardwall', 'mem_exclusive', 'memory_migrate', 'memory_spread_page', 'memory_spread_slab', 'memory_pressure', 'sched_load_balance', 'sched_relax_domain_level']),
    memory: pick({ ...m, usage: pick(m.usage, ENTRY), swap: pick(m.swap, ENTRY), kernel: pick(m.kernel, ENTRY), kernelTCP: pick(m.kernelTCP, ENTRY) }, ['cache', 'usage', 'swap', 'kernel', 'kernelTCP', 'raw']),
    pids: pick(s.pids, ['current', 'limit']),
    blkio,
    hugetlb: Object.fromEntries(Object.entries(s.hugetlb).map(([k, v]) => [k, pick(v, ['usage', 'max', 'failcnt'])])),
    intel_rdt: {},
    network_interfaces: null,
  };
}

function readCpuacct(dir: string, s: RuncStats): void {
  put(s.cpu.usage, 'total', parseUint(tryReadCgroupFile(dir, 'cpuacct.usage')));
  const percpu = (tryReadCgroupFile(dir, 'cpuacct.usage_percpu') ?? '').split(/\s+/).filter(Boolean).map((v) => parseUint(v) ?? 0n);
  put(s.cpu.usage, 'percpu', percpu);
  // cpuacct.usage_all: "cpu user system" then one line per cpu.
  const rows = (tryReadCgroupFile(dir, 'cpuacct.usage_all') ?? '').split('\n').slice(1).map((l) => l.trim().split(/\s+/)).filter((f) => f.length === 3);
  put(s.cpu.usage, 'percpu_kernel', rows.map((f) => parseUint(f[2]) ?? 0n));
  put(s.cpu.usage, 'percpu_user', rows.map((f) => parseUint(f[1]) ?? 0n));
  const st = parseKeyed(tryReadCgroupFile(dir, 'cpuacct.stat'));
  s.cpu.usage.user = (st.get('user') ?? 0n) * NS_PER_TICK;
  s.cpu.usage.kernel = (st.get('system') ?? 0n) * NS_PER_TICK;
}

function readCpuset(dir: string, s: RuncStats): void {
  const c = s.cpuset;
  put(c, 'cpus', parseCpuList(tryReadCgroupFile(dir, 'cpuset.cpus')));
  put(c, 'mems', parseCpuList(tryReadCgroupFile(dir, 'cpuset.mems')));
  const num = (file: string) => parseUint(tryReadCgroupFile(dir, file)) ?? 0n;
  c.cpu_exclusive = num('cpuset.cpu_exclusive');
  c.mem_hardwall = num('cpuset.mem_hardwall');
  c.mem_exclusive = num('cpuset.mem_exclusive');
  c.memory_migrate = num('cpuset.memory_migrate');
  c.memory_spread_page = num('cpuset.memory_spread_page');
  c.memory_spread_slab = num('cpuset.memory_spread_slab');
  c.memory_pressure = num('cpuset.memory_pressure');
  c.sched_load_balance = num('cpuset.sched_load_balance');
  const level = tryReadCgroupFile(dir, 'cpuset.sched_relax_domain_level')?.trim();
  c.sched_relax_domain_level = level && /^-?\d+$/.test(level) ? BigInt(level) : 0n;
}

function memoryEntryV1(dir: string, prefix: string): MemoryEntry | undefined {
  const usage = parseUint(tryReadCgroupFile(dir, `${prefix}.usage_in_bytes`));
  if (usage === undefined) return undefined;
  const e: MemoryEntry = { limit: parseUint(tryReadCgroupFile(dir, `${prefix}.limit_in_bytes`)) ?? 0n, failcnt: parseUint(tryReadCgroupFile(dir, `${prefix}.failcnt`)) ?? 0n };
  put(e, 'usage', usage);
  put(e, 'max', parseUint(tryReadCgroupFile(dir, `${prefix}.max_usage_in_bytes`)));
  return e;
}

function readMemoryV1(dir: string, s: RuncStats): void {
  const raw = parseKeyed(tryReadCgroupFile(dir, 'memory.stat'));
  if (raw.size) s.memory.raw = Object.fromEntries([...raw].sort(([a], [b]) => (a < b ? -1 : 1)));
  put(s.memory, 'cache', raw.get('cache'));
  // swap (memsw) and kmem are optional in the kernel: missing files leave runc's zero entry.
  s.memory.usage = memoryEntryV1(dir, 'memory') ?? s.memory.usage;
  s.memory.swap = memoryEntryV1(dir, 'memory.memsw') ?? s.memory.swap;
  s.memory.kernel = memoryEntryV1(dir, 'memory.kmem') ?? s.memory.kernel;
  s.memory.kernelTCP = memoryEntryV1(dir, 'memory.kmem.tcp') ?? s.memory.kernelTCP;
}

function readMemoryV2(dir: string, s: RuncStats): void {
  const raw = parseKeyed(tryReadCgroupFile(dir, 'memory.stat'));
  if (raw.size) s.memory.raw = Object.fromEntries([...raw].sort(([a], [b]) => (a < b ? -1 : 1)));
  put(s.memory, 'cache', raw.get('file'));
  const usage: MemoryEntry = { limit: parseUint(tryReadCgroupFile(dir, 'memory.max')) ?? 0n, failcnt: 0n };
  put(usage, 'usage', parseUint(tryReadCgroupFile(dir, 'memory.current')));
  put(usage, 'max', parseUint(tryReadCgroupFile(dir, 'memory.peak')));
  s.memory.usage = usage;
  const swapCur = parseUint(tryReadCgroupFile(dir, 'memory.swap.current'));
  if (swapCur !== undefined) {
    // v1 reports memory+swap; runc adds memory to v2's swap-only numbers to match.
    const swapMax = parseUint(tryReadCgroupFile(dir, 'memory.swap.max')) ?? 0n;
    const swap: MemoryEntry = { limit: swapMax === MAX_UINT64 || usage.limit === MAX_UINT64 ? MAX_UINT64 : swapMax + usage.limit, failcnt: 0n };
    put(swap, 'usage', swapCur + (usage.usage ?? 0n));
    s.memory.swap = swap;
  }
}

const BLKIO_V1: [string, BlkioTable][][] = [
  // CFQ's recursive files (kernels before 5.0), then the throttle ones every kernel has.
  [['blkio.sectors_recursive', 'sectorsRecursive'], ['blkio.io_service_time_recursive', 'ioServiceTimeRecursive'], ['blkio.io_wait_time_recursive', 'ioWaitTimeRecursive'],
    ['blkio.io_merged_recursive', 'ioMergedRecursive'], ['blkio.io_queued_recursive', 'ioQueueRecursive'], ['blkio.time_recursive', 'ioTimeRecursive'],
    ['blkio.io_serviced_recursive', 'ioServicedRecursive'], ['blkio.io_service_bytes_recursive', 'ioServiceBytesRecursive']],
  [['blkio.throttle.io_serviced_recursive', 'ioServicedRecursive'], ['blkio.throttle.io_service_bytes_recursive', 'ioServiceBytesRecursive']],
  [['blkio.throttle.io_serviced', 'ioServicedRecursive'], ['blkio.throttle.io_service_bytes', 'ioServiceBytesRecursive']],
];

function readBlkioV1(dir: string): RuncStats['blkio'] {
  for (const group of BLKIO_V1) {
    const first = tryReadCgroupFile(dir, group[0]![0]);
    if (first === undefined) continue;
    const out: RuncStats['blkio'] = {};
    for (const [file, table] of group) {
      const entries = parseBlkioFile(tryReadCgroupFile(dir, file));
      if (entries.length) out[table] = entries;
    }
    return out;
  }
  return {};
}

/** "8:0 Read 4096" (or "8:0 4096"); "Total N" lines and malformed ones are skipped. */
export function parseBlkioFile(text: string | undefined): BlkioEntry[] {
  const out: BlkioEntry[] = [];
  for (const line of (text ?? '').split('\n')) {
    const f = line.trim().split(/\s+/);
    const dev = /^(\d+):(\d+)$/.exec(f[0] ?? '');
    if (!dev || f.length < 2 || f.length > 3) continue;
    const value = parseUint(f[f.length - 1]);
    if (value === undefined) continue;
    const e: BlkioEntry = {};
    put(e, 'major', BigInt(dev[1]!));
    put(e, 'minor', BigInt(dev[2]!));
    if (f.length === 3) e.op = f[1];
    put(e, 'value', value);
    out.push(e);
  }
  return out;
}

/** v2 io.stat "8:0 rbytes=1 wbytes=2 rios=3 wios=4 ..." → v1's tables, as runc maps them. */
export function parseIoStat(text: string | undefined): RuncStats['blkio'] {
  const bytes: BlkioEntry[] = [], ios: BlkioEntry[] = [];
  const map: Record<string, [BlkioEntry[], string]> = { rbytes: [bytes, 'Read'], wbytes: [bytes, 'Write'], rios: [ios, 'Read'], wios: [ios, 'Write'] };
  for (const line of (text ?? '').split('\n')) {
    const [dev, ...kv] = line.trim().split(/\s+/);
    const d = /^(\d+):(\d+)$/.exec(dev ?? '');
    if (!d) continue;
    for (const item of kv) {
      const kv2 = item.split('=');
      if (kv2.length !== 2) continue;
      const [k, v] = kv2 as [string, string];
      const target = Object.hasOwn(map, k) ? map[k] : undefined;
      const value = parseUint(v);
      if (!target || value === undefined) continue;
      const e: BlkioEntry = { op: target[1] };
      put(e, 'major', BigInt(d[1]!));
      put(e, 'minor', BigInt(d[2]!));
      put(e, 'value', value);
      target[0].push(e);
    }
  }
  const out: RuncStats['blkio'] = {};
  if (bytes.length) out.ioServiceBytesRecursive = bytes;
  if (ios.length) out.ioServicedRecursive = ios;
  return out;
}

/** Page sizes from the files present ("hugetlb.2MB.limit_in_bytes" / "hugetlb.2MB.max"). */
function readHugetlb(dir: string, v: 'v1' | 'v2'): Record<string, HugetlbEntry> {
  let names: string[];
  try { names = readdirSync(dir); } catch { return {}; }
  const suffix = v === 'v1' ? '.limit_in_bytes' : '.max';
  const out: Record<string, HugetlbEntry> = {};
  for (const n of names.sort()) {
    const m = /^hugetlb\.([0-9]+[KMG]B)$/.exec(n.slice(0, -suffix.length));
    if (!n.endsWith(suffix) || !m || n.includes('.rsvd.')) continue;
    const size = m[1]!;
    const get = (f: string) => parseUint(tryReadCgroupFile(dir, `hugetlb.${size}.${f}`));
    const e: HugetlbEntry = { failcnt: (v === 'v1' ? get('failcnt') : parseKeyed(tryReadCgroupFile(dir, `hugetlb.${size}.events`)).get('max')) ?? 0n };
    put(e, 'usage', v === 'v1' ? get('usage_in_bytes') : get('current'));
    if (v === 'v1') put(e, 'max', get('max_usage_in_bytes'));
    out[size] = e;
  }
  return out;
}

/** OOM kills recorded by the cgroup (v1 memory.oom_control, v2 memory.events "oom_kill"); undefined where neither says. */
export function readOomKills(src: StatsSource): bigint | undefined {
  const mem = src.v1.get('memory');
  if (mem) return parseKeyed(tryReadCgroupFile(mem, 'memory.oom_control')).get('oom_kill');
  return src.unified ? parseKeyed(tryReadCgroupFile(src.unified, 'memory.events')).get('oom_kill') : undefined;
}

/** JSON with bigints written as plain digits (JSON.stringify refuses them). */
export function encodeJson(value: unknown): string {
  const marks: string[] = [];
  const text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `\u0000${marks.push(v.toString()) - 1}\u0000` : v));
  return text.replace(/"\\u0000(\d+)\\u0000"/g, (_m, i: string) => marks[Number(i)]!);
}

/** A bigint as a number for summaries; "unlimited" (v1's near-2^63, v2's max) is undefined. */
export function toNumber(v: bigint | undefined): number | undefined {
  if (v === undefined || v >= 2n ** 62n) return undefined;
  return Number(v);
}
