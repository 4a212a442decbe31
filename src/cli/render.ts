// Output helpers shared by the commands: tables, JSON, sizes and ages.
// The only importer of chalk (progress lives in progress.ts); tables are table.ts's.
import { Chalk } from 'chalk';
import { formatSize } from './table.js';

// The listings live in table.ts, which the quick commands load without chalk.
export { formatAge, formatSize, printJson, printList, printTable, type ListView } from './table.js';

/** A metric's value by its unit kind: sizes for bytes, plain numbers for counts. */
export function formatMetric(value: number | undefined, unit: 'bytes' | 'count' | 'ns' | 'percent'): string {
  if (value === undefined) return '-';
  switch (unit) {
    // cgroup v1 writes "no limit" as the largest page-aligned int64 (about 8 EiB).
    case 'bytes': return value >= 2 ** 62 ? 'unlimited' : formatSize(value);
    case 'count': return String(value);
    case 'percent': return `${Number(value.toFixed(2))}%`;
    case 'ns': return formatDuration(value);
  }
}

/** Nanoseconds as the largest unit that keeps the number ≥ 1: `0 ns`, `12.5 µs`, `1.25 s`. */
export function formatDuration(ns: number): string {
  const units: [string, number][] = [['s', 1e9], ['ms', 1e6], ['µs', 1e3]];
  for (const [u, f] of units) if (ns >= f) return `${Number((ns / f).toFixed(2))} ${u}`;
  return `${ns} ns`;
}

export type Status = 'ok' | 'warn' | 'fail' | 'skip';
/** Colour for a terminal, decided when called: chalk's own level is computed when it is
 * loaded, which for the startup snapshot is at build time, without a terminal. */
export function useColor(stream: { isTTY?: boolean } = process.stdout): boolean {
  const force = process.env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force !== 'false';
  return stream.isTTY === true && !('NO_COLOR' in process.env) && process.env.TERM !== 'dumb';
}

export function colorStatus(s: Status, color = useColor()): string {
  if (!color) return s;
  const c = new Chalk({ level: 1 });
  return s === 'ok' ? c.green(s) : s === 'warn' ? c.yellow(s) : s === 'fail' ? c.red(s) : c.gray(s);
}
