// The phase lines of --trace / TSCTR_TRACE=1: format, parse back, record,
// replay when the sink is set late; and the parser against hostile lines.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { endPhase, formatPhase, parsePhaseLine, phase, recordedPhases, setPhaseSink } from '../../../src/util/phases.js';

test('a phase line parses back to its parts', () => {
  const line = formatPhase({ name: 'image lookup', start: 10.04, ms: 2.345, detail: 'docker.io/library/busybox:latest' });
  assert.is(line, '[     12.4 ms] phase image lookup: 2.35 ms (docker.io/library/busybox:latest)');
  assert.equal(parsePhaseLine(line), { at: 12.4, name: 'image lookup', ms: 2.35, detail: 'docker.io/library/busybox:latest' });
  assert.equal(parsePhaseLine(formatPhase({ name: 'state write', start: 0, ms: 0.1 })), { at: 0.1, name: 'state write', ms: 0.1 });
  // A detail may itself hold parentheses.
  assert.is(parsePhaseLine(formatPhase({ name: 'container remove', start: 1, ms: 1, detail: 'snapshot, records (--rm)' }))?.detail, 'snapshot, records (--rm)');
});

test('phase() times sync and async work, failed or not, and replays to a late sink', async () => {
  const before = recordedPhases().length;
  assert.is(phase('sync one', () => 41 + 1), 42);
  assert.is(await phase('async one', async () => 'x', 'detail'), 'x');
  assert.throws(() => phase('throws', () => { throw new Error('boom'); }), /boom/);
  await phase('rejects', async () => { throw new Error('no'); }).then(() => assert.unreachable(), (e: Error) => assert.is(e.message, 'no'));
  const got = recordedPhases().slice(before);
  assert.equal(got.map((p) => p.name), ['sync one', 'async one', 'throws', 'rejects']);
  assert.is(got[2]!.detail, 'failed');
  for (const p of got) assert.ok(p.ms >= 0 && p.start > 0);
  const lines: string[] = [];
  setPhaseSink((l) => lines.push(l));
  try {
    // What was recorded before the sink comes first, then each phase as it ends.
    assert.ok(lines.length >= 4);
    endPhase('later', performance.now());
    assert.is(parsePhaseLine(lines.at(-1)!)?.name, 'later');
    for (const l of lines) assert.ok(parsePhaseLine(l), l);
  } finally {
    setPhaseSink(undefined);
  }
});

test('malicious input: lines that are not phase lines are not taken for one', () => {
  const bad = [
    '', 'phase x: 1.00 ms', '[ 1.0 ms] phase : 1.00 ms', '[ 1.0 ms] phase a: ms', '[ 1.0 ms] phase a: -1.00 ms',
    '[ 1.0 ms] phase a: 1.00 ms trailing', '[ 1.0 ms] phase a(b): 1.00 ms', '[ NaN ms] phase a: 1.00 ms',
    '[   0.411 ms]   0  ioctl(SIOCSIFFLAGS, "lo", IFF_UP) = 0', '[    61.3 ms] pid 11892 running (create + start took 53.4 ms)',
    '[ 1.0 ms] phase a: 1.00 ms (unclosed', '[ 1.0 ms] phase a: 1e3 ms', '\u0000[ 1.0 ms] phase a: 1.00 ms',
    `[ 1.0 ms] phase ${'a'.repeat(100000)}: 1.00 ms (`,
  ];
  for (const l of bad) assert.is(parsePhaseLine(l), undefined, JSON.stringify(l.slice(0, 60)));
});

test.run();
