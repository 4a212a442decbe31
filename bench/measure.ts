// Timing and memory of whole commands, the way a user feels them: wall time
// from spawn to exit, the command's own CPU time (user + system) and its peak
// RSS, from wait4(2) in bench/rusage.c (compiled here with the system C
// compiler; without one, GNU time's %M gives the RSS and there is no CPU
// column). CPU time is what to compare when the machine is busy: wall time
// then includes waiting for a core, CPU time much less so.
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Sample { ms: number; cpuMs?: number; rssKiB?: number }
export interface Stats { name: string; n: number; median: number; mean: number; min: number; cpuMedian?: number; rssKiB?: number }

const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
const RUSAGE = buildRusage();

function buildRusage(): string | undefined {
  const src = join(dirname(fileURLToPath(import.meta.url)), '../../bench/rusage.c');
  if (!existsSync(src)) return undefined;
  const out = join(mkdtempSync(join(tmpdir(), 'tsctr-bench-rusage-')), 'rusage');
  return spawnSync('cc', ['-O2', '-o', out, src], { stdio: 'ignore' }).status === 0 ? out : undefined;
}

/** The load average now, to print next to figures taken on a shared machine. */
export function load(): string {
  return loadavg().map((x) => x.toFixed(2)).join(' ');
}

/** `leavesProcess`: the command leaves a process holding its stdio (runc create): stdio goes nowhere. */
export function measure(cmd: string, args: string[], opts: { input?: string; leavesProcess?: boolean } = {}): Sample {
  if (RUSAGE) {
    const r = spawnSync(RUSAGE, [cmd, ...args], { encoding: 'utf8', input: opts.leavesProcess ? undefined : opts.input ?? '', stdio: opts.leavesProcess ? ['ignore', 'ignore', 'ignore', 'pipe'] : ['pipe', 'pipe', 'pipe', 'pipe'] });
    const [wall, cpu, rss, status] = String(r.output[3] ?? '').trim().split(' ').map(Number);
    if (r.status !== 0 || status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${status ?? r.status}: ${String(r.stderr ?? '').slice(-500)}`);
    return { ms: wall! / 1000, cpuMs: cpu! / 1000, rssKiB: opts.leavesProcess ? undefined : rss };
  }
  if (opts.leavesProcess) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}`);
    return { ms: Number(process.hrtime.bigint() - t0) / 1e6 };
  }
  const argv = GNU_TIME ? [GNU_TIME, '-f', '__RSS__%M', cmd, ...args] : [cmd, ...args];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', input: opts.input ?? '' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(-500)}`);
  const m = /__RSS__(\d+)/.exec(r.stderr);
  return { ms, rssKiB: m ? Number(m[1]) : undefined };
}

export function summarize(name: string, samples: Sample[]): Stats {
  const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
  const cpu = samples.map((s) => s.cpuMs).filter((x): x is number => x !== undefined).sort((a, b) => a - b);
  const rss = samples.map((s) => s.rssKiB).filter((x): x is number => x !== undefined);
  return {
    name,
    n: ms.length,
    median: ms[Math.floor(ms.length / 2)]!,
    mean: ms.reduce((a, b) => a + b, 0) / ms.length,
    min: ms[0]!,
    cpuMedian: cpu.length ? cpu[Math.floor(cpu.length / 2)] : undefined,
    rssKiB: rss.length ? Math.max(...rss) : undefined,
  };
}

/** Prints a table with each row's ratio to the reference row. */
export function report(title: string, rows: Stats[], reference: string): void {
  const ref = rows.find((r) => r.name === reference);
  console.log(`\n${title} (load average ${load()})`);
  console.log(`  ${'command'.padEnd(44)} ${'median'.padStart(9)} ${'mean'.padStart(9)} ${'min'.padStart(9)} ${'CPU'.padStart(9)} ${'peak RSS'.padStart(10)}  ratio (wall; CPU)`);
  for (const r of rows) {
    const ratio = ref ? `${(r.median / ref.median).toFixed(2)}x` + (r.cpuMedian && ref.cpuMedian ? `; ${(r.cpuMedian / ref.cpuMedian).toFixed(2)}x` : '') : '';
    const rss = r.rssKiB !== undefined ? `${(r.rssKiB / 1024).toFixed(1)} MiB` : '-';
    const cpu = r.cpuMedian !== undefined ? `${r.cpuMedian.toFixed(1).padStart(7)}ms` : '-'.padStart(9);
    console.log(`  ${r.name.padEnd(44)} ${r.median.toFixed(1).padStart(7)}ms ${r.mean.toFixed(1).padStart(7)}ms ${r.min.toFixed(1).padStart(7)}ms ${cpu} ${rss.padStart(10)}  ${ratio}`);
  }
  if (!RUSAGE && !GNU_TIME) console.log('  (peak RSS needs a C compiler or GNU time: apt-get install time)');
}

export function have(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
}

/** The parts of a node process's peak RSS, KiB: VmHWM, and RssAnon/RssFile/RssShmem from /proc/self/status at exit. */
export interface RssParts { hwm: number; anon: number; file: number; shmem: number }

// Read at process exit, where the commands measured here have their peak
// (VmRSS equals VmHWM there: checked when this was written, and shown by the
// table, which prints both). Preloaded with NODE_OPTIONS=--require, so bin/tsctr
// still starts through its #! line; each node process writes <dir>/<pid>.
const RSS_PROBE = `process.on('exit', () => { try { const fs = require('fs'); fs.writeFileSync(process.env.TSCTR_RSS_PROBE_DIR + '/' + process.pid, fs.readFileSync('/proc/self/status', 'utf8')); } catch {} });\n`;
let probeDir: string | undefined;

/** Runs a node command (node itself, or a #! script of it) once and reads its RSS parts; undefined when the probe wrote nothing. */
export function rssParts(cmd: string, args: string[]): RssParts | undefined {
  if (!probeDir) {
    probeDir = mkdtempSync(join(tmpdir(), 'tsctr-bench-rss-'));
    writeFileSync(join(probeDir, 'probe.cjs'), RSS_PROBE);
  }
  const env = { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${join(probeDir, 'probe.cjs')}`.trim(), TSCTR_RSS_PROBE_DIR: probeDir };
  const r = spawnSync(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(-500)}`);
  let status: string;
  try { status = readFileSync(join(probeDir, String(r.pid)), 'utf8'); } catch { return undefined; }
  const kib = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { hwm: kib('VmHWM'), anon: kib('RssAnon'), file: kib('RssFile'), shmem: kib('RssShmem') };
}

/** The median of each part over several runs. */
export function medianParts(samples: RssParts[]): RssParts | undefined {
  if (!samples.length) return undefined;
  const med = (k: keyof RssParts) => samples.map((s) => s[k]).sort((a, b) => a - b)[(samples.length - 1) >> 1]!;
  return { hwm: med('hwm'), anon: med('anon'), file: med('file'), shmem: med('shmem') };
}

/** One figure for bench/run.ts's summary: appended to $BENCH_RESULTS (JSON lines) when set. */
export interface Row { key: string; label: string; median: number; min?: number; cpu?: number; rssKiB?: number; load?: string; rssParts?: RssParts }

export function record(rows: Row[]): void {
  const file = process.env.BENCH_RESULTS;
  if (!file) return;
  appendFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

export function rowOf(key: string, s: Stats): Row {
  return { key, label: s.name, median: s.median, min: s.min, cpu: s.cpuMedian, rssKiB: s.rssKiB, load: load() };
}
