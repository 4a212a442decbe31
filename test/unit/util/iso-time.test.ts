// src/util/iso-time.ts: the same string as Date.prototype.toISOString for
// every valid time value, the same RangeError for the rest.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isoString } from '../../../src/util/iso-time.js';

test('now, and edges of the four-digit years and of the time value range', () => {
  const now = Date.now();
  assert.is(isoString(now), new Date(now).toISOString());
  assert.match(isoString(), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  const edges = [0, -1, 1, 8.64e15, -8.64e15, Date.UTC(9999, 11, 31, 23, 59, 59, 999), Date.UTC(10000, 0, 1), Date.UTC(0, 0, 1) - 1, Date.UTC(-1, 0, 1), Date.UTC(2024, 1, 29), 951782400000, 1.5, -1.5, 1e12 + 0.999];
  for (const ms of edges) assert.is(isoString(ms), new Date(ms).toISOString(), String(ms));
});

test('random time values across the whole range equal toISOString', () => {
  for (let i = 0; i < 2000; i++) {
    const ms = Math.round((Math.random() * 2 - 1) * 8.64e15);
    assert.is(isoString(ms), new Date(ms).toISOString(), String(ms));
  }
});

test('hostile values: NaN, infinities, beyond the range throw RangeError as toISOString does', () => {
  for (const ms of [NaN, Infinity, -Infinity, 8.64e15 + 1, -8.64e15 - 1]) {
    assert.throws(() => new Date(ms).toISOString(), (e: unknown) => e instanceof RangeError);
    assert.throws(() => isoString(ms), (e: unknown) => e instanceof RangeError, String(ms));
  }
});

test.run();
