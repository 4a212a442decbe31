// The quick commands' fast path (bin/launch.cjs → src/fast-entries.ts) against
// the yargs front end (TSCTR_FAST=0): the same command line must give the same
// stdout, stderr and exit code, over a matrix of argument forms (global options
// before and after, `=` forms, -n and TSCTR_NAMESPACE, aliases), on an empty
// store and on one with images, containers and tasks, and for errors. Each line
// the parser should take is checked to be taken, so the comparison is not
// between two runs of yargs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootTest } from '../../helpers/root.js';
import { BIN, Env, FIXTURE_REF, REPO } from '../../helpers/tsctr.js';
import { pickFast } from '../../../src/fast-entries.js';
import { hasBusybox, makeBusyboxRootfs, type TestRootfs } from '../runtime/rootfs-helper.js';
import { RUNC_BIN, writeBundle } from '../oci/runc-helper.js';

const { TSCTR_NAMESPACE: _n, TSCTR_ROOT: _r, TSCTR_STATE: _s, TSCTR_FAST: _f, ...baseEnv } = process.env;

interface Out { code: number | null; stdout: string; stderr: string }
function runBin(bin: string, args: string[], fast: boolean, env: Record<string, string> = {}): Out {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...baseEnv, ...env, TSCTR_FAST: fast ? '1' : '0' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Both ways; asserts the same bytes and exit code, and whether the fast path takes the line. */
function same(bin: string, name: 'tsctr' | 'tsctr-runc', args: string[], takes: boolean, env: Record<string, string> = {}): Out {
  const what = `${name} ${JSON.stringify(args)} ${JSON.stringify(env)}`;
  assert.is(!!pickFast(name, args, { ...baseEnv, ...env }), takes, `${what}: taken by the fast path`);
  const fast = runBin(bin, args, true, env);
  const slow = runBin(bin, args, false, env);
  assert.equal(fast, slow, what);
  return fast;
}

let env: Env;
test.before(() => {
  env = new Env('fastcli');
  // A bundle older than dist/src is not used (bin/launch.cjs): both runs would then be yargs'.
  const built = (f: string) => statSync(join(REPO, 'dist', f)).mtimeMs;
  if (built('bundle/fast-argv.cjs') < built('src/entries.js')) throw new Error('dist/bundle is older than dist/src: run npm run build (or build:bundle) first');
});
test.after(() => {
  for (const id of ['fastcli-t1', 'fastcli-c1']) env.run(['containers', 'rm', '--force', id]);
  env.cleanup();
});

/** The forms of one quick command line, all to be taken by the fast path. */
function forms(words: string[], extra: string[] = []): string[][] {
  const g = ['--root', env.root, '--state', env.state];
  return [
    [...g, ...words, ...extra],
    [...words, ...extra, ...g],
    [`--root=${env.root}`, ...words, `--state=${env.state}`, ...extra],
    [...g, '-n', 'default', ...words, ...extra],
    [...g, ...words, '--namespace=default', ...extra],
    [...g, '-n=other', ...words, ...extra],
    [...g, '--debug', ...words, ...extra],
  ];
}

const LISTS = [['images', 'ls'], ['image', 'list'], ['i', 'ls'], ['containers', 'ls'], ['c', 'list'], ['tasks', 'ls'], ['t', 'ls']];
const LIST_FLAGS = [[], ['-q'], ['--quiet'], ['--json'], ['--format', 'json'], ['--format=table'], ['--json', '-q']];

/** Each alias once, each group with each flag form and each placement of the globals (not all their products: each line costs two start-ups). */
function matrix(full: boolean): void {
  const g = ['--root', env.root, '--state', env.state];
  for (const words of LISTS) same(BIN, 'tsctr', [...g, ...words], true);
  if (full) {
    for (const words of [LISTS[0]!, LISTS[3]!, LISTS[5]!]) {
      for (const flags of LIST_FLAGS.slice(1)) same(BIN, 'tsctr', [...g, ...words, ...flags], true);
      for (const args of forms(words).slice(1)) same(BIN, 'tsctr', args, true);
    }
    for (const args of forms(['version'], ['--json'])) same(BIN, 'tsctr', args, true);
  }
  same(BIN, 'tsctr', [...g, 'version'], true);
  // The environment gives the defaults, as to yargs.
  same(BIN, 'tsctr', ['images', 'ls'], true, { TSCTR_ROOT: env.root, TSCTR_STATE: env.state, TSCTR_NAMESPACE: 'other' });
  same(BIN, 'tsctr', ['-n', 'default', 'tasks', 'ls'], true, { TSCTR_ROOT: env.root, TSCTR_STATE: env.state, TSCTR_NAMESPACE: 'other' });
  // Lines the fast path leaves to yargs: help, usage errors, odd forms.
  for (const odd of [['images', 'ls', '--help'], ['images', 'ls', '-h'], ['images', 'ls', '--format', 'yaml'], ['images', 'ls', 'extra'], ['images', 'ls', '--bogus'],
    ['-n', 'Bad', 'images', 'ls'], ['images', 'ls', '--root'], ['images', 'ls', '-q', '-q'], ['version', '-q'], ['--', 'images', 'ls'], ['images', '--', 'ls'], ['imagess', 'ls'], ['images'],
    ['tasks', 'ls', '--json=true'], ['containers', 'ls', '--no-json'], ['containers', 'ls', '-qn', 'default'], ['version', '--version']]) {
    same(BIN, 'tsctr', [...g, ...odd], false);
  }
  same(BIN, 'tsctr', ['images', 'ls'], false, { TSCTR_ROOT: env.root, TSCTR_STATE: env.state, TSCTR_NAMESPACE: '' });
}

test('tsctr: fast and yargs agree on an empty store', () => {
  matrix(false);
});

rootTest(test, 'tsctr: fast and yargs agree on a store with images, containers and tasks', () => {
  env.importFixture();
  assert.is(env.run(['images', 'tag', FIXTURE_REF, 'fastcli.test/busybox:two']).code, 0);
  assert.is(env.run(['images', 'label', FIXTURE_REF, 'fastcli=yes']).code, 0);
  let r = env.run(['containers', 'create', FIXTURE_REF, 'fastcli-c1', 'true']);
  assert.is(r.code, 0, r.stderr);
  r = env.run(['run', '-d', FIXTURE_REF, 'fastcli-t1', 'sleep', '1000']);
  assert.is(r.code, 0, r.stderr);
  // CREATED reads "N seconds ago": moved back two years, so the two runs cannot straddle a tick.
  for (const id of ['fastcli-c1', 'fastcli-t1']) {
    const f = join(env.root, 'metadata', 'default', 'containers', `${id}.json`);
    writeFileSync(f, JSON.stringify({ ...JSON.parse(readFileSync(f, 'utf8')), createdAt: '2024-01-01T00:00:00.000Z' }));
  }
  const ls = same(BIN, 'tsctr', ['--root', env.root, '--state', env.state, 'tasks', 'ls'], true);
  assert.match(ls.stdout, /fastcli-t1/);
  assert.match(same(BIN, 'tsctr', ['--root', env.root, '--state', env.state, 'containers', 'ls'], true).stdout, /fastcli-c1 .*stopped/);
  assert.match(same(BIN, 'tsctr', ['--root', env.root, '--state', env.state, 'images', 'ls'], true).stdout, /fastcli=yes/);
  matrix(true);
});

test('tsctr: an unreadable store fails the same way both ways', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fastcli-bad-'));
  try {
    writeFileSync(join(dir, 'metadata'), 'not a directory');
    for (const words of [['images', 'ls'], ['containers', 'ls'], ['tasks', 'ls']]) {
      const r = same(BIN, 'tsctr', ['--root', dir, '--state', join(dir, 'state'), ...words], true);
      assert.ok(r.code !== 0 || r.stderr === '', JSON.stringify(r));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const runcSkip = process.geteuid?.() !== 0 ? 'needs root' : !hasBusybox ? 'needs a static /bin/busybox' : undefined;

test('tsctr-runc: fast and yargs agree on the lifecycle verbs, their errors and list', () => {
  if (runcSkip) { console.log(`  skipped: ${runcSkip}`); return; }
  const root = mkdtempSync(join(tmpdir(), 'fastcli-runc-'));
  const log = join(root, 'log.json');
  let fs: TestRootfs | undefined;
  const g = ['--root', root];
  const runc = (fast: boolean, ...a: string[]) => runBin(RUNC_BIN, [...g, ...a], fast);
  try {
    // Errors, both ways, in go-runc's forms too (--log, --log-format json before the verb).
    for (const a of [['state', 'fastcli-none'], ['start', 'fastcli-none'], ['kill', 'fastcli-none', '9'], ['kill', '--all', 'fastcli-none', 'KILL'], ['delete', 'fastcli-none'],
      ['delete', '--force', 'fastcli-none'], ['create', '--bundle', join(root, 'nothing'), 'fastcli-none'], ['list'], ['list', '-q'], ['list', '--format', 'json'], ['list', '-f', 'json']]) {
      same(RUNC_BIN, 'tsctr-runc', [...g, ...a], true);
      same(RUNC_BIN, 'tsctr-runc', [...g, '--log', log, '--log-format', 'json', ...a], true);
      same(RUNC_BIN, 'tsctr-runc', [...a, `--root=${root}`], true);
    }
    // The log got one line per failure from each path: same messages.
    const lines = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { level: string; msg: string });
    for (let i = 0; i < lines.length; i += 2) assert.is(lines[i]!.msg, lines[i + 1]!.msg);
    for (const odd of [['ls'], ['state'], ['state', 'a', 'b'], ['state', '--help'], ['--systemd-cgroup', 'state', 'x'], ['kill', 'x', '9', 'extra'], ['list', '--format', 'yaml'], ['create', '--preserve-fds', 'x', 'id'],
      ['create', '--bundle', 'b', '--bundle', 'c', 'id'], ['--log-format', 'xml', 'list'], ['--criu', 'x', 'list'], ['-v'], ['--version'], ['delete', '-f', '-f', 'x']]) {
      same(RUNC_BIN, 'tsctr-runc', [...g, ...odd], false);
    }
    // A real container: create on the fast path, look at it both ways, start, kill, delete fast.
    fs = makeBusyboxRootfs('fastcli-');
    const b = writeBundle(fs, ['sleep', '1000']);
    const c = runc(true, 'create', '--bundle', b, '--pid-file', join(fs.dir, 'pid'), 'fastcli-r1');
    assert.is(c.code, 0, c.stderr);
    assert.is(readFileSync(join(fs.dir, 'pid'), 'utf8'), String(JSON.parse(same(RUNC_BIN, 'tsctr-runc', [...g, 'state', 'fastcli-r1'], true).stdout).pid));
    same(RUNC_BIN, 'tsctr-runc', [...g, 'list'], true);
    same(RUNC_BIN, 'tsctr-runc', [...g, 'list', '--format=json'], true);
    assert.is(runc(true, 'start', 'fastcli-r1').code, 0);
    assert.is(JSON.parse(runc(false, 'state', 'fastcli-r1').stdout).status, 'running');
    same(RUNC_BIN, 'tsctr-runc', [...g, 'start', 'fastcli-r1'], true); // a second start: the same error
    same(RUNC_BIN, 'tsctr-runc', [...g, 'delete', 'fastcli-r1'], true); // running: the same refusal
    assert.is(runc(true, 'kill', 'fastcli-r1', 'KILL').code, 0);
    for (let i = 0; i < 200 && JSON.parse(runc(true, 'state', 'fastcli-r1').stdout).status !== 'stopped'; i++) spawnSync('sleep', ['0.02']);
    assert.is(runc(true, 'delete', 'fastcli-r1').code, 0);
    assert.match(runc(true, 'state', 'fastcli-r1').stderr, /container does not exist: fastcli-r1/);
  } finally {
    runc(false, 'delete', '--force', 'fastcli-r1');
    fs?.remove();
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
