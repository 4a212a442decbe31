// Hostile input for the events reader, the follower and the --filter and
// --since parsers: anyone who can write under --root can write the journal.
// Bad lines are skipped with one warning; bad flags are one-line errors.
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InvalidArgumentError } from '../../../../src/errors.js';
import { matchFilters, parseFilter } from '../../../../src/container/events/filter.js';
import { followJournal } from '../../../../src/container/events/follow.js';
import { eventsDir, journalPath, previousPath } from '../../../../src/container/events/journal.js';
import { LineSplitter, MAX_READ_LINE, parseEventLine } from '../../../../src/container/events/reader.js';
import { formatGoTime, parseDuration, parseRfc3339, parseSince } from '../../../../src/container/events/time.js';
import { formatEventText } from '../../../../src/container/events/format.js';
import type { Envelope } from '../../../../src/container/events/topics.js';

const good = (over: Record<string, unknown> = {}) => JSON.stringify({ timestamp: '2026-11-29T23:00:00.123456789Z', namespace: 'default', topic: '/tasks/exit', event: { container_id: 'c1' }, ...over });

test('parseEventLine refuses every malformed shape with a reason', () => {
  const bad: [string, string][] = [
    ['', 'not JSON'], ['{', 'not JSON'], ['null', 'not a JSON object'], ['[]', 'not a JSON object'], ['42', 'not a JSON object'], ['"x"', 'not a JSON object'],
    [JSON.stringify({ namespace: 'default', topic: '/a', event: {} }), 'no timestamp'],
    [good({ timestamp: 17 }), 'no timestamp'],
    [good({ timestamp: '2026-13-01T00:00:00Z' }), 'RFC 3339'],
    [good({ timestamp: '2026-02-30T00:00:00Z' }), 'RFC 3339'],
    [good({ timestamp: '2026-02-01T00:00:00' }), 'RFC 3339'],
    [good({ timestamp: '2026-02-01T00:00:00.1234567890Z' }), 'RFC 3339'],
    [good({ timestamp: '9'.repeat(100) }), 'RFC 3339'],
    [good({ namespace: 'Default' }), 'invalid namespace'],
    [good({ namespace: '../../etc' }), 'invalid namespace'],
    [good({ namespace: 'a\u001b[31m' }), 'invalid namespace'],
    [good({ namespace: 'a'.repeat(200) }), 'invalid namespace'],
    [good({ namespace: ['default'] }), 'invalid namespace'],
    [good({ topic: 'tasks/exit' }), 'invalid topic'],
    [good({ topic: '/Tasks/exit' }), 'invalid topic'],
    [good({ topic: '/tasks/../x' }), 'invalid topic'],
    [good({ topic: '/tasks/exit\u0000' }), 'invalid topic'],
    [good({ topic: '/tasks/exit\n/x' }), 'invalid topic'],
    [good({ topic: '/' + 'a/'.repeat(20) + 'b' }), 'invalid topic'],
    [good({ event: 'x' }), 'event is not an object'],
    [good({ event: [1] }), 'event is not an object'],
    [good({ event: null }), 'event is not an object'],
    ['{"a":' + '['.repeat(MAX_READ_LINE) + ']'.repeat(MAX_READ_LINE) + '}', 'too long'],
  ];
  for (const [line, why] of bad) {
    const p = parseEventLine(line);
    assert.is(p.ok, false, line.slice(0, 80));
    if (!p.ok) assert.ok(p.reason.includes(why), `${line.slice(0, 60)}: ${p.reason}`);
  }
});

test('a payload with __proto__ pollutes nothing, and printing escapes control characters', () => {
  const p = parseEventLine('{"timestamp":"2026-11-29T23:00:00Z","namespace":"default","topic":"/tasks/exit","event":{"__proto__":{"polluted":1},"x":"\\u001b[2J\\r"}}');
  assert.ok(p.ok);
  assert.is(({} as Record<string, unknown>).polluted, undefined);
  if (p.ok) assert.not.match(formatEventText(p.event), /[\x00-\x1f]/);
});

test('LineSplitter: halves of a line wait for the rest; endless lines are dropped with bounded memory', () => {
  const out: (string | undefined)[] = [];
  const s = new LineSplitter((l) => out.push(l), 100);
  s.push(Buffer.from('{"a":'));
  assert.equal(out, []);
  s.push(Buffer.from('1}\nnext'));
  assert.equal(out, ['{"a":1}']);
  for (let i = 0; i < 1000; i++) { s.push(Buffer.alloc(64, 0x41)); assert.ok(s.pending() <= 100); }
  s.push(Buffer.from('tail\nok\n'));
  assert.equal(out, ['{"a":1}', undefined, 'ok']);
  // A line exactly at the cap still passes; one byte more does not.
  const t: (string | undefined)[] = [];
  const s2 = new LineSplitter((l) => t.push(l), 10);
  s2.push(Buffer.from('0123456789\n01234567890\n'));
  assert.equal(t, ['0123456789', undefined]);
});

test('the follower skips garbage with one warning and keeps the good events, across generations', async () => {
  const root = mkdtempSync('/tmp/tsctr-unit-journal-bad-');
  try {
    mkdirSync(eventsDir(root), { recursive: true });
    writeFileSync(previousPath(root), good({ event: { container_id: 'old' } }) + '\n' + '\u0000\u0001\u00ff binary\n');
    writeFileSync(journalPath(root), [
      '', 'not json', good({ namespace: 'EVIL' }), good({ event: { container_id: 'a' } }),
      'x'.repeat(200 * 1024), good({ event: { container_id: 'b' } }), '{"timestamp":',
    ].join('\n') + '\n');
    appendFileSync(journalPath(root), good({ event: { container_id: 'c' } }) + '\n' + '{"half": ');
    const seen: Envelope[] = [];
    const warnings: string[] = [];
    const r = await followJournal({ root, sinceNs: 0n, noFollow: true, onEvent: (e) => seen.push(e), warn: (w) => warnings.push(w) });
    assert.equal(seen.map((e) => e.event.container_id), ['old', 'a', 'b', 'c']);
    assert.is(warnings.length, 1);
    assert.match(warnings[0]!, /skipping a malformed line in .*journal/);
    // The unfinished last line of the live journal may be a write in progress: not counted.
    assert.is(r.malformed, 6);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

const bads: [string, RegExp][] = [
  ['', /empty filter/], ['topic', /expected FIELD==VALUE/], ['topic=/tasks/exit', /expected/], ['==x', /expected/],
  ['topic==', /missing value/], ['topic==/a,', /trailing comma/], [',topic==/a', /expected/], ['topic==/a,,namespace==b', /expected/],
  ['foo==1', /unknown field "foo"/], ['event.__proto__==x', /expected|unknown field/], ['event.==x', /unknown field/], ['Topic==x', /expected/],
  ['topic=="/a', /unterminated/], ['topic=="/a"x', /unexpected text/], ['topic=="a\\nb"', /unknown escape/], ['topic==a"b', /must be quoted/],
  ['topic~=(', /invalid regular expression/], ['topic~=' + 'a'.repeat(300), /regular expression longer/],
  ['topic==' + 'a'.repeat(2000), /longer than 1024/], ['topic==a\u0000', /control characters/], ['topic==a\nnamespace==b', /control characters/],
];

test('parseFilter refuses malformed filters with one line naming the problem', () => {
  for (const [f, re] of bads) {
    try {
      parseFilter(f);
      assert.unreachable(`accepted ${JSON.stringify(f)}`);
    } catch (e) {
      assert.instance(e, InvalidArgumentError, f);
      assert.match((e as Error).message, re, f);
      assert.not.match((e as Error).message, /\n/);
    }
  }
});

test('filters: globs, !=, regex, quoted values, and/or', () => {
  const ev = (topic: string, namespace = 'default', event: Record<string, unknown> = {}): Envelope => ({ timestamp: '2026-11-29T23:00:00Z', namespace, topic, event });
  const m = (fs: string[], e: Envelope) => matchFilters(fs.map(parseFilter), e);
  assert.ok(m(['topic==/tasks/*'], ev('/tasks/exit')));
  assert.not.ok(m(['topic==/tasks/*'], ev('/images/create')));
  assert.not.ok(m(['topic==/tasks'], ev('/tasks/exit')), '== is whole-string');
  assert.ok(m(['topic==/tasks/*,namespace==x'], ev('/tasks/oom', 'x')));
  assert.not.ok(m(['topic==/tasks/*,namespace==x'], ev('/tasks/oom', 'y')));
  assert.ok(m(['namespace==x', 'namespace==y'], ev('/a', 'y')), 'repeated flags: or');
  assert.ok(m(['topic!=/tasks/*'], ev('/images/delete')));
  assert.ok(m(['topic~=^/tasks/(exit|oom)$'], ev('/tasks/oom')));
  assert.ok(m(['event.container_id=="c,1"'], ev('/tasks/oom', 'default', { container_id: 'c,1' })));
  assert.ok(m(['event.pid==12'], ev('/tasks/start', 'default', { pid: 12 })));
  assert.not.ok(m(['event.constructor==*'], ev('/tasks/start')), 'only own payload keys');
  assert.not.ok(m(['topic==/a.b'], ev('/aXb')), 'dots are literal in ==');
});

test('--since: RFC 3339 times and Go durations; anything else is refused', () => {
  assert.is(parseRfc3339('1970-01-01T00:00:01Z'), 1_000_000_000n);
  assert.is(parseRfc3339('1970-01-01T01:00:00+01:00'), 0n);
  assert.is(parseRfc3339('1970-01-01T00:00:00.5Z'), 500_000_000n);
  assert.is(parseDuration('1h30m'), 5_400_000_000_000n);
  assert.is(parseDuration('1.5s'), 1_500_000_000n);
  assert.is(parseDuration('250ms'), 250_000_000n);
  assert.is(parseSince('10s', 100_000_000_000n), 90_000_000_000n);
  for (const s of ['', 'yesterday', '10', '-5m', '1h 30m', '5d', 'm', '1.s', '9'.repeat(80) + 's', '2026-11-29', '2026-11-29T25:00:00Z', '2026-11-29T23:00:00+24:00']) {
    assert.throws(() => parseSince(s), (e: Error) => e instanceof InvalidArgumentError && !e.message.includes('\n'), JSON.stringify(s));
  }
});

test('text output is ctr\'s: Go time, namespace, topic, payload JSON', () => {
  assert.is(formatGoTime('2026-11-29T23:10:00.123400000Z'), '2026-11-29 23:10:00.1234 +0000 UTC');
  assert.is(formatGoTime('2026-11-29T23:10:00Z'), '2026-11-29 23:10:00 +0000 UTC');
  assert.is(formatEventText({ timestamp: '2026-11-29T23:10:00Z', namespace: 'default', topic: '/tasks/oom', event: { container_id: 'c1' } }), '2026-11-29 23:10:00 +0000 UTC default /tasks/oom {"container_id":"c1"}');
});

test.run();
