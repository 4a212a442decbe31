// tsctr-runc exec: flags end at the container id, as runc's do, so the
// program's own flags (sh -c, ls -l, -e) are never read as ours.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rewriteArgv } from '../../../src/cli-runc/exec.js';

test('the shim\'s call is left alone (nothing after the id)', () => {
  const argv = ['--root', '/run/r', '--log', '/b/log.json', '--log-format', 'json', 'exec', '--process', '/tmp/p.json', '--detach', '--pid-file', '/b/e1.pid', 'c1'];
  assert.equal(rewriteArgv(argv), argv);
});

test('a program after the id gets "--" in front of it', () => {
  assert.equal(rewriteArgv(['exec', 'c1', 'sh', '-c', 'echo ok']), ['exec', 'c1', '--', 'sh', '-c', 'echo ok']);
  assert.equal(rewriteArgv(['--root', '/r', 'exec', '-t', '--console-socket', '/s', '-e', 'A=b', '-c', 'CAP_KILL', 'c1', 'ls', '-l']),
    ['--root', '/r', 'exec', '-t', '--console-socket', '/s', '-e', 'A=b', '-c', 'CAP_KILL', 'c1', '--', 'ls', '-l']);
});

test('an explicit "--" is kept, not doubled', () => {
  assert.equal(rewriteArgv(['exec', 'c1', '--', 'sh']), ['exec', 'c1', '--', 'sh']);
  assert.equal(rewriteArgv(['exec', '--', 'c1', 'sh']), ['exec', '--', 'c1', 'sh']);
});

test('not exec, or a global flag whose value is "exec": untouched', () => {
  assert.equal(rewriteArgv(['run', 'exec', 'sh', '-c']), ['run', 'exec', 'sh', '-c']);
  assert.equal(rewriteArgv(['--root', 'exec', 'state', 'c1']), ['--root', 'exec', 'state', 'c1']);
  assert.equal(rewriteArgv([]), []);
  assert.equal(rewriteArgv(['exec']), ['exec']);
  assert.equal(rewriteArgv(['exec', '--pid-file']), ['exec', '--pid-file']);
});
test.run();
