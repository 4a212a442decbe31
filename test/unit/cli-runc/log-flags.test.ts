// tsctr-runc reads --log/--log-format ahead of its parser, so usage errors reach the shim's log.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { logFlags } from '../../../src/cli-runc/main.js';

test('the shim\'s argv: --root R --log L --log-format json create ...', () => {
  assert.equal(logFlags(['--root', '/run/r', '--log', '/b/log.json', '--log-format', 'json', 'create', '--bundle', '/b', 'id']), { log: '/b/log.json', logFormat: 'json' });
});

test('--flag=value forms', () => {
  assert.equal(logFlags(['--log=/x=y.json', '--log-format=text', 'ps']), { log: '/x=y.json', logFormat: 'text' });
});

test('stops at the command: a --log after it belongs to the command', () => {
  assert.equal(logFlags(['--root', '/r', 'exec', '--log', '/evil']), {});
  assert.equal(logFlags(['state', '--log-format', 'json']), {});
});

test('malicious or broken input: no value, a bad format, empty argv', () => {
  assert.equal(logFlags(['--log']), {});
  assert.equal(logFlags(['--log-format', 'yaml', 'ps']), {});
  assert.equal(logFlags(['--log=', 'ps']), {});
  assert.equal(logFlags([]), {});
  assert.equal(logFlags(['--root', '--log', 'x']), {}, '--log here is the value of --root');
});

test.run();
