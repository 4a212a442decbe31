#!/usr/bin/env node
// Builds what the launchers in bin/ start from (`npm run build:bundle`, the
// last step of `npm run build`, after tsc):
//
//   1. esbuild bundles dist/src/entries.js and everything it imports into
//      one CommonJS file, dist/bundle/tsctr.cjs. Each command group stays a
//      lazily evaluated part of it (esbuild turns `import()` into an init
//      call), so a command still evaluates only what it needs, but nothing is
//      resolved or read file by file: ~80 ES modules cost ~100 ms to resolve,
//      read and link on this machine before any code runs.
//   2. A V8 code cache of the bundle (bin/launch.cjs writes it; here it is
//      warmed by running a few commands), so the bundle is not even parsed.
//
// Measured on this machine (CPU ms, median, same run): node -e 0 130; a V8
// startup snapshot of the same bundle 270-300 (a user-land snapshot gives up
// Node's own code cache for its built-ins: an empty one already costs +40);
// this bundle + code cache 240; the ES modules 300. So no snapshot.
//
// ffi-rs (a native addon) stays outside, required from node_modules when the
// sys layer is first loaded. `import.meta.url` of each module becomes the file
// URL that module has in dist/, so paths relative to it still work.
//
// TSCTR_BUNDLE=0 skips the build (the launchers then load dist/'s ES modules).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, renameSync, writeFileSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const dist = join(root, 'dist');
const out = join(dist, 'bundle');
const nodeRequire = createRequire(import.meta.url);
// Required from node_modules at run time, never bundled: native addons (ffi-rs's
// binding for each platform; its index.js, which picks one, is bundled).
const EXTERNAL = ['@yuuang/*'];
// ffi-rs's index.js asks process.report.getReport() whether node runs on glibc:
// that builds a whole diagnostic report (every handle, library and variable),
// ~8 ms of every command that loads the sys layer. In the bundle it reads the
// libraries mapped into this process instead: glibc's libc.so.6 is there or not.
const FFI_RS_MUSL = /const \{ glibcVersionRuntime \} = process\.report\.getReport\(\)\.header\s*\n\s*return !glibcVersionRuntime/;
const FFI_RS_MUSL_CHEAP = `try { return !/\\/libc\\.so\\.6$/m.test(readFileSync('/proc/self/maps', 'utf8')) } catch { return !process.report.getReport().header.glibcVersionRuntime }`;
// Built-ins are loaded on their first use, not when a module that imports them
// is evaluated: `images ls` has no use for crypto, streams or http, whose
// loading (~25 internal modules for crypto alone) cost more than its work.
// Not those whose export is itself a function or class (events, stream, assert):
// `class X extends EventEmitter` needs the real thing, not an object of getters.
const LAZY_BUILTINS = builtinModules.filter((m) => !m.startsWith('_') && !['process', 'module', 'sys', 'wasi'].includes(m) && typeof nodeRequire(m) !== 'function');
const escape = (s) => s.replace(/[/]/g, '\\/');

// yargs requires `assert` when it is loaded, for two internal checks
// (strictEqual, notStrictEqual): loading it costs ~25 internal modules and
// creates process.stderr (~8 ms of `images ls`). These two, with the same
// meaning, are all yargs gets in the bundle; a failing one is a yargs bug.
const ASSERT_LITE = `
function fail(message, actual, expected, op) { const e = new Error(message ?? \`yargs: expected \${String(actual)} \${op} \${String(expected)}\`); e.code = 'ERR_ASSERTION'; throw e; }
exports.strictEqual = (actual, expected, message) => { if (!Object.is(actual, expected)) fail(message, actual, expected, '==='); };
exports.notStrictEqual = (actual, expected, message) => { if (Object.is(actual, expected)) fail(message, actual, expected, '!=='); };
`;

const rewrite = {
  name: 'tsctr-bundle',
  setup(b) {
    b.onResolve({ filter: /^(node:)?assert$/ }, (a) => (a.importer.includes('/node_modules/yargs/') ? { path: 'assert', namespace: 'assert-lite' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'assert-lite' }, () => ({ contents: ASSERT_LITE, loader: 'js' }));
    // Our modules (dist/) get a shim whose getters sit on its prototype: esbuild's __toESM,
    // run once per importing module, copies a module's own properties, and fs has ~100
    // (40 importers of fs in `tasks ls` made ~5000 getters, ~20 ms). Through the prototype
    // `fs.readFileSync` still works, named, namespace or default import alike. A package's
    // require() gets the one with own properties, in case it enumerates them.
    b.onResolve({ filter: new RegExp(`^(node:)?(${LAZY_BUILTINS.map(escape).join('|')})$`) }, (a) =>
      a.namespace.startsWith('lazy-builtin') ? { path: a.path, external: true } : { path: a.path.replace(/^node:/, ''), namespace: a.importer.startsWith(dist + '/') ? 'lazy-builtin-proto' : 'lazy-builtin' });
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (a) => {
      const keys = Object.keys(nodeRequire(`node:${a.path}`));
      const getters = keys.map((k) => `Object.defineProperty(module.exports, ${JSON.stringify(k)}, { enumerable: true, get: () => load()[${JSON.stringify(k)}] });`);
      return { contents: `let m; const load = () => (m ??= require(${JSON.stringify('node:' + a.path)}));\n${getters.join('\n')}\n`, loader: 'js' };
    });
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin-proto' }, (a) => {
      const keys = Object.keys(nodeRequire(`node:${a.path}`));
      const getters = keys.map((k) => `Object.defineProperty(p, ${JSON.stringify(k)}, { get: () => load()[${JSON.stringify(k)}] });`);
      return { contents: `let m; const load = () => (m ??= require(${JSON.stringify('node:' + a.path)}));\nconst p = {};\n${getters.join('\n')}\nmodule.exports = Object.create(p);\n`, loader: 'js' };
    });
    b.onLoad({ filter: /\/node_modules\/ffi-rs\/index\.js$/ }, (a) => {
      const src = readFileSync(a.path, 'utf8');
      if (!FFI_RS_MUSL.test(src)) console.log('build-bundle: ffi-rs/index.js no longer asks process.report about glibc; bundled as it is');
      return { contents: src.replace(FFI_RS_MUSL, FFI_RS_MUSL_CHEAP), loader: 'js', resolveDir: dirname(a.path) };
    });
    b.onLoad({ filter: /\.js$/ }, (a) => {
      if (!a.path.startsWith(dist + '/')) return undefined;
      let src = readFileSync(a.path, 'utf8');
      // main.ts loads yargs' CommonJS build through createRequire (much faster than its ESM build); bundle that build.
      src = src.replace(/createRequire\(import\.meta\.url\)\((['"][^'"]+['"])\)/g, 'require($1)');
      // The launcher compiles the bundle as a script, which has no dynamic import(): built-ins are required.
      src = src.replace(/\bimport\((['"])(node:[a-z_/]+)\1\)/g, 'Promise.resolve().then(() => require("$2"))');
      src = src.replace(/\bimport\.meta\.url\b/g, `__tsctrFileUrl(${JSON.stringify(relative(root, a.path))})`);
      return { contents: src, loader: 'js', resolveDir: dirname(a.path) };
    });
  },
};

/**
 * The command modules each front end loads lazily, by the word that names them:
 * read from GROUPS (src/cli/main.ts) and COMMANDS (src/cli-runc/main.ts), whose
 * loaders are `() => import('./x.js')` (the module's name is taken from that text).
 */
async function commandModules() {
  const modOf = (load, where) => {
    const m = /import\((['"])\.\/([\w/-]+)\.js\1\)/.exec(String(load));
    if (!m) throw new Error(`build-bundle: cannot tell which module ${where} loads from ${String(load)}: keep it \`() => import('./x.js')\``);
    return m[2];
  };
  const cli = await import(join(dist, 'src/cli/main.js'));
  const runc = await import(join(dist, 'src/cli-runc/main.js'));
  const tsctr = {};
  for (const g of cli.GROUPS) for (const w of [g.command, ...(g.aliases ?? [])]) tsctr[w] = modOf(g.load, `group "${g.command}"`);
  const tsctrRunc = {};
  for (const [w, load] of Object.entries(runc.COMMANDS)) tsctrRunc[w] = modOf(load, `command "${w}"`);
  return {
    // style: how the front end finds its command word (bin/launch.cjs commandWord).
    tsctr: { main: 'src/cli/main.js', style: 'skip-values', valueOptions: cli.GLOBAL_VALUE_OPTIONS_LIST, words: tsctr },
    'tsctr-runc': { main: 'src/cli-runc/main.js', style: 'after-value', valueOptions: runc.VALUED, words: tsctrRunc },
  };
}

/**
 * One bundle: `keep` is { front end, command module } (undefined: every front end
 * and module, the fallback bundle tsctr.cjs; { entry, module: undefined }: that
 * front end with none of its command modules, for --help and usage errors).
 * What is left out becomes a stub that says so if it is ever loaded.
 */
async function bundle(file, families, keep) {
  const esbuild = await import('esbuild');
  const mains = Object.fromEntries(Object.entries(families).map(([name, f]) => [join(dist, f.main), name]));
  const stub = {
    name: 'tsctr-bundle-only',
    setup(b) {
      b.onResolve({ filter: /^\.\/.*\.js$/ }, (a) => {
        if (!keep) return undefined;
        const target = join(dirname(a.importer), a.path);
        if (a.importer === join(dist, 'src/entries.js') && mains[target] && mains[target] !== keep.entry) return { path: target, namespace: 'left-out' };
        const family = mains[a.importer];
        if (family !== keep.entry || a.kind !== 'dynamic-import') return undefined;
        const mod = relative(dirname(a.importer), target).replace(/\.js$/, '');
        return Object.values(families[family].words).includes(mod) && mod !== keep.module ? { path: target, namespace: 'left-out' } : undefined;
      });
      b.onLoad({ filter: /.*/, namespace: 'left-out' }, (a) => ({
        contents: `const why = ${JSON.stringify(`tsctr: internal: ${relative(dist, a.path)} is not in ${relative(root, file)} (bin/launch.cjs chose the bundle by the wrong word)`)};\nexport default function left() { throw new Error(why); }\nexport const main = left;\n`,
        loader: 'js',
      }));
    },
  };
  await esbuild.build({
    entryPoints: [join(dist, 'src/entries.js')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: file + '.tmp',
    external: EXTERNAL,
    plugins: [stub, rewrite],
    banner: { js: 'function __tsctrFileUrl(rel) { return require("node:url").pathToFileURL(require("node:path").join(__dirname, "../..", rel)).href; }\nfunction __toES1(req, nodeMode) { return req.__esm1 ??= __toESM(req(), nodeMode); }' },
    logLevel: 'warning',
    legalComments: 'none',
    minifyWhitespace: true,
    minifySyntax: true,
    charset: 'ascii',
    // A map for bench/profile.ts (which source a profiled function is from); no comment in the bundle.
    sourcemap: 'external',
  });
  shareInterop(file + '.tmp');
  renameSync(file + '.tmp.map', file + '.map');
  renameSync(file + '.tmp', file);
  return file;
}

/**
 * esbuild wraps a CommonJS module for each ES module that imports it:
 * `__toESM(require_fs(),1)` copies every property (about 100 getters for a
 * lazy fs) into a new object, once per importing module: 57 times for fs in
 * the run bundle, the top "__copyProps" of a run --rm profile. The wrappers
 * are read-only views of one module, so one per module serves all: rewritten
 * to `__toES1(require_fs  ,1)`, which makes it once. Same length, so the
 * source map's columns still hold.
 */
function shareInterop(path) {
  const src = readFileSync(path, 'utf8');
  writeFileSync(path, src.replace(/__toESM\((require_\w+)\(\),1\)/g, '__toES1($1  ,1)'));
}

/**
 * tsctr.cjs (everything: the fallback), and per front end one bundle without any
 * command module (tsctr.root.cjs: --help, usage errors) and one per command module
 * (tsctr.images.cjs …). bundles.json tells bin/launch.cjs which word picks which.
 */
async function bundleAll() {
  const families = await commandModules();
  const jobs = [bundle(join(out, 'tsctr.cjs'), families, undefined)];
  const map = {};
  for (const [entry, f] of Object.entries(families)) {
    const files = {};
    for (const mod of new Set(Object.values(f.words))) {
      files[mod] = `${entry}.${mod.replace(/\//g, '-')}.cjs`;
      jobs.push(bundle(join(out, files[mod]), families, { entry, module: mod }));
    }
    jobs.push(bundle(join(out, `${entry}.root.cjs`), families, { entry, module: undefined }));
    map[entry] = { style: f.style, valueOptions: f.valueOptions, root: `${entry}.root.cjs`, words: Object.fromEntries(Object.entries(f.words).map(([w, mod]) => [w, files[mod]])) };
  }
  jobs.push(...(await fastBundles()));
  await Promise.all(jobs);
  writeFileSync(join(out, 'bundles.json.tmp'), JSON.stringify(map, null, 1) + '\n');
  renameSync(join(out, 'bundles.json.tmp'), join(out, 'bundles.json'));
}

// What a quick command's bundle must not hold (README "Start-up"): the yargs
// front end and the table and colour libraries (table.ts loads cli-table3 from
// node_modules only for a table that is not plain ASCII).
const NOT_FAST = ['yargs', 'yargs-parser', 'cli-table3', 'chalk'];

/**
 * The fast path (src/fast-entries.ts): fast-argv.cjs, the parsers the launcher
 * asks first, and per quick command <front end>.fast.<command>.cjs, only that
 * command's export and what it imports (esbuild drops the rest of its module).
 */
async function fastBundles() {
  const esbuild = await import('esbuild');
  const { FAST } = await import(join(dist, 'src/fast-entries.js'));
  const one = async (file, contents) => {
    const r = await esbuild.build({
      stdin: { contents, resolveDir: join(dist, 'src'), sourcefile: relative(root, file), loader: 'js' },
      bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile: file + '.tmp',
      external: [...EXTERNAL, ...NOT_FAST], plugins: [rewrite], metafile: true,
      banner: { js: 'function __tsctrFileUrl(rel) { return require("node:url").pathToFileURL(require("node:path").join(__dirname, "../..", rel)).href; }' },
      logLevel: 'warning', legalComments: 'none', minifyWhitespace: true, minifySyntax: true, charset: 'ascii',
      sourcemap: 'external', // for bench/profile.ts, as the other bundles
    });
    // external keeps them out; an import of one that is actually reached at run time would be a regression.
    const reached = Object.values(r.metafile.outputs).flatMap((o) => o.imports).filter((i) => NOT_FAST.some((n) => i.path === n || i.path.startsWith(n + '/')) && i.kind !== 'require-call');
    if (reached.length) throw new Error(`build-bundle: ${relative(root, file)} imports ${reached.map((i) => i.path).join(', ')}: a quick command must not load them`);
    renameSync(file + '.tmp.map', file + '.map');
    renameSync(file + '.tmp', file);
  };
  const jobs = [one(join(out, 'fast-argv.cjs'), `export { pickFast } from './fast-entries.js';`)];
  for (const [entry, f] of Object.entries(FAST)) {
    for (const [command, [mod, name]] of Object.entries(f.commands)) jobs.push(one(join(out, `${entry}.fast.${command}.cjs`), `export { ${name} as fast } from './${mod}';`));
  }
  return jobs;
}

/**
 * Runs the quick commands once each so that their bundles' code caches hold
 * what they compile; the other bundles write theirs on first use.
 */
function warm() {
  const tmp = mkdtempSync('/tmp/tsctr-warm-');
  // Each quick command twice: on the fast path (its own bundle) and through yargs (TSCTR_FAST=0).
  const quick = (fast) => [
    ...[['--help'], ['version'], ['images', 'ls'], ['containers', 'ls'], ['tasks', 'ls'], ['snapshots', 'ls'], ['run', '--help']].map((a) => ['tsctr', ['--root', join(tmp, 'root'), '--state', join(tmp, 'state'), ...a], true, fast]),
    // state of a missing container fails (exit 1), having compiled what state and its error path need; so do the others.
    ...[['--help'], ['list'], ['state', 'warm-missing'], ['start', 'warm-missing'], ['kill', 'warm-missing', '9'], ['delete', 'warm-missing'], ['create', '--bundle', join(tmp, 'none'), 'warm-missing']]
      .map((a, i) => ['tsctr-runc', ['--root', join(tmp, 'runc'), ...a], i < 2, fast]),
  ];
  const runs = [...quick('1'), ...quick('0')];
  try {
    for (const [bin, args, mustPass, fast] of runs) {
      const r = spawnSync(process.execPath, [join(root, 'bin', bin), ...args], { encoding: 'utf8', env: { ...process.env, TSCTR_CODE_CACHE: 'refresh', TSCTR_FAST: fast } });
      // Not fatal: as a user other than root some commands refuse; the cache then fills on first use.
      if (mustPass && r.status !== 0) console.log(`build-bundle: warming with \`${bin} ${args.join(' ')}\` failed (exit ${r.status}): ${r.stderr.trim().split('\n')[0]}`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.env.TSCTR_BUNDLE === '0') {
  console.log('build-bundle: skipped (TSCTR_BUNDLE=0)');
} else {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  await bundleAll();
  warm();
}
