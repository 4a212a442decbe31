// Output helpers shared by the commands: tables, JSON, sizes and ages.
// The only importer of cli-table3 and chalk (progress lives in progress.ts).
import Table from 'cli-table3';
import { Chalk } from 'chalk';

/** A borderless table in the style of ctr's tabwriter output. */
export function printTable(headers: string[], rows: (string | number)[][], out: NodeJS.WritableStream = process.stdout): void {
  const t = new Table({
    head: headers,
    chars: { top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '   ' },
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
  });
  for (const r of rows) t.push(r.map(String));
  out.write(t.toString().split('\n').map((l) => l.trimEnd()).join('\n') + '\n');
}

export function printJson(v: unknown, out: NodeJS.WritableStream = process.stdout): void {
  out.write(JSON.stringify(v, null, 2) + '\n');
}

/** How a listing command shows its rows: the table, JSON objects, or ids one per line. */
export interface ListView<T> {
  headers: string[];
  row: (r: T) => (string | number)[];
  /** What -q prints for a row. */
  id: (r: T) => string | number;
  /** The JSON of a row (default: the row itself). */
  json?: (r: T) => unknown;
}

export function printList<T>(format: 'table' | 'json' | 'quiet', rows: T[], view: ListView<T>, out: NodeJS.WritableStream = process.stdout): void {
  if (format === 'quiet') out.write(rows.map((r) => `${view.id(r)}\n`).join(''));
  else if (format === 'json') printJson(view.json ? rows.map(view.json) : rows, out);
  else printTable(view.headers, rows.map(view.row), out);
}

export function formatSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

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

export function formatAge(date: Date | string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - new Date(date).getTime()) / 1000));
  const ago = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'} ago`;
  if (s < 60) return ago(s, 'second');
  if (s < 3600) return ago(Math.round(s / 60), 'minute');
  if (s < 86400) return ago(Math.round(s / 3600), 'hour');
  return ago(Math.round(s / 86400), 'day');
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
