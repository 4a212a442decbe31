// Go durations (events --interval) and go-units sizes (update --memory):
// table tests, and hostile input that must be refused, never rounded.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseDuration, parseIntFlag, parseMemoryFlag, parseSize } from '../../../src/oci/units.js';
import { isKind } from '../../../src/errors.js';

test('durations as Go parses them, in milliseconds', () => {
  const table: [string, number][] = [
    ['5s', 5000], ['500ms', 500], ['200ms', 200], ['1m30s', 90_000], ['1.5h', 5_400_000], ['0', 0],
    ['1us', 0.001], ['1µs', 0.001], ['1000000ns', 1], ['.5s', 500], ['1.s', 1000], ['+2s', 2000], ['-1s', -1000], ['2h45m', 9_900_000],
  ];
  for (const [text, ms] of table) assert.is(parseDuration(text, 'interval'), ms, text);
});

test('durations Go refuses are refused, naming the flag', () => {
  for (const bad of ['', '5', '1.5', 's', '.s', '1x', '1 s', '1s ', ' 1s', '1S', '1d', '-', '+', 'ms', '5s5', '1e3s', 'NaNs', 'Infinitys', '9'.repeat(70) + 's', '999999999h']) {
    try {
      parseDuration(bad, 'interval');
      assert.unreachable(`accepted ${JSON.stringify(bad)}`);
    } catch (e) {
      assert.ok(isKind(e, 'InvalidArgument'), bad);
      assert.match((e as Error).message, /--interval/);
    }
  }
});

test('sizes as go-units RAMInBytes reads them (binary multiples)', () => {
  const table: [string, number][] = [
    ['0', 0], ['100', 100], ['512m', 512 * 1024 ** 2], ['512M', 512 * 1024 ** 2], ['1g', 1024 ** 3], ['1GB', 1024 ** 3], ['1GiB', 1024 ** 3],
    ['64k', 65536], ['64KiB', 65536], ['64kb', 65536], ['1.5g', 1.5 * 1024 ** 3], ['10 m', 10 * 1024 ** 2], ['1t', 1024 ** 4], ['7p', 7 * 1024 ** 5], ['2b', 2],
  ];
  for (const [text, n] of table) assert.is(parseSize(text, 'memory'), n, text);
  assert.is(parseMemoryFlag('-1', 'memory'), -1);
});

test('sizes: malformed, negative, fractional bytes past range and huge ones are refused', () => {
  for (const bad of ['', '-5', '-1m', 'm', '1x', '1mm', '1..5m', '1.5.2m', ' 1m', '1m ', '1  m', '0x10', '1e9', 'Infinity', 'NaN', '8p', '99999999999999999999', '1'.repeat(70)]) {
    try {
      parseSize(bad, 'memory');
      assert.unreachable(`accepted ${JSON.stringify(bad)}`);
    } catch (e) {
      assert.ok(isKind(e, 'InvalidArgument'), bad);
      assert.match((e as Error).message, /--memory/);
    }
  }
});

test('integer flags: exact, in range, decimal only', () => {
  assert.is(parseIntFlag('100', 'pids-limit', -1), 100);
  assert.is(parseIntFlag('-1', 'pids-limit', -1), -1);
  for (const bad of ['', '1.5', '0x10', '1e3', '-2', ' 1', '1 ', '9007199254740993', '123456789012345678901']) {
    assert.throws(() => parseIntFlag(bad, 'pids-limit', -1), (e: Error) => /--pids-limit/.test(e.message), bad);
  }
});

test.run();
