// Where the CPU time of each quick command, of `run --rm` and of tsctr-runc's
// verbs goes: each is run under `node --cpu-prof` (as bin/ runs it, from its
// bundle), and the median profile's samples are put into buckets: node's own
// start-up, the launcher (reading the bundle and its code cache, compiling),
// node built-ins loaded on demand, GC, and each npm package or src/ folder the
// sampled code comes from (found through the bundle's source map; time in
// Node's API counts for the code that called it). `node -e 0` is profiled
// too: what a command adds is its total less that floor.
//   node dist/bench/profile.js [--runs 5] [--keep DIR]   (DIR keeps the .cpuprofile files, for Chrome DevTools)
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { BIN, FIXTURE_IMAGE, FIXTURE_REF, REPO } from '../test/helpers/tsctr.js';
import { makeBundle } from './bundle.js';
import { load } from './measure.js';
import { SourceMap } from './sourcemap.js';

const arg = (name: string) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : undefined; };
const runs = Number(arg('--runs') ?? 5);
const keep = arg('--keep');
const tmp = mkdtempSync('/tmp/tsctr-bench-prof-');
const root = join(tmp, 'root');
const state = join(tmp, 'state');
const RUNC = join(REPO, 'bin/tsctr-runc');
const BUNDLES = join(REPO, 'dist/bundle');

interface CallFrame { functionName: string; url: string; lineNumber: number; columnNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame; children?: number[] }
interface Profile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }
/** One profile, bucketed: total CPU ms (idle left out) and ms per bucket; top self-time functions. */
interface Breakdown { total: number; buckets: Map<string, number>; top: Array<[string, number]> }

/** Runs `node --cpu-prof <argv>` and returns the profile's path (undefined: the command failed). */
function profileOnce(argv: string[], dir: string, opts: { leavesProcess?: boolean; mayFail?: boolean } = {}): string | undefined {
  mkdirSync(dir, { recursive: true });
  const r = spawnSync(process.execPath, ['--cpu-prof', '--cpu-prof-interval', '100', '--cpu-prof-dir', dir, ...argv], { stdio: opts.leavesProcess ? 'ignore' : 'pipe', encoding: 'utf8' });
  if (r.status !== 0 && !opts.mayFail) throw new Error(`${argv.join(' ')} exited ${r.status}: ${String(r.stderr ?? '').slice(-300)}`);
  const f = readdirSync(dir).find((n) => n.endsWith('.cpuprofile'));
  return f && join(dir, f);
}

/** Code of the bundle that is no source of ours: esbuild's module wrappers, tools/build-bundle.mjs's lazy built-ins. */
const GLUE = 'bundle glue (esbuild\'s __toESM/__copyProps, lazy built-ins)';
const maps = new Map<string, SourceMap | undefined>();
function sourceOf(f: CallFrame): string | undefined {
  if (!f.url.includes('/dist/bundle/')) return undefined;
  const file = f.url.replace(/^file:\/\//, '');
  if (!maps.has(file)) maps.set(file, SourceMap.read(file + '.map'));
  const src = maps.get(file)?.sourceAt(f.lineNumber, f.columnNumber);
  return src ? src.replace(/^(\.\.\/)+/, '') : GLUE;
}

/** The bucket a source path belongs to: an npm package, a src/ folder, or the path. */
function bucketOf(src: string): string {
  if (src.startsWith('lazy-builtin:')) return GLUE;
  const npm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(src);
  if (npm) return `npm ${npm[1]}`;
  const own = /(?:^|\/)(?:dist\/)?src\/([^/]+)(\/|\.js$)/.exec(src);
  if (own) return own[2] === '/' ? `src/${own[1]}` : `src/${own[1]}.ts`;
  return src;
}

function breakdown(file: string): Breakdown {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const bucketCache = new Map<number, string>();
  const bucketFor = (id: number): string => {
    const hit = bucketCache.get(id);
    if (hit) return hit;
    const leaf = byId.get(id)!.callFrame;
    let b: string | undefined;
    if (leaf.functionName === '(garbage collector)') b = 'GC';
    else if (leaf.functionName === '(program)') b = 'V8 and native, outside JS ((program))';
    for (let cur: number | undefined = id; !b && cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)!.callFrame;
      if (f.functionName === 'compileForInternalLoader') b = 'node built-ins loaded on demand (node:*)';
      else if (f.url.includes('/dist/bundle/')) b = bucketOf(sourceOf(f) ?? f.url);
      else if (f.url.endsWith('/bin/launch.cjs')) b = 'launcher: read bundle + code cache, compile';
      else if (f.url.includes('/dist/src/')) b = bucketOf(f.url);
    }
    b ??= 'node start-up';
    bucketCache.set(id, b);
    return b;
  };
  const buckets = new Map<string, number>();
  const self = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const id = p.samples[i]!;
    const f = byId.get(id)!.callFrame;
    if (f.functionName === '(idle)') continue;
    const ms = (p.timeDeltas[i] ?? 0) / 1000;
    total += ms;
    const b = bucketFor(id);
    buckets.set(b, (buckets.get(b) ?? 0) + ms);
    const where = sourceOf(f) ?? (f.url ? basename(f.url) : '');
    const k = `${f.functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
    self.set(k, (self.get(k) ?? 0) + ms);
  }
  return { total, buckets, top: [...self].sort((a, b) => b[1] - a[1]).slice(0, 6) };
}

/** The median (by total) of a command's profiles, printed. */
function show(name: string, files: string[], floor?: Breakdown): Breakdown | undefined {
  const all = files.map(breakdown).sort((a, b) => a.total - b.total);
  const med = all[Math.floor(all.length / 2)];
  if (!med) { console.log(`\n${name}: no profile`); return undefined; }
  const above = floor ? `, floor + ${(med.total - floor.total).toFixed(1)} ms` : '';
  console.log(`\n${name}: CPU in JS/V8 ${med.total.toFixed(1)} ms${above} (median of ${all.length} profiles)`);
  for (const [b, ms] of [...med.buckets].sort((x, y) => y[1] - x[1])) if (ms >= 0.5) console.log(`  ${ms.toFixed(1).padStart(7)} ms  ${b}`);
  console.log(`  top functions (self): ${med.top.map(([k, ms]) => `${k} ${ms.toFixed(1)}`).join('; ')}`);
  return med;
}

function main(): void {
  if (process.geteuid?.() !== 0) { console.log('bench/profile: needs root (run, tsctr-runc)'); return; }
  if (!existsSync(join(BUNDLES, 'bundles.json'))) console.log('bench/profile: no bundles in dist/bundle: profiles are of the ES modules');
  else if (statSync(join(REPO, 'dist/src/entries.js')).mtimeMs > statSync(join(BUNDLES, 'bundles.json')).mtimeMs) console.log('bench/profile: the bundles are older than dist/src (tsc ran after them), so bin/ runs the ES modules: run `npm run build` first');
  if (spawnSync(process.execPath, [join(REPO, 'fixtures/make-busybox-image.js')]).status !== 0) throw new Error('fixture build failed');
  const tsctr = (a: string[]) => [BIN, '--root', root, '--state', state, ...a];
  execFileSync(process.execPath, tsctr(['images', 'import', FIXTURE_IMAGE]));
  execFileSync(process.execPath, tsctr(['containers', 'create', FIXTURE_REF, 'prof-c']));
  const bundle = makeBundle(tmp, 'bundle-sleep', ['sleep', '30']);
  const runcRoot = join(tmp, 'runc-state');
  const out = keep ?? join(tmp, 'profiles');
  const cmds: Array<[string, string[]]> = [
    ['node -e 0', ['-e', '0']],
    ['tsctr --version', tsctr(['--version'])],
    ['tsctr version', tsctr(['version'])],
    ['tsctr images ls', tsctr(['images', 'ls'])],
    ['tsctr tasks ls', tsctr(['tasks', 'ls'])],
    ['tsctr containers ls', tsctr(['containers', 'ls'])],
  ];
  const files: Record<string, string[]> = {};
  const add = (name: string, f: string | undefined) => { if (f) (files[name] ??= []).push(f); };
  let seq = 0;
  const dirOf = (name: string, i: number) => join(out, `${String(++seq).padStart(3, '0')}-${name.replace(/[^a-z0-9]+/gi, '-')}-${i}`);
  console.log(`profiling ${runs} runs of each, interleaved (load average ${load()})`);
  for (let i = 0; i < runs; i++) {
    for (const [name, argv] of cmds) add(name, profileOnce(argv, dirOf(name, i)));
    add('tsctr run --rm IMG c true', profileOnce(tsctr(['run', '--rm', FIXTURE_REF, `prof-r${i}`, 'true']), dirOf('run', i)));
    const id = `prof-lc${i}`;
    for (const [verb, a] of [['create', ['create', '--bundle', bundle, id]], ['start', ['start', id]], ['state', ['state', id]], ['kill', ['kill', id, 'KILL']], ['delete', ['delete', '--force', id]]] as const) {
      add(`tsctr-runc ${verb}`, profileOnce([RUNC, '--root', runcRoot, ...a], dirOf(`runc-${verb}`, i), { leavesProcess: verb === 'create' }));
    }
  }
  const floor = show('node -e 0', files['node -e 0'] ?? []);
  for (const name of Object.keys(files)) if (name !== 'node -e 0') show(name, files[name]!, floor);
  console.log(`\n(load average now ${load()}${keep ? `; profiles kept in ${relative(process.cwd(), keep) || keep}` : ''})`);
}

try {
  main();
} finally {
  spawnSync(RUNC, ['--root', join(tmp, 'runc-state'), 'list', '-q'], { encoding: 'utf8' }).stdout?.split('\n').filter(Boolean).forEach((id) => spawnSync(RUNC, ['--root', join(tmp, 'runc-state'), 'delete', '--force', id]));
  spawnSync(process.execPath, [BIN, '--root', root, '--state', state, 'containers', 'rm', '--force', 'prof-c']);
  spawnSync('sh', ['-c', `grep ' ${tmp}' /proc/self/mountinfo | cut -d' ' -f5 | sort -r | xargs -r -n1 umount -l`]);
  rmSync(tmp, { recursive: true, force: true });
}
