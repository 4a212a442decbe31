// bin/launch.cjs picks, from the command line, the bundle that holds the one
// command module the front end will load (dist/bundle/bundles.json). It must
// find the same word as the front end does (src/cli/main.ts firstCommand,
// src/cli-runc/main.ts commandWord), or the command would find a stub. Odd and
// hostile command lines included: they must pick the bundle without a command
// module (or the right one), never throw, never reach outside dist/bundle.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join } from 'node:path';
import { REPO } from '../../helpers/tsctr.js';
import { GROUPS, firstCommand } from '../../../src/cli/main.js';
import { COMMANDS, commandWord as runcWord } from '../../../src/cli-runc/main.js';

const launcher = createRequire(import.meta.url)(join(REPO, 'bin/launch.cjs')) as {
  pickBundle: (name: string, args: string[]) => string;
};
const FAST_ARGV = join(REPO, 'dist/bundle/fast-argv.cjs');
const MAP = join(REPO, 'dist/bundle/bundles.json');
const hasMap = existsSync(MAP);
const map = hasMap ? (JSON.parse(readFileSync(MAP, 'utf8')) as Record<string, { root: string; words: Record<string, string> }>) : {};

const HOSTILE = [
  [], ['--'], ['--', 'images', 'ls'], ['--root'], ['--root', 'images'], ['--root', 'images', 'tasks', 'ls'], ['--root=images', 'tasks'],
  ['-n', 'x', 'images', 'ls'], ['--namespace', '--root', 'images'], ['--debug', 'images', 'ls'], ['__proto__'], ['constructor'], ['hasOwnProperty'],
  ['toString', 'ls'], ['../../etc/passwd'], ['images/../run'], ['IMAGES', 'ls'], ['imágenes'], ['\u0000'], [''], ['-', 'images'], ['--help'], ['-h', 'tasks'],
  ['completion'], ['frobnicate', 'images'], ['i', 'ls'], ['c', 'ls'], ['t', 'ls'], ['run', '--rm', 'busybox', 'c1', 'images'], ['version', '--json'],
];

/** The module the front end loads for argv, by the word it finds, as a bundle file name (root: none). */
function expectedTsctr(argv: string[]): string {
  const word = firstCommand(argv);
  const g = GROUPS.find((x) => x.command === word || (x.aliases ?? []).includes(word ?? ''));
  return g ? map.tsctr!.words[g.command]! : map.tsctr!.root;
}

test('tsctr: the launcher picks the bundle of the group the front end loads', () => {
  if (!hasMap) { console.log('  skipped: no dist/bundle/bundles.json (TSCTR_BUNDLE=0 build)'); return; }
  const lines = [...HOSTILE, ...GROUPS.flatMap((g) => [g.command, ...(g.aliases ?? [])].map((w) => ['--root', '/r', '--state', '/s', w, 'ls']))];
  for (const argv of lines) {
    const got = launcher.pickBundle('tsctr', argv);
    assert.is(basename(got), expectedTsctr(argv), JSON.stringify(argv));
    assert.is(got, join(REPO, 'dist/bundle', basename(got)), `outside dist/bundle: ${got}`);
    assert.ok(existsSync(got), got);
  }
});

test('tsctr-runc: the launcher picks the bundle of the command module the front end loads', () => {
  if (!hasMap) return;
  const runc = map['tsctr-runc']!;
  const lines = [...HOSTILE, ...Object.keys(COMMANDS).map((c) => ['--root', '/r', '--log', 'l', '--log-format', 'json', c, 'id']), ['--rootless', 'true', 'state', 'x'], ['--criu', 'state', 'list']];
  for (const argv of lines) {
    const word = runcWord(argv);
    const want = word !== undefined && Object.hasOwn(COMMANDS, word) ? runc.words[word]! : runc.root;
    assert.is(basename(launcher.pickBundle('tsctr-runc', argv)), want, JSON.stringify(argv));
  }
});

test('every word of bundles.json names a bundle that exists; an unknown front end gets the whole bundle', () => {
  if (!hasMap) return;
  for (const [name, m] of Object.entries(map)) {
    for (const f of [m.root, ...Object.values(m.words)]) assert.ok(existsSync(join(REPO, 'dist/bundle', f)), `${name}: ${f}`);
  }
  assert.is(basename(launcher.pickBundle('no-such-front-end', ['images'])), 'tsctr.cjs');
});

// The fast path (bin/launch.cjs launchFast): the bundled parser the launcher
// loads answers as the ES module does, and each command it answers with has its bundle.
test('fast path: fast-argv.cjs picks as src/fast-entries.ts does, and every quick command has its bundle', async () => {
  if (!existsSync(FAST_ARGV)) { console.log('  skipped: no dist/bundle/fast-argv.cjs (TSCTR_BUNDLE=0 build)'); return; }
  const { pickFast, FAST } = await import('../../../src/fast-entries.js');
  const bundled = createRequire(import.meta.url)(FAST_ARGV) as { pickFast: typeof pickFast };
  const lines = [...HOSTILE, ['images', 'ls'], ['--root', '/r', 'c', 'list', '-q'], ['t', 'ls', '--json'], ['version'], ['-n', 'x', 'version', '--json'], ['state', 'x'], ['--root', '/r', 'kill', '--all', 'x', '9'],
    ['create', '--bundle', '/b', '--pid-file', '/p', 'x'], ['delete', '-f', 'x'], ['list', '-q'], ['start', 'x']];
  let taken = 0;
  for (const name of ['tsctr', 'tsctr-runc']) {
    for (const argv of lines) {
      const a = pickFast(name, argv, {});
      assert.equal(bundled.pickFast(name, argv, {}), a, `${name} ${JSON.stringify(argv)}`);
      if (a) {
        taken++;
        assert.ok(Object.hasOwn(FAST[name]!.commands, a.command));
        assert.ok(existsSync(join(REPO, 'dist/bundle', `${name}.fast.${a.command}.cjs`)), `${name} ${a.command}: bundle`);
      }
    }
  }
  assert.ok(taken >= 15, `the fast path takes the plain forms (${taken})`);
  // Every quick command of every front end has its bundle, holding no yargs, cli-table3 or chalk.
  for (const [name, f] of Object.entries(FAST)) {
    for (const command of Object.keys(f.commands)) {
      const text = readFileSync(join(REPO, 'dist/bundle', `${name}.fast.${command}.cjs`), 'latin1');
      assert.not.match(text, /node_modules\/(yargs|yargs-parser|cli-table3|chalk)\//, `${name} ${command}: bundled a library the fast path must not load`);
      assert.not.match(text, /require\("(yargs|chalk)/, `${name} ${command}`);
    }
  }
});

test.run();
