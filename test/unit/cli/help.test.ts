// Loads every command and checks its --help (npm's load-all-commands test):
// a command whose module fails to load, or whose help is empty, fails here.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { BIN } from '../../helpers/tsctr.js';
import { GROUPS } from '../../../src/cli/main.js';

function tsctr(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Subcommands listed in a group's help ("  tsctr images pull <ref>  …"). */
function subcommands(group: string, help: string): string[] {
  const re = new RegExp(`^\\s+tsctr ${group} ([a-z][a-z-]*)`, 'gm');
  return [...help.matchAll(re)].map((m) => m[1]!).filter((s, i, a) => a.indexOf(s) === i);
}

test('tsctr --help lists every command group', () => {
  const r = tsctr(['--help']);
  assert.is(r.code, 0);
  for (const g of GROUPS) assert.match(r.out, new RegExp(`tsctr ${g.command}\\b`), g.command);
});

test('every group and subcommand answers --help', () => {
  let checked = 0;
  for (const g of GROUPS) {
    const r = tsctr([g.command, '--help']);
    assert.is(r.code, 0, `${g.command} --help: ${r.err}`);
    assert.ok(r.out.length > 50, `${g.command} --help is empty`);
    checked++;
    for (const sub of subcommands(g.command, r.out)) {
      const s = tsctr([g.command, sub, '--help']);
      assert.is(s.code, 0, `${g.command} ${sub} --help: ${s.err}`);
      assert.match(s.out, /Options:/, `${g.command} ${sub} --help has no options section`);
      checked++;
    }
  }
  assert.ok(checked > 30, `only ${checked} commands found`);
});

test('aliases reach the same commands', () => {
  for (const g of GROUPS) for (const a of g.aliases ?? []) assert.is(tsctr([a, '--help']).code, 0, a);
});

test('usage mistakes are one line on stderr and exit 2', () => {
  const cases: [string[], RegExp][] = [
    [['frobnicate'], /unknown command "frobnicate"/],
    [['imgs'], /did you mean images\?/],
    [['-n', 'Bad_NS', 'images', 'ls'], /invalid namespace "Bad_NS"/],
    [['images'], /subcommand/],
  ];
  for (const [args, re] of cases) {
    const r = tsctr(args);
    assert.is(r.code, 2, args.join(' '));
    assert.match(r.err, re);
    assert.is(r.err.trim().split('\n').length, 1, `${args.join(' ')}: ${r.err}`);
  }
});

test('tsctr version names every part', () => {
  const r = tsctr(['version', '--json']);
  assert.is(r.code, 0, r.err);
  const v = JSON.parse(r.out) as Record<string, string>;
  for (const k of ['tsctr', 'node', 'ffi-rs', 'executor', 'kernel']) assert.ok(v[k] && v[k] !== 'unknown', k);
  assert.match(v.executor!, /^[0-9a-f]{12}$/, 'the executor reports its own build id');
  assert.is(tsctr(['--version']).out.trim(), v.tsctr);
});

test.run();
