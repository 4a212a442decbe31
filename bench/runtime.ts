// Start-up of every quick command and `run --rm IMG c true` of tsctr next to
// ctr (a private containerd), runc and crun, and runc's command line verb by
// verb (runc, and bin/tsctr-runc when it exists), measured in the same run,
// interleaved so a busy machine weighs on all alike. tsctr is started as a
// user starts it: bin/tsctr executed, through its #! line.
//   node dist/bench/runtime.js [--runs 10] [--lifecycle-only]
// crun refuses a hybrid layout whose cgroup2 mount carries controllers
// ("cgroups in hybrid mode not supported, drop all controllers from
// cgroupv2"; --cgroup-manager=disabled does not help, the check comes first).
// So crun runs through `nsenter --mount=F` into a private mount namespace
// where that cgroup2 mount is unmounted (a legacy v1 view); nsenter's own
// cost is measured in the same run (`nsenter --mount=F true`).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startContainerd } from '../test/helpers/containerd.js';
import { BIN, FIXTURE_IMAGE, FIXTURE_REF, REPO } from '../test/helpers/tsctr.js';
import { makeBundle as makeBundleIn } from './bundle.js';
import { have, measure, medianParts, record, report, rowOf, rssParts, summarize, type RssParts, type Sample } from './measure.js';

const runsAt = process.argv.indexOf('--runs');
const runs = runsAt > 0 ? Number(process.argv[runsAt + 1]) : 10;
const lifecycleOnly = process.argv.includes('--lifecycle-only');
const tmp = mkdtempSync('/tmp/tsctr-bench-run-');
const root = join(tmp, 'root');
const state = join(tmp, 'state');
const node = process.execPath;
const tsctr = (a: string[]) => [BIN, '--root', root, '--state', state, ...a];

/** An OCI bundle for runc/crun with the fixture's rootfs and `args` (default `true`) as the process. */
const makeBundle = (name = 'bundle', args = ['true']) => makeBundleIn(tmp, name, args);

/** The same operation for tsctr and its peer: a label, and argv per tool (undefined: the tool has none). */
interface Pair { key: string; tsctr: string[]; ctr?: string[] }
const STARTUP: Pair[] = [
  { key: 'version-flag', tsctr: ['--version'], ctr: ['--version'] },
  { key: 'version', tsctr: ['version'], ctr: ['version'] },
  { key: 'images-ls', tsctr: ['images', 'ls'], ctr: ['images', 'ls'] },
  { key: 'tasks-ls', tsctr: ['tasks', 'ls'], ctr: ['tasks', 'ls'] },
  { key: 'containers-ls', tsctr: ['containers', 'ls'], ctr: ['containers', 'ls'] },
  { key: 'help', tsctr: ['--help'] },
  { key: 'check', tsctr: ['check'] },
];

/** A runc-like binary: argv prefix (nsenter for crun here) and the binary. */
interface RuncLike { name: string; bin: string; pre: string[] }

/**
 * The private mount namespace crun needs on a hybrid host whose cgroup2
 * mount has controllers (see the top): a bind-mounted namespace file, or
 * undefined when crun runs as it is. The caller unmounts the file.
 */
function crunMountNs(): string | undefined {
  const controllers = (() => { try { return readFileSync('/sys/fs/cgroup/unified/cgroup.controllers', 'utf8').trim(); } catch { return ''; } })();
  if (!controllers) return undefined;
  const file = join(tmp, 'crun-mntns');
  writeFileSync(file, '');
  execFileSync('unshare', [`--mount=${file}`, '--propagation', 'private', 'umount', '/sys/fs/cgroup/unified']);
  return file;
}

/**
 * What peak RSS is made of, for node -e 0, tsctr run --rm and images ls
 * (issue 10's RSS target): VmHWM and RssAnon/RssFile at exit, medians of a
 * few runs, printed and keyed as the rows they belong to.
 */
function rssPartsOf(runs: number): Record<string, RssParts> {
  const n = Math.max(3, Math.min(runs, 5));
  const cases: [string, string, string[]][] = [
    ['node', process.execPath, ['-e', '0']],
    ['tsctr.run', BIN, tsctr(['run', '--rm', FIXTURE_REF, 'rss-parts', 'true']).slice(1)],
    ['tsctr.images-ls', BIN, tsctr(['images', 'ls']).slice(1)],
  ];
  const out: Record<string, RssParts> = {};
  const samples = new Map<string, RssParts[]>(cases.map(([k]) => [k, []]));
  for (let i = 0; i < n; i++) for (const [key, cmd, args] of cases) { const p = rssParts(cmd, args); if (p) samples.get(key)!.push(p); }
  console.log(`\npeak RSS parts, MiB (median of ${n}; VmHWM, and RssAnon / RssFile / RssShmem at exit)`);
  const mib = (k: number) => (k / 1024).toFixed(1).padStart(6);
  for (const [key] of cases) {
    const m = medianParts(samples.get(key)!);
    if (!m) { console.log(`  ${key.padEnd(18)} (no probe output)`); continue; }
    out[key] = m;
    console.log(`  ${key.padEnd(18)} ${mib(m.hwm)} = anon ${mib(m.anon)} + file ${mib(m.file)} + shmem ${mib(m.shmem)}`);
  }
  return out;
}

/** runc's command line, one verb at a time, on a prepared bundle: runc, crun and bin/tsctr-runc, where present. */
function runcLike(crunNs: string | undefined): RuncLike[] {
  const out: RuncLike[] = [];
  if (have('runc')) out.push({ name: 'runc', bin: 'runc', pre: [] });
  if (have('crun')) out.push(crunNs ? { name: 'crun', bin: 'nsenter', pre: [`--mount=${crunNs}`, 'crun'] } : { name: 'crun', bin: 'crun', pre: [] });
  const ours = join(REPO, 'bin/tsctr-runc');
  if (existsSync(ours)) out.push({ name: 'tsctr-runc', bin: ours, pre: [] });
  return out;
}
const LIFECYCLE = ['create', 'start', 'state', 'kill', 'delete'] as const;

function lifecycleOnce(r: RuncLike, stateDir: string, bundle: string, id: string, into: Record<string, Sample[]>): void {
  const argv: Record<(typeof LIFECYCLE)[number], string[]> = {
    create: ['--root', stateDir, 'create', '--bundle', bundle, id],
    start: ['--root', stateDir, 'start', id],
    state: ['--root', stateDir, 'state', id],
    kill: ['--root', stateDir, 'kill', id, 'KILL'],
    delete: ['--root', stateDir, 'delete', '--force', id],
  };
  for (const verb of LIFECYCLE) (into[`${r.name} ${verb}`] ??= []).push(measure(r.bin, [...r.pre, ...argv[verb]], { leavesProcess: true }));
}

/** The verbs as rows, one column per runtime: median wall / median CPU, in ms. */
function lifecycleTable(lifecycle: Record<string, Sample[]>, names: string[], floor: Sample[], nsenter: Sample[]): void {
  const cell = (k: string, v: Sample[] | undefined) => {
    if (!v?.length) return '-';
    const st = summarize(k, v);
    return `${st.median.toFixed(0)} / ${st.cpuMedian !== undefined ? st.cpuMedian.toFixed(0) : '-'}`;
  };
  console.log(`\nmedian wall / CPU (ms), ${runs} runs, interleaved; node -e 0: ${cell('node', floor)}${nsenter.length ? `; nsenter --mount=F true: ${cell('nsenter', nsenter)} (included in crun's)` : ''}`);
  console.log(`  | verb | ${names.join(' | ')} |`);
  console.log(`  |---|${names.map(() => '---|').join('')}`);
  for (const v of LIFECYCLE) console.log(`  | ${v} | ${names.map((n) => cell(`${n} ${v}`, lifecycle[`${n} ${v}`])).join(' | ')} |`);
}

async function lifecycleMain(): Promise<void> {
  const sleepBundle = makeBundle('bundle-sleep', ['sleep', '30']);
  const crunNs = have('crun') ? crunMountNs() : undefined;
  try {
    const floor: Sample[] = [];
    const nsenter: Sample[] = [];
    const lifecycle: Record<string, Sample[]> = {};
    const peers = runcLike(crunNs);
    for (let i = 0; i < runs; i++) {
      floor.push(measure(node, ['-e', '0']));
      if (crunNs) nsenter.push(measure('nsenter', [`--mount=${crunNs}`, 'true']));
      for (const r of peers) lifecycleOnce(r, join(tmp, `lc-${r.name}`), sleepBundle, `lc${i}`, lifecycle);
    }
    const extra = [summarize('node -e 0', floor), ...(nsenter.length ? [summarize('nsenter --mount=F true', nsenter)] : [])];
    report(`runc command line, one verb at a time (sleep 30 bundle; ratio to node -e 0)`, [...extra, ...Object.entries(lifecycle).map(([k, v]) => summarize(k, v))], 'node -e 0');
    lifecycleTable(lifecycle, peers.map((p) => p.name), floor, nsenter);
  } finally {
    if (crunNs) spawnSync('umount', [crunNs]);
  }
}

async function main(): Promise<void> {
  if (process.geteuid?.() !== 0) { console.log('bench/runtime: needs root'); return; }
  if (spawnSync(node, [join(REPO, 'fixtures/make-busybox-image.js')]).status !== 0) throw new Error('fixture build failed');
  if (lifecycleOnly) {
    try { await lifecycleMain(); } finally { rmSync(tmp, { recursive: true, force: true }); }
    return;
  }
  execFileSync(node, tsctr(['images', 'import', FIXTURE_IMAGE]));
  const bundle = makeBundle();
  const sleepBundle = makeBundle('bundle-sleep', ['sleep', '30']);
  const ctd = have('containerd') && have('ctr') ? await startContainerd() : undefined;
  try {
    if (ctd) {
      const imp = await ctd.ctr(['-n', 'bench', 'images', 'import', FIXTURE_IMAGE]);
      if (imp.code !== 0) throw new Error(`ctr import: ${imp.stderr}`);
    }
    const ctrArgs = (a: string[]) => (a[0] === '--version' ? a : ['--address', ctd!.address, '-n', 'bench', ...a]);
    const startup: Record<string, Sample[]> = { 'node -e 0': [] };
    for (const p of STARTUP) {
      startup[`tsctr ${p.tsctr.join(' ')}`] = [];
      if (p.ctr && ctd) startup[`ctr ${p.ctr.join(' ')}`] = [];
    }
    const run: Record<string, Sample[]> = { 'tsctr run --rm IMG c true': [] };
    if (ctd) run['ctr run --rm IMG c true'] = [];
    if (have('runc')) run['runc run (bundle, true)'] = [];
    if (have('crun')) run['crun run (bundle, true)'] = [];
    const lifecycle: Record<string, Sample[]> = {};
    const unavailable = new Map<string, string>();
    /** A peer that cannot run here is reported once and dropped, not fatal. */
    const tryPeer = (table: Record<string, Sample[]>, name: string, f: () => Sample) => {
      if (!table[name] || unavailable.has(name)) return;
      try { table[name]!.push(f()); } catch (e) { unavailable.set(name, (e as Error).message.split('\n')[0]!); delete table[name]; }
    };
    for (let i = 0; i < runs; i++) {
      startup['node -e 0']!.push(measure(node, ['-e', '0']));
      for (const p of STARTUP) {
        startup[`tsctr ${p.tsctr.join(' ')}`]!.push(measure(BIN, tsctr(p.tsctr).slice(1)));
        if (p.ctr && ctd) tryPeer(startup, `ctr ${p.ctr.join(' ')}`, () => measure('ctr', ctrArgs(p.ctr!)));
      }
      run['tsctr run --rm IMG c true']!.push(measure(BIN, tsctr(['run', '--rm', FIXTURE_REF, `speed-b${i}`, 'true']).slice(1)));
      tryPeer(run, 'ctr run --rm IMG c true', () => measure('ctr', ctrArgs(['run', '--rm', FIXTURE_REF, `b${i}`, 'true'])));
      tryPeer(run, 'runc run (bundle, true)', () => measure('runc', ['--root', join(tmp, 'runc'), 'run', '--bundle', bundle, `b${i}`]));
      tryPeer(run, 'crun run (bundle, true)', () => measure('crun', ['--root', join(tmp, 'crun'), 'run', '--bundle', bundle, `b${i}`]));
      for (const r of runcLike(undefined)) {
        if (r.name === 'crun') continue; // needs its mount namespace: --lifecycle-only measures it
        try { lifecycleOnce(r, join(tmp, `lc-${r.name}`), sleepBundle, `lc${i}`, lifecycle); } catch (e) { unavailable.set(`${r.name} lifecycle`, (e as Error).message.split('\n')[0]!); }
      }
    }
    const parts = rssPartsOf(runs);
    const startupStats = Object.entries(startup).map(([k, v]) => summarize(k, v));
    const runStats = Object.entries(run).map(([k, v]) => summarize(k, v));
    report(`start-up (${runs} runs each; ratio to node -e 0)`, startupStats, 'node -e 0');
    report(`run a container to completion (${runs} runs each; ratio to runc)`, runStats, 'runc run (bundle, true)');
    const lifecycleStats = Object.entries(lifecycle).map(([k, v]) => summarize(k, v));
    if (lifecycleStats.length) report(`runc command line, one verb at a time (sleep 30 bundle; ratio to runc create)`, lifecycleStats, 'runc create');
    for (const [name, why] of unavailable) console.log(`  ${name}: could not run here: ${why}`);
    const stat = (name: string) => startupStats.find((s) => s.name === name) ?? runStats.find((s) => s.name === name);
    const rows = [rowOf('node', stat('node -e 0')!)];
    for (const p of STARTUP) {
      rows.push(rowOf(`tsctr.${p.key}`, stat(`tsctr ${p.tsctr.join(' ')}`)!));
      const peer = p.ctr && stat(`ctr ${p.ctr.join(' ')}`);
      if (peer) rows.push(rowOf(`ctr.${p.key}`, peer));
    }
    for (const [key, name] of [['tsctr.run', 'tsctr run --rm IMG c true'], ['ctr.run', 'ctr run --rm IMG c true'], ['runc.run', 'runc run (bundle, true)'], ['crun.run', 'crun run (bundle, true)']] as const) {
      const s = stat(name);
      if (s) rows.push(rowOf(key, s));
    }
    for (const r of rows) if (parts[r.key]) r.rssParts = parts[r.key];
    // tsctr-runc's verbs, with runc's as their peer (keys tsctr.runc-<verb> / ctr.runc-<verb>: the summary pairs tsctr.X with ctr.X).
    for (const s of lifecycleStats) {
      const [tool, verb] = s.name.split(' ');
      if (tool === 'tsctr-runc') rows.push(rowOf(`tsctr.runc-${verb}`, s));
      else if (tool === 'runc') rows.push(rowOf(`ctr.runc-${verb}`, s));
    }
    record(rows);
  } finally {
    await ctd?.stop();
    spawnSync('sh', ['-c', `grep ' ${tmp}' /proc/self/mountinfo | cut -d' ' -f5 | sort -r | xargs -r -n1 umount -l`]);
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
