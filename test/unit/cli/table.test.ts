// table.ts draws the listings' tables without cli-table3 (the quick commands
// must not load it): the same bytes as cli-table3 with render's borderless
// style, which it replaced; and cli-table3 itself for cells that are not plain ASCII.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRequire } from 'node:module';
import { printTable } from '../../../src/cli/table.js';

const Table = createRequire(import.meta.url)('cli-table3') as new (o: object) => { push: (r: string[]) => void; toString: () => string };

/** What render.ts printed before table.ts: cli-table3, borderless, three spaces between columns. */
function withCliTable3(headers: string[], rows: (string | number)[][]): string {
  const t = new Table({
    head: headers,
    chars: { top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '   ' },
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
  });
  for (const r of rows) t.push(r.map(String));
  return t.toString().split('\n').map((l) => l.trimEnd()).join('\n') + '\n';
}

function ours(headers: string[], rows: (string | number)[][]): string {
  let s = '';
  printTable(headers, rows, { write: (x: string) => { s += x; } });
  return s;
}

const CASES: [string[], (string | number)[][]][] = [
  [['REF', 'TYPE', 'DIGEST'], []],
  [['A', 'B'], [['x', 'y']]],
  [['TASK', 'PID', 'STATUS', 'ADDRESS'], [['fastcli-t1', 1234, 'running (pid 1234, detached)', '-'], ['b', 5, 'stopped', '10.0.0.2,10.0.0.3']]],
  [['A', 'B', 'C'], [['', '', ''], ['', 'x', '']]],
  [['LONG HEADER', 'B'], [['1', '2'], ['333333333333333333', '4']]],
  [['A', 'B'], [['trailing ', '  lead'], ['a  b', 'c']]],
  [['A', 'B', 'C'], [['x', 'y', ''], ['p', '', '']]],
  [['NAME'], [['docker.io/library/busybox:latest'], ['~!@#$%^&*()_+{}|:"<>?`-=[]\\;\',./']]],
  [['A', 'B'], [[0, -1], [1.5, 1e21]]],
  // Not plain ASCII: drawn by cli-table3 itself.
  [['A', 'B'], [['imágenes', 'x'], ['日本語', 'y'], ['\u001b[31mred\u001b[0m', 'z']]],
  [['A', 'B'], [['two\nlines', 'x']]],
  [['A', 'B'], [['tab\there', 'x']]],
];

test('printTable writes the bytes cli-table3 wrote', () => {
  for (const [h, rows] of CASES) assert.is(ours(h, rows), withCliTable3(h, rows), JSON.stringify([h, rows]));
});

test('rows of many widths, generated', () => {
  let seed = 7;
  const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n; };
  for (let k = 0; k < 200; k++) {
    const cols = 1 + rnd(6);
    const h = Array.from({ length: cols }, (_, i) => 'H'.repeat(rnd(8)) + i);
    const rows = Array.from({ length: rnd(5) }, () => Array.from({ length: cols }, () => ' abc-_.:/'.slice(0, rnd(10)).repeat(rnd(3))));
    assert.is(ours(h, rows), withCliTable3(h, rows), JSON.stringify([h, rows]));
  }
});

test.run();
