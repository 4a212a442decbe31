// Listings without cli-table3 or chalk: what the quick commands (the fast path
// of bin/launch.cjs, src/cli/fast-argv.ts) and every other listing print.
// printTable writes what cli-table3 wrote with render.ts's borderless style
// (test/unit/cli/table.test.ts holds the two to the same bytes): columns as
// wide as their widest cell, three spaces between, trailing blanks trimmed.
// A cell that is not printable ASCII (wide or combining characters, escapes,
// line breaks) is measured differently by cli-table3 (string-width), so such a
// table is still drawn by cli-table3, loaded only then.
import { writeSync } from 'node:fs';
import { createRequire } from 'node:module';

/** Where a listing goes: process.stdout, or stdoutSync. */
export interface Out { write(text: string): unknown }

/**
 * fd 1 written directly: creating process.stdout loads Node's stream (and for
 * a pipe, net) modules, ~10-20 ms of a quick command. Retries EAGAIN (a pipe
 * another process set non-blocking); a reader that went away (EPIPE) ends the
 * output quietly, as `tsctr images ls | head -1` should.
 */
export const stdoutSync: Out = {
  write(text: string) {
    const b = Buffer.from(text);
    for (let off = 0; off < b.length;) {
      try {
        off += writeSync(1, b, off);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EPIPE') return;
        if (code !== 'EAGAIN') throw e;
      }
    }
  },
};

const PLAIN = /^[\x20-\x7e]*$/;

/** A borderless table in the style of ctr's tabwriter output. */
export function printTable(headers: string[], rows: (string | number)[][], out: Out = process.stdout): void {
  const cells = rows.map((r) => r.map(String));
  out.write(cells.every((r) => r.every((c) => PLAIN.test(c))) && headers.every((h) => PLAIN.test(h)) ? plainTable(headers, cells) : cliTable3(headers, cells));
}

function plainTable(headers: string[], rows: string[][]): string {
  // cli-table3 takes its column count from the head and the widest row; missing cells are empty.
  const n = Math.max(headers.length, ...rows.map((r) => r.length));
  const width = Array.from({ length: n }, (_, i) => Math.max((headers[i] ?? '').length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => width.map((w, i) => (r[i] ?? '').padEnd(w)).join('   ').trimEnd();
  return [headers, ...rows].map(line).join('\n') + '\n';
}

function cliTable3(headers: string[], rows: string[][]): string {
  // Through createRequire: the quick commands' bundles leave cli-table3 out (tools/build-bundle.mjs).
  const Table = createRequire(import.meta.url)('cli-table3') as new (o: object) => { push: (r: string[]) => void; toString: () => string };
  const t = new Table({
    head: headers,
    chars: { top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '   ' },
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
  });
  for (const r of rows) t.push(r);
  return t.toString().split('\n').map((l) => l.trimEnd()).join('\n') + '\n';
}

export function printJson(v: unknown, out: Out = process.stdout): void {
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

export function printList<T>(format: 'table' | 'json' | 'quiet', rows: T[], view: ListView<T>, out: Out = process.stdout): void {
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

export function formatAge(date: Date | string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - new Date(date).getTime()) / 1000));
  const ago = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'} ago`;
  if (s < 60) return ago(s, 'second');
  if (s < 3600) return ago(Math.round(s / 60), 'minute');
  if (s < 86400) return ago(Math.round(s / 3600), 'hour');
  return ago(Math.round(s / 86400), 'day');
}
