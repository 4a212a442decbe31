// Start-up and `run --rm IMG c true` of tsctr next to ctr (a private
// containerd), runc and crun, measured in the same run, interleaved so a busy
// machine weighs on all alike.
//   node dist/bench/runtime.js [--runs 10]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startContainerd } from '../test/helpers/containerd.js';
import { BIN, FIXTURE_IMAGE, FIXTURE_REF, REPO } from '../test/helpers/tsctr.js';
import { have, measure, report, summarize, type Sample } from './measure.js';

const runsAt = process.argv.indexOf('--runs');
const runs = runsAt > 0 ? Number(process.argv[runsAt + 1]) : 10;
const tmp = mkdtempSync('/tmp/tsctr-bench-run-');
const root = join(tmp, 'root');
const state = join(tmp, 'state');
const node = process.execPath;
const tsctr = (a: string[]) => [BIN, '--root', root, '--state', state, ...a];

/** An OCI bundle for runc/crun with the fixture's rootfs and `true` as the process. */
function makeBundle(): string {
  const bundle = join(tmp, 'bundle');
  const layout = join(tmp, 'layout');
  mkdirSync(join(bundle, 'rootfs'), { recursive: true });
  mkdirSync(layout);
  execFileSync('tar', ['-C', layout, '-xf', FIXTURE_IMAGE]);
  const blob = (d: string) => join(layout, 'blobs/sha256', d.slice(7));
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8'));
  const manifest = JSON.parse(readFileSync(blob(index.manifests[0].digest), 'utf8'));
  for (const l of manifest.layers) execFileSync('tar', ['-C', join(bundle, 'rootfs'), '-xzf', blob(l.digest)]);
  execFileSync('runc', ['spec', '--bundle', bundle]);
  const spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
  spec.process.terminal = false;
  spec.process.args = ['true'];
  spec.root.readonly = false;
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));
  return bundle;
}

async function main(): Promise<void> {
  if (process.geteuid?.() !== 0) { console.log('bench/runtime: needs root'); return; }
  if (spawnSync(node, [join(REPO, 'fixtures/make-busybox-image.js')]).status !== 0) throw new Error('fixture build failed');
  execFileSync(node, tsctr(['images', 'import', FIXTURE_IMAGE]));
  const bundle = makeBundle();
  const ctd = have('containerd') && have('ctr') ? await startContainerd() : undefined;
  try {
    if (ctd) {
      const imp = await ctd.ctr(['-n', 'bench', 'images', 'import', FIXTURE_IMAGE]);
      if (imp.code !== 0) throw new Error(`ctr import: ${imp.stderr}`);
    }
    const startup: Record<string, Sample[]> = { 'node -e 0': [], 'tsctr --version': [], 'tsctr --help': [], 'tsctr images ls': [], 'tsctr check': [] };
    const run: Record<string, Sample[]> = { 'tsctr run --rm IMG c true': [] };
    if (ctd) run['ctr run --rm IMG c true'] = [];
    if (have('runc')) run['runc run (bundle, true)'] = [];
    if (have('crun')) run['crun run (bundle, true)'] = [];
    const unavailable = new Map<string, string>();
    /** A peer that cannot run here is reported once and dropped, not fatal. */
    const tryPeer = (name: string, f: () => Sample) => {
      if (!run[name] || unavailable.has(name)) return;
      try { run[name]!.push(f()); } catch (e) { unavailable.set(name, (e as Error).message.split('\n')[0]!); delete run[name]; }
    };
    for (let i = 0; i < runs; i++) {
      startup['node -e 0']!.push(measure(node, ['-e', '0']));
      startup['tsctr --version']!.push(measure(node, [BIN, '--version']));
      startup['tsctr --help']!.push(measure(node, [BIN, '--help']));
      startup['tsctr images ls']!.push(measure(node, tsctr(['images', 'ls'])));
      startup['tsctr check']!.push(measure(node, tsctr(['check'])));
      run['tsctr run --rm IMG c true']!.push(measure(node, tsctr(['run', '--rm', FIXTURE_REF, `b${i}`, 'true'])));
      tryPeer('ctr run --rm IMG c true', () => measure('ctr', ['--address', ctd!.address, '-n', 'bench', 'run', '--rm', FIXTURE_REF, `b${i}`, 'true']));
      tryPeer('runc run (bundle, true)', () => measure('runc', ['--root', join(tmp, 'runc'), 'run', '--bundle', bundle, `b${i}`]));
      tryPeer('crun run (bundle, true)', () => measure('crun', ['--root', join(tmp, 'crun'), 'run', '--bundle', bundle, `b${i}`]));
    }
    report(`start-up (${runs} runs each)`, Object.entries(startup).map(([k, v]) => summarize(k, v)), 'node -e 0');
    report(`run a container to completion (${runs} runs each; ratio to runc)`, Object.entries(run).map(([k, v]) => summarize(k, v)), 'runc run (bundle, true)');
    for (const [name, why] of unavailable) console.log(`  ${name}: could not run here: ${why}`);
  } finally {
    await ctd?.stop();
    spawnSync('sh', ['-c', `grep ' ${tmp}' /proc/self/mountinfo | cut -d' ' -f5 | sort -r | xargs -r -n1 umount -l`]);
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
