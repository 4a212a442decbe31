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
import { mkdtempSync, rmSync, renameSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const dist = join(root, 'dist');
const out = join(dist, 'bundle');
const nodeRequire = createRequire(import.meta.url);
// Required from node_modules at run time, never bundled: native addons.
const EXTERNAL = ['ffi-rs'];
// Built-ins are loaded on their first use, not when a module that imports them
// is evaluated: `images ls` has no use for crypto, streams or http, whose
// loading (~25 internal modules for crypto alone) cost more than its work.
// Not those whose export is itself a function or class (events, stream, assert):
// `class X extends EventEmitter` needs the real thing, not an object of getters.
const LAZY_BUILTINS = builtinModules.filter((m) => !m.startsWith('_') && !['process', 'module', 'sys', 'wasi'].includes(m) && typeof nodeRequire(m) !== 'function');
const escape = (s) => s.replace(/[/]/g, '\\/');

const rewrite = {
  name: 'tsctr-bundle',
  setup(b) {
    b.onResolve({ filter: new RegExp(`^(node:)?(${LAZY_BUILTINS.map(escape).join('|')})$`) }, (a) =>
      a.namespace === 'lazy-builtin' ? { path: a.path, external: true } : { path: a.path.replace(/^node:/, ''), namespace: 'lazy-builtin' });
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (a) => {
      const keys = Object.keys(nodeRequire(`node:${a.path}`));
      const getters = keys.map((k) => `Object.defineProperty(module.exports, ${JSON.stringify(k)}, { enumerable: true, get: () => load()[${JSON.stringify(k)}] });`);
      return { contents: `let m; const load = () => (m ??= require(${JSON.stringify('node:' + a.path)}));\n${getters.join('\n')}\n`, loader: 'js' };
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

async function bundle() {
  const esbuild = await import('esbuild');
  const file = join(out, 'tsctr.cjs');
  await esbuild.build({
    entryPoints: [join(dist, 'src/entries.js')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: file + '.tmp',
    external: EXTERNAL,
    plugins: [rewrite],
    banner: { js: 'function __tsctrFileUrl(rel) { return require("node:url").pathToFileURL(require("node:path").join(__dirname, "../..", rel)).href; }' },
    logLevel: 'warning',
    legalComments: 'none',
    minifyWhitespace: true,
    minifySyntax: true,
    charset: 'ascii',
  });
  renameSync(file + '.tmp', file);
  return file;
}

/** Runs a few read-only commands so the code cache holds what they compile. */
function warm() {
  const tmp = mkdtempSync('/tmp/tsctr-warm-');
  try {
    for (const args of [['--help'], ['images', 'ls'], ['containers', 'ls'], ['tasks', 'ls'], ['snapshots', 'ls'], ['run', '--help']]) {
      const r = spawnSync(process.execPath, [join(root, 'bin/tsctr'), '--root', join(tmp, 'root'), '--state', join(tmp, 'state'), ...args], { encoding: 'utf8', env: { ...process.env, TSCTR_CODE_CACHE: 'refresh' } });
      // Not fatal: as a user other than root some commands refuse; the cache then fills on first use.
      if (r.status !== 0) console.log(`build-bundle: warming with \`tsctr ${args.join(' ')}\` failed (exit ${r.status}): ${r.stderr.trim().split('\n')[0]}`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.env.TSCTR_BUNDLE === '0') {
  console.log('build-bundle: skipped (TSCTR_BUNDLE=0)');
} else {
  rmSync(out, { recursive: true, force: true });
  await bundle();
  warm();
}
