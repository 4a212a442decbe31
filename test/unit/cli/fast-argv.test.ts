// The fast path's parsers (src/cli/fast-argv.ts, src/cli-runc/fast-argv.ts)
// on hostile and odd command lines: each must either parse exactly what yargs
// would give the handler, or answer undefined (yargs then runs the line as it
// always did). Never throw, never take a line half-understood. Byte-equal
// output of the two paths is test/integration/cli/fast-equivalence.test.ts's.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseTsctrFast } from '../../../src/cli/fast-argv.js';
import { parseRuncFast } from '../../../src/cli-runc/fast-argv.js';
import { pickFast, FAST } from '../../../src/fast-entries.js';

const ENV = {};
const tsctr = (...argv: string[]) => parseTsctrFast(argv, ENV);
const DEF = { root: '/var/lib/tsctr', state: '/run/tsctr', namespace: 'default', debug: false, format: undefined, json: false, quiet: false };

test('tsctr: the quick commands in every accepted form, with what yargs would give', () => {
  assert.equal(tsctr('images', 'ls'), { command: 'images-ls', args: DEF });
  assert.equal(tsctr('i', 'list', '-q'), { command: 'images-ls', args: { ...DEF, quiet: true } });
  assert.equal(tsctr('--root', '/r', 'containers', 'ls', '--state=/s', '--json'), { command: 'containers-ls', args: { ...DEF, root: '/r', state: '/s', json: true } });
  assert.equal(tsctr('t', 'ls', '-n', 'ns1', '--format', 'table', '--debug'), { command: 'tasks-ls', args: { ...DEF, namespace: 'ns1', format: 'table', debug: true } });
  assert.equal(tsctr('-n=ns2', 'task', 'list', '--format=json'), { command: 'tasks-ls', args: { ...DEF, namespace: 'ns2', format: 'json' } });
  assert.equal(tsctr('version', '--json', '--root=/x'), { command: 'version', args: { ...DEF, root: '/x', json: true } });
  assert.equal(tsctr('--root', '/a=b', 'version'), { command: 'version', args: { ...DEF, root: '/a=b' } }, 'a value keeps its own =');
  assert.equal(parseTsctrFast(['images', 'ls'], { TSCTR_ROOT: '/er', TSCTR_STATE: '/es', TSCTR_NAMESPACE: 'envns' })?.args, { ...DEF, root: '/er', state: '/es', namespace: 'envns' });
  assert.equal(parseTsctrFast(['-n', 'flag', 'images', 'ls'], { TSCTR_NAMESPACE: 'envns' })?.args.namespace, 'flag', 'the flag beats the environment');
});

test('tsctr: anything not fully understood goes to yargs', () => {
  const hostile: string[][] = [
    [], ['images'], ['ls'], ['images', 'ls', 'extra'], ['images', 'rm', 'x'], ['images', 'pull', 'busybox'], ['IMAGES', 'ls'], ['images', 'LS'], ['imagess', 'ls'],
    ['--help'], ['-h'], ['images', 'ls', '--help'], ['images', 'ls', '-h'], ['--version'], ['-v'], ['version', '--version'], ['version', '-q'], ['version', '--format', 'json'],
    ['--root'], ['images', 'ls', '--root'], ['--root', '--state', '/s', 'images', 'ls'], ['--root=', 'images', 'ls'], ['--root', '', 'images', 'ls'], ['--root', '-x', 'images', 'ls'], ['--root=-x', 'images', 'ls'],
    ['--root', '/a', '--root', '/b', 'images', 'ls'], ['-q', '-q', 'images', 'ls'], ['images', 'ls', '-q', '--quiet'], ['-n', 'a', '--namespace', 'b', 'images', 'ls'], ['--json', '--json', 'images', 'ls'],
    ['--', 'images', 'ls'], ['images', '--', 'ls'], ['images', 'ls', '--'], ['-', 'images', 'ls'], ['images', 'ls', '-'],
    ['images', 'ls', '--bogus'], ['images', 'ls', '-x'], ['images', 'ls', '-qn', 'x'], ['images', 'ls', '-nq'], ['images', 'ls', '--quiet=true'], ['images', 'ls', '--json=false'], ['images', 'ls', '--no-json'], ['--no-debug', 'images', 'ls'],
    ['--debug=true', 'images', 'ls'], ['images', 'ls', '--Root', '/r'], ['images', 'ls', '--root.x', '/r'], ['images', 'ls', '--listFormat', 'json'], ['images', 'ls', '---root', '/r'],
    ['images', 'ls', '--format'], ['images', 'ls', '--format', 'yaml'], ['images', 'ls', '--format='], ['images', 'ls', '--format', 'JSON'], ['images', 'ls', '--format', 'json', '--format', 'table'],
    ['-n', 'Bad', 'images', 'ls'], ['-n', '../x', 'images', 'ls'], ['-n', 'a'.repeat(77), 'images', 'ls'], ['-n', 'ns\u0000', 'images', 'ls'], ['--namespace', '-', 'images', 'ls'],
    ['__proto__', 'ls'], ['constructor', 'ls'], ['hasOwnProperty', 'ls'], ['images', 'ls', '--__proto__', 'x'], ['--constructor', 'images', 'ls'], ['toString', 'ls'],
    ['', 'images', 'ls'], ['images', '', 'ls'], ['images', 'ls', ''], ['\uFFFD', 'ls'], ['images\u0000', 'ls'], ['images', 'ls\u0000'], ['completion'], ['images', 'ls', '--get-yargs-completions'],
    ['run', '--rm', 'busybox', 'images', 'ls'], ['containers', 'create', 'ls'], ['tasks', 'exec', 'ls'], ['version', 'ls'], ['images', 'version'],
  ];
  for (const argv of hostile) assert.is(tsctr(...argv), undefined, JSON.stringify(argv));
  // An environment yargs would refuse (its middleware checks the namespace) is yargs' to refuse.
  assert.is(parseTsctrFast(['images', 'ls'], { TSCTR_NAMESPACE: '' }), undefined);
  assert.is(parseTsctrFast(['images', 'ls'], { TSCTR_NAMESPACE: 'UPPER' }), undefined);
});

test('tsctr: huge and non-UTF-8 arguments are taken or refused, never thrown on', () => {
  const big = '/r' + 'x'.repeat(1 << 20);
  assert.is(tsctr('--root', big, 'images', 'ls')?.args.root, big, 'a 1 MiB path is a path');
  assert.is(tsctr(...Array.from({ length: 10000 }, () => '--debug'), 'images', 'ls'), undefined, 'repeats');
  assert.is(tsctr(...Array.from({ length: 10000 }, () => 'ls')), undefined);
  // Node decodes argv as UTF-8: invalid bytes arrive as U+FFFD, lone surrogates are possible from a caller of main().
  assert.is(tsctr('--root', '/r\uFFFD\uFFFD', 'images', 'ls')?.args.root, '/r\uFFFD\uFFFD');
  assert.is(tsctr('--root', '/r\uD800', 'images', 'ls')?.args.root, '/r\uD800');
  assert.is(tsctr('images', 'ls', '--json\uFFFD'), undefined);
  assert.not.throws(() => parseTsctrFast([undefined as unknown as string, 'images', 'ls'], ENV));
  assert.is(parseTsctrFast([1 as unknown as string, 'images', 'ls'], ENV), undefined);
});

const RG = { root: '/run/tsctr-runc', log: undefined, logFormat: 'text', debug: false, systemdCgroup: false };
const runc = (...argv: string[]) => parseRuncFast(argv);

test('tsctr-runc: the lifecycle verbs as go-runc writes them', () => {
  assert.equal(runc('state', 'c1'), { command: 'state', args: { globals: RG, args: { id: 'c1' } } });
  assert.equal(runc('--root', '/r', '--log', '/l.json', '--log-format', 'json', 'start', 'c1'), { command: 'start', args: { globals: { ...RG, root: '/r', log: '/l.json', logFormat: 'json' }, args: { id: 'c1' } } });
  assert.equal(runc('--debug', 'kill', 'c1'), { command: 'kill', args: { globals: { ...RG, debug: true }, args: { id: 'c1', signal: 'SIGTERM', all: false } } });
  assert.equal(runc('kill', '--all', 'c1', '9')?.args, { globals: RG, args: { id: 'c1', signal: '9', all: true } });
  assert.equal(runc('delete', '-f', 'c1')?.args, { globals: RG, args: { id: 'c1', force: true } });
  assert.equal(runc('list', '-f', 'json', '-q'), { command: 'list', args: { globals: RG, args: { format: 'json', quiet: true } } });
  assert.equal(runc('list', '--root=/x')?.args, { globals: { ...RG, root: '/x' }, args: { format: 'table', quiet: false } });
  assert.equal(runc('create', '--bundle', '/b', '--pid-file', '/p', '--console-socket=/s', '--no-pivot', '--preserve-fds', '2', 'c1'), {
    command: 'create', args: { globals: RG, args: { id: 'c1', bundle: '/b', 'pid-file': '/p', 'console-socket': '/s', 'no-pivot': true, 'no-new-keyring': false, 'preserve-fds': 2 } },
  });
  assert.equal(runc('create', 'c1')?.args, { globals: RG, args: { id: 'c1', bundle: '.', 'pid-file': undefined, 'console-socket': undefined, 'no-pivot': false, 'no-new-keyring': false, 'preserve-fds': 0 } });
  assert.is(runc('create', '-b', '/b', '--preserve-fds=007', 'c1')?.args.args && (runc('create', '-b', '/b', '--preserve-fds=007', 'c1')!.args.args as { 'preserve-fds': number })['preserve-fds'], 7, 'as yargs reads a number');
});

test('tsctr-runc: anything not fully understood goes to yargs', () => {
  const hostile: string[][] = [
    [], ['ls'], ['ls', '-q'], ['state'], ['state', 'a', 'b'], ['kill', 'a', '9', 'x'], ['list', 'x'], ['create'], ['start', '--help'], ['--help'], ['-h'], ['-v'], ['--version'], ['state', '-v', 'x'],
    ['--systemd-cgroup', 'state', 'x'], ['--criu', '/c', 'state', 'x'], ['--rootless', 'true', 'state', 'x'], ['--log-format', 'xml', 'state', 'x'], ['--log-format=', 'state', 'x'], ['--log', 'state', 'x'],
    ['--root', 'state', 'x'], ['--root=', 'state', 'x'], ['--root', '-x', 'state', 'x'], ['--root', '/a', '--root', '/b', 'state', 'x'], ['state', '--', 'x'], ['--', 'state', 'x'], ['state', '-', 'x'],
    ['delete', '-f', '-f', 'x'], ['delete', '--force=true', 'x'], ['delete', '-fa', 'x'], ['kill', '-f', 'x'], ['state', '-f', 'x'], ['list', '--format', 'yaml'], ['list', '-f'], ['list', '--format', 'json', '-f', 'table'],
    ['create', '--preserve-fds', 'x', 'id'], ['create', '--preserve-fds', '-1', 'id'], ['create', '--preserve-fds', '1e3', 'id'], ['create', '--preserve-fds', '0x10', 'id'], ['create', '--preserve-fds', '9999999999', 'id'], ['create', '--preserve-fds', ' 1', 'id'],
    ['create', '--bundle', '/b', '--bundle', '/c', 'id'], ['create', '-b', '/b', '--bundle', '/c', 'id'], ['create', '--pidFile', '/p', 'id'], ['create', '--no-pivot=false', 'id'], ['create', '--detach', 'id'],
    ['run', 'x'], ['exec', 'x', 'sh'], ['ps', 'x'], ['events', 'x'], ['pause', 'x'], ['update', 'x'], ['spec'], ['features'], ['checkpoint', 'x'], ['STATE', 'x'],
    ['__proto__', 'x'], ['constructor', 'x'], ['toString', 'x'], ['hasOwnProperty'], ['state', '--__proto__', 'x'], ['', 'state', 'x'], ['state', ''], ['state\u0000', 'x'],
  ];
  for (const argv of hostile) assert.is(runc(...argv), undefined, JSON.stringify(argv));
  assert.is(runc(...Array.from({ length: 5000 }, () => '--debug'), 'state', 'x'), undefined);
  assert.is(runc('state', 'x'.repeat(1 << 20))?.args.args && 'ok', 'ok', 'a huge id is the handler\'s to refuse (checkId), as with yargs');
});

test('pickFast: only known front ends and commands; never throws', () => {
  assert.is(pickFast('no-such', ['images', 'ls'], {}), undefined);
  assert.is(pickFast('__proto__', ['images', 'ls'], {}), undefined);
  assert.is(pickFast('constructor', ['images', 'ls'], {}), undefined);
  assert.is(pickFast('tsctr', null as unknown as string[], {}), undefined);
  assert.is(pickFast('tsctr', ['images', 'ls'], null as unknown as Record<string, string>), undefined);
  for (const [name, f] of Object.entries(FAST)) {
    for (const [command, [mod, exp]] of Object.entries(f.commands)) {
      assert.match(mod, /^[a-z-]+(\/[a-z-]+)*\.js$/, `${name} ${command}`);
      assert.match(exp, /^\w+$/);
      assert.match(command, /^[a-z-]+$/, 'a command names a file in dist/bundle');
    }
  }
});

test.run();
