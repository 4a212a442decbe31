// The journal under concurrent writers and rotation: every line parses, no
// event is lost or duplicated, and a follower keeps its place across rotations.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendToJournal, encodeEvent, journalPath, MAX_LINE_BYTES, previousPath } from '../../../../src/container/events/journal.js';
import { followJournal } from '../../../../src/container/events/follow.js';
import { parseEventLine } from '../../../../src/container/events/reader.js';
import type { Envelope } from '../../../../src/container/events/topics.js';
import { loadSys, type Sys } from '../../../../src/sys/index.js';

const JOURNAL_JS = join(dirname(fileURLToPath(import.meta.url)), '../../../../src/container/events/journal.js');
const SYS_JS = join(dirname(fileURLToPath(import.meta.url)), '../../../../src/sys/index.js');

let root = '';
let sys: Sys;
test.before(async () => { sys = await loadSys(); });
test.before.each(() => { root = mkdtempSync('/tmp/tsctr-unit-journal-'); });
test.after.each(() => rmSync(root, { recursive: true, force: true }));

function lines(path: string): string[] {
  let t = '';
  try { t = readFileSync(path, 'utf8'); } catch { return []; }
  assert.ok(t === '' || t.endsWith('\n'), `${path} ends with a whole line`);
  return t.split('\n').slice(0, -1);
}

/** N processes, each appending `count` events /tasks/start {container_id: w<i>, pid: seq}. */
function writers(n: number, count: number, limit: number): Promise<void> {
  const script = `
    const { appendToJournal } = await import(${JSON.stringify(JOURNAL_JS)});
    const sys = await (await import(${JSON.stringify(SYS_JS)})).loadSys();
    const [root, id, count, limit] = process.argv.slice(1);
    for (let i = 0; i < Number(count); i++) appendToJournal(root, 'journal-unit', '/tasks/start', { container_id: id, pid: i }, { sys, limit: Number(limit) });
  `;
  return Promise.all(Array.from({ length: n }, (_, i) => new Promise<void>((resolve, reject) => {
    const p = spawn(process.execPath, ['--input-type=module', '-e', script, root, `w${i}`, String(count), String(limit)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr!.on('data', (d) => { err += d; });
    p.on('exit', (c) => (c === 0 ? resolve() : reject(new Error(`writer ${i} exited ${c}: ${err}`))));
  }))).then(() => undefined);
}

function checkSequences(events: Envelope[], n: number, count: number): void {
  const next = new Map<string, number>();
  for (const e of events) {
    const id = String(e.event.container_id);
    const want = next.get(id) ?? 0;
    assert.is(e.event.pid, want, `events of ${id} in order, none lost or repeated`);
    next.set(id, want + 1);
  }
  for (let i = 0; i < n; i++) assert.is(next.get(`w${i}`), count, `all events of w${i}`);
}

test('one append is one parseable line with an RFC 3339 nano time', () => {
  appendToJournal(root, 'default', '/tasks/exit', { container_id: 'c1', id: 'c1', pid: 7, exit_status: 3, exited_at: '2026-01-01T00:00:00Z' }, { sys });
  const [l] = lines(journalPath(root));
  const p = parseEventLine(l!);
  assert.ok(p.ok);
  if (!p.ok) return;
  assert.match(p.event.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
  assert.equal(p.event.event, { container_id: 'c1', id: 'c1', pid: 7, exit_status: 3, exited_at: '2026-01-01T00:00:00Z' });
  assert.is(p.event.topic, '/tasks/exit');
});

test('an oversized payload is cut to a line under the atomic size', () => {
  const big = encodeEvent({ timestamp: '2026-01-01T00:00:00.000000000Z', namespace: 'default', topic: '/images/create', event: { name: 'x'.repeat(10000), labels: Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`k${i}`, 'v'.repeat(20)])) } });
  assert.ok(big.length <= MAX_LINE_BYTES, `${big.length} bytes`);
  const p = parseEventLine(big.toString().trimEnd());
  assert.ok(p.ok && p.event.event.truncated === true && String(p.event.event.name).length === 256);
});

test('8 concurrent writers × 250 events: every line parses, every event once, in each writer\'s order', async () => {
  await writers(8, 250, 64 << 20);
  const parsed = lines(journalPath(root)).map(parseEventLine);
  assert.is(parsed.length, 2000);
  assert.ok(parsed.every((p) => p.ok), 'no torn or interleaved line');
  checkSequences(parsed.map((p) => (p as { event: Envelope }).event), 8, 250);
});

test('rotation keeps one previous generation and never more than limit + a line in the current one', async () => {
  const limit = 8192;
  for (let i = 0; i < 400; i++) appendToJournal(root, 'journal-unit', '/tasks/start', { container_id: 'w0', pid: i }, { sys, limit });
  const cur = readFileSync(journalPath(root));
  const prev = readFileSync(previousPath(root));
  assert.ok(cur.length <= limit + MAX_LINE_BYTES && prev.length <= limit + MAX_LINE_BYTES, `${cur.length}, ${prev.length}`);
  const all = [...lines(previousPath(root)), ...lines(journalPath(root))].map(parseEventLine).map((p) => (p as { event: Envelope }).event);
  // What is kept is the newest events, contiguous up to the last one.
  const pids = all.map((e) => e.event.pid as number);
  assert.is(pids[pids.length - 1], 399);
  pids.forEach((p, i) => { if (i) assert.is(p, pids[i - 1]! + 1); });
});

test('a follower keeps its place across rotations (appends between its reads)', async () => {
  const seen: Envelope[] = [];
  const warnings: string[] = [];
  const stop = new AbortController();
  const done = followJournal({ root, onEvent: (e) => seen.push(e), warn: (w) => warnings.push(w), signal: stop.signal });
  await new Promise((r) => setTimeout(r, 50));
  const limit = 4096;
  for (let i = 0; i < 200; i++) {
    appendToJournal(root, 'journal-unit', '/tasks/start', { container_id: 'w0', pid: i }, { sys, limit });
    // Let the follower run now and then: it sees rotations happen under it, before and after reading.
    if (i % 7 === 0) await new Promise((r) => setImmediate(r));
  }
  for (let i = 0; i < 100 && seen.length < 200; i++) await new Promise((r) => setTimeout(r, 20));
  stop.abort();
  await done;
  assert.equal(warnings, []);
  checkSequences(seen, 1, 200);
});

test('a follower sees every event of 4 concurrent writers while the journal rotates under them', async () => {
  const seen: Envelope[] = [];
  const warnings: string[] = [];
  const stop = new AbortController();
  const done = followJournal({ root, onEvent: (e) => seen.push(e), warn: (w) => warnings.push(w), signal: stop.signal });
  await new Promise((r) => setTimeout(r, 50));
  // ~150 bytes an event: 1200 events are ~180 KiB, about 3 rotations at 64 KiB.
  await writers(4, 300, 64 * 1024);
  for (let i = 0; i < 200 && seen.length < 1200; i++) await new Promise((r) => setTimeout(r, 20));
  stop.abort();
  await done;
  assert.equal(warnings, []);
  assert.is(seen.length, 1200);
  checkSequences(seen, 4, 300);
});

test('--since reads journal.1 then journal; without it only what is appended from now', async () => {
  for (let i = 0; i < 60; i++) appendToJournal(root, 'journal-unit', '/tasks/start', { container_id: 'w0', pid: i }, { sys, limit: 4096 });
  const past: Envelope[] = [];
  await followJournal({ root, sinceNs: 0n, noFollow: true, onEvent: (e) => past.push(e), warn: () => {} });
  const kept = lines(previousPath(root)).length + lines(journalPath(root)).length;
  assert.is(past.length, kept);
  assert.is(past[past.length - 1]!.event.pid, 59);
  const none: Envelope[] = [];
  await followJournal({ root, noFollow: true, onEvent: (e) => none.push(e), warn: () => {} });
  assert.is(none.length, 0);
});

test.run();
