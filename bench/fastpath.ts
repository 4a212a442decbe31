// The quick commands' fast path against the yargs front end, A/B in one run:
// each command line started as a user starts it (bin/ through its #! line),
// once as it is (fast path) and once with TSCTR_FAST=0 (yargs), interleaved
// with node -e 0, on a store holding the fixture image, a container and a
// running task; and tsctr-runc's verbs both ways on a sleeping container.
// Both ways go through env(1), so both pay its exec. CPU time (user+sys of
// the process, bench/rusage.c) is the figure to compare on a busy machine.
//   node dist/bench/fastpath.js [--runs 11]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, FIXTURE_IMAGE, FIXTURE_REF, REPO } from '../test/helpers/tsctr.js';
import { makeBundle } from './bundle.js';
import { load, measure, report, summarize, type Sample } from './measure.js';

const runsAt = process.argv.indexOf('--runs');
const runs = runsAt > 0 ? Number(process.argv[runsAt + 1]) : 11;
const tmp = mkdtempSync('/tmp/tsctr-bench-fastpath-');
const [root, state] = [join(tmp, 'root'), join(tmp, 'state')];
const RUNC = join(REPO, 'bin/tsctr-runc');
const node = process.execPath;

const QUICK = [['version'], ['images', 'ls'], ['containers', 'ls'], ['tasks', 'ls']];

function main(): void {
  if (process.geteuid?.() !== 0) { console.log('bench/fastpath: needs root'); return; }
  if (spawnSync(node, [join(REPO, 'fixtures/make-busybox-image.js')]).status !== 0) throw new Error('fixture build failed');
  const tsctr = (a: string[]) => execFileSync(node, [BIN, '--root', root, '--state', state, ...a], { stdio: 'ignore' });
  tsctr(['images', 'import', FIXTURE_IMAGE]);
  tsctr(['containers', 'create', FIXTURE_REF, 'fastpath-c1', 'true']);
  tsctr(['run', '-d', FIXTURE_REF, 'fastpath-t1', 'sleep', '1000']);
  const bundle = makeBundle(tmp, 'bundle', ['sleep', '30']);
  const samples: Record<string, Sample[]> = {};
  const add = (k: string, s: Sample) => (samples[k] ??= []).push(s);
  const way = (fast: boolean) => (fast ? 'fast' : 'yargs');
  try {
    for (let i = 0; i < runs; i++) {
      add('node -e 0', measure(node, ['-e', '0']));
      for (const q of QUICK) for (const fast of [true, false]) add(`${q.join(' ')} (${way(fast)})`, measure('env', [`TSCTR_FAST=${fast ? 1 : 0}`, BIN, '--root', root, '--state', state, ...q]));
      for (const fast of [true, false]) {
        const r = (...a: string[]) => ['env', `TSCTR_FAST=${fast ? 1 : 0}`, RUNC, '--root', join(tmp, 'runc'), ...a] as const;
        const id = `fp-${i}-${way(fast)}`;
        for (const [verb, a] of [['create', ['create', '--bundle', bundle, id]], ['start', ['start', id]], ['state', ['state', id]], ['list', ['list']], ['kill', ['kill', id, 'KILL']], ['delete', ['delete', '--force', id]]] as const) {
          const [cmd, ...args] = r(...a);
          add(`tsctr-runc ${verb} (${way(fast)})`, measure(cmd, args, { leavesProcess: verb === 'create' || verb === 'start' }));
        }
      }
    }
    const stats = Object.entries(samples).map(([k, v]) => summarize(k, v));
    report(`fast path vs yargs (${runs} runs each, interleaved; ratio to node -e 0; load ${load()})`, stats, 'node -e 0');
    const floor = stats.find((s) => s.name === 'node -e 0')!;
    console.log(`\nCPU ms, median (above node -e 0 = ${floor.cpuMedian?.toFixed(0)} ms): fast / yargs`);
    for (const s of stats) {
      if (!s.name.endsWith('(fast)')) continue;
      const slow = stats.find((x) => x.name === s.name.replace('(fast)', '(yargs)'))!;
      const up = (x: typeof s) => `${(x.cpuMedian! - floor.cpuMedian!).toFixed(0).padStart(4)}`;
      console.log(`  ${s.name.replace(' (fast)', '').padEnd(22)} +${up(s)} / +${up(slow)}   (wall ${s.median.toFixed(0)} / ${slow.median.toFixed(0)})`);
    }
  } finally {
    for (let i = 0; i < runs; i++) for (const w of ['fast', 'yargs']) spawnSync(RUNC, ['--root', join(tmp, 'runc'), 'delete', '--force', `fp-${i}-${w}`], { stdio: 'ignore' });
    spawnSync(node, [BIN, '--root', root, '--state', state, 'containers', 'rm', '--force', 'fastpath-t1', 'fastpath-c1'], { stdio: 'ignore' });
    spawnSync('sh', ['-c', `grep -E ' (${tmp})[^ ]* ' /proc/self/mountinfo | cut -d' ' -f5 | sort -r | xargs -r -n1 umount -l`]);
    rmSync(tmp, { recursive: true, force: true });
  }
}

main();
