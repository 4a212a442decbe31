// Timing and memory of whole commands, the way a user feels them: wall time
// from spawn to exit, and peak RSS (GNU time's %M) of the command itself.
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync } from 'node:fs';

export interface Sample { ms: number; rssKiB?: number }
export interface Stats { name: string; n: number; median: number; mean: number; min: number; rssKiB?: number }

const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

/** `leavesProcess`: the command leaves a process holding its stdio (runc create): no pipes, no RSS. */
export function measure(cmd: string, args: string[], opts: { input?: string; leavesProcess?: boolean } = {}): Sample {
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
  const rss = samples.map((s) => s.rssKiB).filter((x): x is number => x !== undefined);
  return {
    name,
    n: ms.length,
    median: ms[Math.floor(ms.length / 2)]!,
    mean: ms.reduce((a, b) => a + b, 0) / ms.length,
    min: ms[0]!,
    rssKiB: rss.length ? Math.max(...rss) : undefined,
  };
}

/** Prints a table with each row's ratio to the reference row. */
export function report(title: string, rows: Stats[], reference: string): void {
  const ref = rows.find((r) => r.name === reference);
  console.log(`\n${title}`);
  console.log(`  ${'command'.padEnd(44)} ${'median'.padStart(9)} ${'mean'.padStart(9)} ${'min'.padStart(9)} ${'peak RSS'.padStart(10)}  ratio`);
  for (const r of rows) {
    const ratio = ref ? (r.median / ref.median).toFixed(2) + 'x' : '';
    const rss = r.rssKiB !== undefined ? `${(r.rssKiB / 1024).toFixed(1)} MiB` : '-';
    console.log(`  ${r.name.padEnd(44)} ${r.median.toFixed(1).padStart(7)}ms ${r.mean.toFixed(1).padStart(7)}ms ${r.min.toFixed(1).padStart(7)}ms ${rss.padStart(10)}  ${ratio}`);
  }
  if (!GNU_TIME) console.log('  (peak RSS needs GNU time: apt-get install time)');
}

export function have(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
}

/** One figure for bench/run.ts's summary: appended to $BENCH_RESULTS (JSON lines) when set. */
export interface Row { key: string; label: string; median: number; min?: number; rssKiB?: number }

export function record(rows: Row[]): void {
  const file = process.env.BENCH_RESULTS;
  if (!file) return;
  appendFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

export function rowOf(key: string, s: Stats): Row {
  return { key, label: s.name, median: s.median, min: s.min, rssKiB: s.rssKiB };
}
