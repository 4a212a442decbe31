// --format json / -q on every listing command, and metric units: the
// pure pieces in-process, then each listing command through the CLI on an
// empty throw-away root (no root needed: nothing is mounted or run).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { checkListFormat, listFormatOf } from '../../../src/cli/flags.js';
import { formatDuration, formatMetric, printList } from '../../../src/cli/render.js';
import { BIN } from '../../helpers/tsctr.js';

function capture(): { out: Writable; text: () => string } {
  let s = '';
  return { out: new Writable({ write(c, _e, cb) { s += c; cb(); } }), text: () => s };
}

test('listFormatOf: -q wins, --json is --format json, default table', () => {
  assert.is(listFormatOf({ json: false, quiet: false }), 'table');
  assert.is(listFormatOf({ json: true, quiet: false }), 'json');
  assert.is(listFormatOf({ format: 'json', json: false, quiet: false }), 'json');
  assert.is(listFormatOf({ format: 'table', json: false, quiet: false }), 'table');
  assert.is(listFormatOf({ format: 'json', json: true, quiet: true }), 'quiet');
  assert.is(listFormatOf({ format: ['table', 'json'] as unknown as string, json: false, quiet: false }), 'json', 'the last --format wins');
});

test('checkListFormat: bad values (malicious input) are one line naming the allowed values', () => {
  assert.is(checkListFormat(undefined), undefined);
  assert.is(checkListFormat('json'), undefined);
  assert.is(checkListFormat('table'), undefined);
  for (const bad of ['yaml', 'JSON', '', ' json', 'json\n', '{{.ID}}', 'table,json', '\u001b[31mred', 'x'.repeat(10_000)]) {
    const m = checkListFormat(bad);
    assert.ok(m, JSON.stringify(bad.slice(0, 20)));
    assert.not.match(m!, /\n/, 'one line: control characters are quoted');
    assert.ok(m!.endsWith('allowed: table, json'), m);
  }
  assert.ok(checkListFormat(42));
  assert.ok(checkListFormat(['json', 'yaml']), 'the last of a repeated --format counts');
});

test('printList: table, json (with a custom shape), ids one per line', () => {
  const rows = [{ id: 'a', n: 1 }, { id: 'b', n: 22 }];
  const view = { headers: ['ID', 'N'], row: (r: { id: string; n: number }) => [r.id, r.n], id: (r: { id: string }) => r.id };
  const t = capture();
  printList('table', rows, view, t.out);
  assert.is(t.text(), 'ID   N\na    1\nb    22\n');
  const q = capture();
  printList('quiet', rows, view, q.out);
  assert.is(q.text(), 'a\nb\n');
  const j = capture();
  printList('json', rows, { ...view, json: (r) => ({ name: r.id }) }, j.out);
  assert.equal(JSON.parse(j.text()), [{ name: 'a' }, { name: 'b' }]);
  const e = capture();
  printList('quiet', [], view, e.out);
  assert.is(e.text(), '');
});

test('formatMetric: counts stay counts; bytes, ns and percent get units', () => {
  assert.is(formatMetric(0, 'count'), '0');
  assert.is(formatMetric(12345, 'count'), '12345');
  assert.is(formatMetric(0, 'bytes'), '0 B');
  assert.is(formatMetric(48 * 1024 * 1024, 'bytes'), '48.0 MiB');
  assert.is(formatMetric(9223372036854771712, 'bytes'), 'unlimited');
  assert.is(formatMetric(undefined, 'count'), '-');
  assert.is(formatMetric(12.345, 'percent'), '12.35%');
  assert.is(formatMetric(1_500_000_000, 'ns'), '1.5 s');
  assert.is(formatDuration(999), '999 ns');
  assert.is(formatDuration(12_500), '12.5 µs');
  assert.is(formatDuration(3_000_000), '3 ms');
});

const LISTINGS: string[][] = [
  ['images', 'ls'], ['images', 'check'], ['content', 'ls'], ['content', 'active'], ['namespaces', 'ls'],
  ['snapshots', 'ls'], ['snapshots', 'usage'], ['containers', 'ls'], ['tasks', 'ls'], ['network', 'ls'],
];

test('every listing command takes --format json, --json, -q, and refuses an unknown --format in one line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsctr-images-list-'));
  try {
    const run = (args: string[]) => {
      const r = spawnSync(process.execPath, [BIN, '--root', join(dir, 'root'), '--state', join(dir, 'state'), ...args], { encoding: 'utf8', timeout: 30_000 });
      return { code: r.status, out: r.stdout, err: r.stderr };
    };
    for (const cmd of LISTINGS) {
      const what = cmd.join(' ');
      const j = run([...cmd, '--format', 'json']);
      assert.is(j.code, 0, `${what} --format json: ${j.err}`);
      assert.ok(Array.isArray(JSON.parse(j.out)), `${what} --format json prints an array`);
      const alias = run([...cmd, '--json']);
      assert.is(alias.out, j.out, `${what} --json is --format json`);
      const q = run([...cmd, '-q']);
      assert.is(q.code, 0, `${what} -q: ${q.err}`);
      assert.not.match(q.out, /[A-Z]{3,}/, `${what} -q prints no header`);
      const bad = run([...cmd, '--format', 'yaml']);
      assert.is(bad.code, 2, what);
      assert.is(bad.out, '');
      assert.is(bad.err, 'tsctr: --format "yaml": unknown output format; allowed: table, json\n', what);
    }
    // namespaces ls lists "default" once something exists; -q prints just the name.
    run(['namespaces', 'create', 'images-list']);
    assert.ok(run(['namespaces', 'ls', '-q']).out.split('\n').includes('images-list'));
    assert.ok((JSON.parse(run(['namespaces', 'ls', '--format', 'json']).out) as { name: string }[]).some((n) => n.name === 'images-list'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
