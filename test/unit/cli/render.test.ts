import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatAge, formatSize } from '../../../src/cli/render.js';
import { parseSize } from '../../../src/cli/flags-size.js';

test('formatSize uses binary units', () => {
  assert.is(formatSize(0), '0 B');
  assert.is(formatSize(1023), '1023 B');
  assert.is(formatSize(1024), '1.0 KiB');
  assert.is(formatSize(1.5 * 1024 * 1024), '1.5 MiB');
});

test('formatAge says 1 hour, 2 hours', () => {
  const now = Date.parse('2026-01-01T12:00:00Z');
  assert.is(formatAge(new Date(now - 1000), now), '1 second ago');
  assert.is(formatAge(new Date(now - 5 * 60_000), now), '5 minutes ago');
  assert.is(formatAge(new Date(now - 3600_000), now), '1 hour ago');
  assert.is(formatAge(new Date(now - 2 * 86400_000), now), '2 days ago');
});

test('parseSize reads bytes and k/m/g suffixes, and names the flag when it cannot', () => {
  assert.is(parseSize('268435456', '--memory-limit'), 268435456);
  assert.is(parseSize('64m', '--memory-limit'), 64 * 1024 * 1024);
  assert.is(parseSize('1G', '--memory-limit'), 1024 ** 3);
  assert.is(parseSize('1.5k', '--memory-limit'), 1536);
  assert.throws(() => parseSize('lots', '--memory-limit'), /--memory-limit "lots": expected a size like/);
  assert.throws(() => parseSize('5x', '--memory-limit'), /--memory-limit "5x"/);
});

test.run();
