// bench/sourcemap.ts: the source of a generated position, from maps esbuild
// writes and from hostile ones (which give no source, never a throw).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SourceMap } from '../../../bench/sourcemap.js';

/** base64 VLQ of one signed number, to write maps by hand. */
function vlq(n: number): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  let v = n < 0 ? (-n << 1) | 1 : n << 1;
  let out = '';
  do {
    let d = v & 31;
    v >>>= 5;
    if (v) d |= 32;
    out += chars[d];
  } while (v);
  return out;
}
const seg = (...n: number[]) => n.map(vlq).join('');

test('a position maps to the source of the last segment at or before it', () => {
  // line 0: col 0 → a.js, col 10 → b.js, col 500 → a.js; line 1 empty; line 2: col 3 → b.js
  const mappings = [seg(0, 0, 0, 0), seg(10, 1, 0, 0), seg(490, -1, 0, 0)].join(',') + ';;' + seg(3, 1, 0, 0);
  const m = SourceMap.parse(JSON.stringify({ version: 3, sources: ['a.js', 'b.js'], mappings }))!;
  assert.ok(m);
  assert.is(m.sourceAt(0, 0), 'a.js');
  assert.is(m.sourceAt(0, 9), 'a.js');
  assert.is(m.sourceAt(0, 10), 'b.js');
  assert.is(m.sourceAt(0, 499), 'b.js');
  assert.is(m.sourceAt(0, 100000), 'a.js');
  assert.is(m.sourceAt(1, 5), undefined, 'a line without segments');
  assert.is(m.sourceAt(2, 2), undefined, 'before the first segment');
  assert.is(m.sourceAt(2, 3), 'b.js');
  assert.is(m.sourceAt(99, 0), undefined, 'past the last line');
});

test('large columns (one long minified line) decode', () => {
  const m = SourceMap.parse(JSON.stringify({ version: 3, sources: ['x.js', 'y.js'], mappings: [seg(0, 0, 0, 0), seg(1_000_000, 1, 5, 7)].join(',') }))!;
  assert.is(m.sourceAt(0, 999_999), 'x.js');
  assert.is(m.sourceAt(0, 1_000_000), 'y.js');
});

test('hostile maps: wrong version, bad fields, bad VLQ, indices out of range', () => {
  assert.is(SourceMap.parse(JSON.stringify({ version: 2, sources: [], mappings: '' })), undefined);
  assert.is(SourceMap.parse(JSON.stringify({ version: 3, sources: 'a.js', mappings: '' })), undefined);
  assert.is(SourceMap.parse(JSON.stringify({ version: 3, sources: [], mappings: 5 })), undefined);
  assert.throws(() => SourceMap.parse('{not json'));
  const bad = [
    '!!!!', // not base64
    'g', // a continuation digit with nothing after it
    'ggggggggggggggA', // more continuation digits than a 32-bit number holds
    seg(0, 5, 0, 0), // source index past the end
    seg(0, -3, 0, 0), // negative source index
    seg(-4, 0, 0, 0), // negative column
    ';;;;,,,;', // empty segments
  ];
  for (const mappings of bad) {
    const m = SourceMap.parse(JSON.stringify({ version: 3, sources: ['a.js'], mappings }));
    assert.ok(m, mappings);
    for (let line = 0; line < 5; line++) assert.is(m!.sourceAt(line, 0), undefined, `${mappings} line ${line}`);
  }
  assert.is(SourceMap.read('/nonexistent/x.map'), undefined);
});

test.run();
