// bin/launch.cjs: the CLI runs from the bundle with its code cache, from the
// bundle without a usable cache (another node binary, a corrupt or foreign
// cache) and from the ES modules (TSCTR_BUNDLE=0), with the same answers.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, FIXTURE_IMAGE, FIXTURE_REF, REPO } from '../../helpers/tsctr.js';

const BUNDLES = join(REPO, 'dist/bundle');
const hasBundle = existsSync(join(BUNDLES, 'tsctr.cjs'));
/** Every bundle's code cache (one per bundle: bin/launch.cjs picks the bundle by the command word). */
const caches = () => (existsSync(BUNDLES) ? readdirSync(BUNDLES).filter((f) => f.endsWith('.cjs.cache')).map((f) => join(BUNDLES, f)) : []);
/** The bundle `images ls` runs from. */
const IMAGES_BUNDLE = join(BUNDLES, 'tsctr.commands-images.cjs');
const tmp = mkdtempSync('/tmp/tsctr-speed-launcher-');

let roots = 0;
function tsctr(args: string[], opts: { node?: string; env?: NodeJS.ProcessEnv; root?: string } = {}) {
  const root = opts.root ?? join(tmp, 'root');
  const r = spawnSync(opts.node ?? process.execPath, [BIN, '--root', root, '--state', join(tmp, 'state'), ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...opts.env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Runs fn and puts the code caches back as they were (a test run must not leave worse caches behind). */
function keepingCache(fn: () => void): void {
  const saved = new Map(caches().map((f) => [f, readFileSync(f)]));
  try {
    fn();
  } finally {
    for (const f of caches()) if (!saved.has(f)) rmSync(f, { force: true });
    for (const [f, b] of saved) writeFileSync(f, b);
  }
}

const COMMANDS: string[][] = [
  ['--version'], ['--help'], ['images', 'ls'], ['images', 'ls', '-q'], ['content', 'ls'], ['namespaces', 'ls'], ['version', '--json'], ['images', 'pull', 'bad ref!'],
  // Loads node-tar, streams, crypto: what start-up defers to first use must still work when used.
  ...(existsSync(FIXTURE_IMAGE) ? [['images', 'import', FIXTURE_IMAGE], ['images', 'ls'], ['images', 'check', FIXTURE_REF]] : []),
];

/** Every command's exit code, stdout and stderr, against a fresh --root. */
function answers(opts: { node?: string; env?: NodeJS.ProcessEnv } = {}): string[] {
  const root = join(tmp, `root-${roots++}`);
  return COMMANDS.map((c) => {
    const r = tsctr(c, { ...opts, root });
    return `${c.join(' ')} → ${r.code}\n${r.out}\n${r.err}`.replaceAll(root, '<root>');
  });
}

const reference = answers({ env: { TSCTR_BUNDLE: '0' } });

test('the ES modules answer every command (TSCTR_BUNDLE=0)', () => {
  assert.match(reference[0]!, /^--version → 0\n\d+\.\d+\.\d+/);
  assert.match(reference[1]!, /Commands:/);
  assert.match(reference[6]!, /"executor"/);
  assert.match(reference[7]!, /→ 2\n|→ 1\n/);
  for (const r of reference) assert.not.match(r, /    at /, `a stack trace: ${r}`);
  if (existsSync(FIXTURE_IMAGE)) assert.match(reference.at(-1)!, /→ 0\n/, 'images check of the imported fixture');
  else console.log(`  (no ${FIXTURE_IMAGE}: images import not exercised; build it with node fixtures/make-busybox-image.js)`);
});

test('the bundle answers exactly as the ES modules do', () => {
  if (!hasBundle) { console.log('  skipped: no dist/bundle (TSCTR_BUNDLE=0 build)'); return; }
  assert.equal(answers(), reference);
});

test('without its code cache, and with the cache turned off, the bundle still answers the same', () => {
  if (!hasBundle) return;
  keepingCache(() => {
    for (const f of caches()) rmSync(f, { force: true });
    assert.equal(answers(), reference);
    assert.ok(existsSync(IMAGES_BUNDLE + '.cache'), 'the cache was written again at exit');
    assert.equal(answers({ env: { TSCTR_CODE_CACHE: 'off' } }), reference);
  });
});

test('a corrupt cache with a matching stamp is rejected by V8 and replaced', () => {
  if (!hasBundle) return;
  keepingCache(() => {
    const all = caches();
    assert.ok(all.includes(IMAGES_BUNDLE + '.cache'), 'the build warmed the cache of `images ls`');
    for (const f of all) {
      const buf = readFileSync(f);
      const nl = buf.indexOf(10);
      writeFileSync(f, Buffer.concat([buf.subarray(0, nl + 1), Buffer.alloc(4096, 0x5a)]));
    }
    assert.equal(answers(), reference);
    assert.ok(readFileSync(IMAGES_BUNDLE + '.cache').length > 10_000, 'the cache was rebuilt');
  });
});

test('another node binary than the one that wrote the cache runs every command', () => {
  if (!hasBundle) return;
  const other = join(tmp, 'node');
  copyFileSync(process.execPath, other);
  spawnSync('chmod', ['755', other]);
  keepingCache(() => {
    assert.equal(answers({ node: other }), reference);
    // (Which stamp the cache carries now is not asserted: any CLI of this tree running meanwhile rewrites it.)
    // And back: the build's node sees a foreign stamp, compiles, and answers the same.
    assert.equal(answers(), reference);
  });
});

test('a bundle older than dist/src (tsc ran after it) is not used', () => {
  if (!hasBundle) return;
  const entries = join(REPO, 'dist/src/entries.js');
  const bundle = IMAGES_BUNDLE;
  const saved = readFileSync(bundle);
  const st = statSync(bundle);
  const oldest = Math.min(...readdirSync(BUNDLES).filter((f) => f.endsWith('.cjs')).map((f) => statSync(join(BUNDLES, f)).mtimeMs));
  try {
    // A broken bundle that is stale must never run.
    writeFileSync(bundle, 'throw new Error("stale bundle ran")');
    const now = new Date();
    spawnSync('touch', ['-d', new Date(now.getTime() - 60_000).toISOString(), bundle]);
    spawnSync('touch', [entries]);
    const r = tsctr(['images', 'ls']);
    assert.is(r.code, 0, r.err);
    assert.not.match(r.err, /stale bundle/);
  } finally {
    writeFileSync(bundle, saved);
    // The same mtime (to the ms) as before, newer than entries.js again: the cache's stamp still matches.
    utimesSync(bundle, st.atime, st.mtime);
    utimesSync(entries, st.atime, new Date(oldest - 1000));
  }
});

test.after(() => rmSync(tmp, { recursive: true, force: true }));

test.run();
