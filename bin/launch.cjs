// What every launcher in bin/ runs: the named entry of src/entries.ts,
// from a one-file bundle with its V8 code cache when there is one (built by
// tools/build-bundle.mjs), else from the ES modules in dist/. CommonJS on
// purpose: Node sets up its ES module loader only when something asks for it.
//
// Which bundle: the one holding just the command module the command word
// names (`images` → tsctr.images.cjs), found as src/cli/main.ts and
// src/cli-runc/main.ts find it, by dist/bundle/bundles.json; no command word:
// the front end without command modules (tsctr.root.cjs); no bundles.json or
// no such file: tsctr.cjs, which holds everything. Each has its own cache.
//
// The code cache is used only when its stamp matches the running node (version,
// path, size, mtime of the binary) and the bundle (size, mtime); otherwise the
// bundle is compiled from source and, if dist/ is writable, a new cache is
// written at exit. V8 rejects a foreign cache by itself too (cachedDataRejected).
// A bundle older than dist/src (tsc ran after it) is not used.
// Before all that, the fast path (launchFast): the quick commands, when
// src/fast-entries.ts's parser understands the whole command line, run from
// their own small bundles (tsctr.fast.images-ls.cjs …) without yargs.
//   TSCTR_FAST=0            no fast path: every command goes through yargs
//   TSCTR_BUNDLE=0          run the ES modules in dist/ (what the unit tests load; no fast path)
//   TSCTR_CODE_CACHE=off    compile the bundle from source, write nothing
//   TSCTR_CODE_CACHE=refresh  rewrite the cache at exit with what this run compiled too (the build warms it so)
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const BUNDLES = path.join(root, 'dist/bundle');
const ENTRIES = path.join(root, 'dist/src/entries.js');

function launch(name) {
  const args = process.argv.slice(2);
  if (process.env.TSCTR_BUNDLE !== '0') {
    if (process.env.TSCTR_FAST !== '0' && launchFast(name, args)) return;
    const file = pickBundle(name, args);
    if (path.basename(file) === 'tsctr.commands-run.cjs') noTurbofan();
    const bundle = loadBundle(file);
    if (bundle) return run(name, bundle.ENTRIES, args);
  }
  import(require('node:url').pathToFileURL(ENTRIES).href).then((m) => run(name, m.ENTRIES, args), fail);
}

/**
 * The fast path: a quick command (`images ls`, `tsctr-runc state` …) in a form
 * src/fast-entries.ts's parser fully understands runs from its own small
 * bundle, without yargs. False (nothing run, nothing written): take yargs.
 */
function launchFast(name, args) {
  const parser = loadBundle(path.join(BUNDLES, 'fast-argv.cjs'));
  const c = parser && parser.pickFast(name, args, process.env);
  const quick = c && loadBundle(path.join(BUNDLES, `${name}.fast.${c.command}.cjs`));
  if (!quick) return false;
  quick.fast(c.args, args).catch(fail);
  return true;
}

function run(name, entries, args) {
  const load = entries[name];
  if (!load) return fail(new Error(`no entry point "${name}" in src/entries.ts`));
  load().then((e) => e.main(args)).catch(fail);
}

/**
 * `run` mostly waits for its container: TurboFan off, ~4.7 MiB less peak RSS
 * at no CPU cost; an unpack turns it back on (src/util/tiering.ts says why).
 */
function noTurbofan() {
  require('node:v8').setFlagsFromString('--no-opt');
  globalThis[Symbol.for('tsctr.turbofan-off')] = true;
}

function fail(err) {
  process.stderr.write(`tsctr: ${err && err.stack ? err.stack : String(err)}\n`);
  process.exitCode = 1;
}

/** The bundle file for this command line (see the top of this file). */
function pickBundle(name, args) {
  const all = path.join(BUNDLES, 'tsctr.cjs');
  let map;
  try {
    map = JSON.parse(fs.readFileSync(path.join(BUNDLES, 'bundles.json'), 'utf8'))[name];
  } catch {
    return all;
  }
  if (!map) return all;
  const word = commandWord(args, map);
  const file = word === undefined || !Object.hasOwn(map.words, word) ? map.root : map.words[word];
  return path.join(BUNDLES, file);
}

/**
 * The command word, as the front end finds it (`firstCommand` of src/cli/main.ts,
 * `commandWord` of src/cli-runc/main.ts; test/unit/cli/launcher-pick.test.ts holds them to it).
 */
function commandWord(args, map) {
  if (map.style === 'after-value') return args.find((a, i) => !a.startsWith('-') && !map.valueOptions.includes(args[i - 1] ?? ''));
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') return args[i + 1];
    if (map.valueOptions.includes(a)) { i++; continue; }
    if (!a.startsWith('-')) return a;
  }
  return undefined;
}

function loadBundle(BUNDLE) {
  const CACHE = BUNDLE + '.cache';
  let source;
  let bundleStat;
  try {
    bundleStat = fs.statSync(BUNDLE);
  } catch (e) {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  }
  // tsc rewrites every file of dist/: a bundle older than them is stale (`npm run build:ts` alone).
  if (isNewer(ENTRIES, bundleStat.mtimeMs)) return undefined;
  source = fs.readFileSync(BUNDLE, 'latin1'); // esbuild writes ASCII only (charset: 'ascii'); latin1 skips UTF-8 decoding
  const vm = require('node:vm');
  const { createRequire, wrap } = require('node:module');
  const mode = process.env.TSCTR_CODE_CACHE;
  const stamp = cacheStamp(bundleStat);
  let cachedData;
  if (mode !== 'off') cachedData = readCache(CACHE, stamp);
  const script = new vm.Script(wrap(source), { filename: BUNDLE, cachedData });
  const mod = { exports: {} };
  script.runInThisContext()(mod.exports, createRequire(BUNDLE), mod, BUNDLE, path.dirname(BUNDLE));
  if (mode === 'refresh' || (mode !== 'off' && (!cachedData || script.cachedDataRejected))) process.once('exit', () => writeCache(CACHE, script, stamp));
  return mod.exports;
}

function isNewer(file, than) {
  try {
    return fs.statSync(file).mtimeMs > than;
  } catch {
    return false;
  }
}

function cacheStamp(bundleStat) {
  const n = fs.statSync(process.execPath);
  return `tsctr-code-cache 1 node ${process.version} ${process.arch} ${process.execPath} ${n.size} ${n.mtimeMs} bundle ${bundleStat.size} ${Math.floor(bundleStat.mtimeMs)}`;
}

function readCache(CACHE, stamp) {
  try {
    const buf = fs.readFileSync(CACHE);
    const nl = buf.indexOf(10);
    return nl > 0 && buf.toString('utf8', 0, nl) === stamp ? buf.subarray(nl + 1) : undefined;
  } catch {
    return undefined;
  }
}

/** At exit, so the cache holds every function this command compiled. Best effort: dist/ may be read-only. */
function writeCache(CACHE, script, stamp) {
  const tmp = `${CACHE}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, Buffer.concat([Buffer.from(stamp + '\n'), script.createCachedData()]));
    fs.renameSync(tmp, CACHE);
  } catch {
    try { fs.unlinkSync(tmp); } catch { /* not written */ }
  }
}

module.exports = { launch, pickBundle, commandWord };
