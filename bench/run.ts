// npm run bench: every benchmark, each printing its figures and its ratio to
// the peer tools measured in the same run; then one summary of the figures
// against node -e 0 and the peers, with each target of issue 10 met or not.
//   node dist/bench/run.js [runtime,pull,…] [args for those benches]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Row } from './measure.js';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv[2];
const benches = ['runtime', 'fastpath', 'pull', 'unpack', 'network', 'seccomp', 'profile'].filter((b) => !only || only.split(',').includes(b));
const dir = mkdtempSync(join(tmpdir(), 'tsctr-bench-results-'));
const resultsFile = join(dir, 'rows.jsonl');
let failed = 0;
for (const b of benches) {
  const file = join(here, `${b}.js`);
  if (!existsSync(file)) { console.log(`\n== ${b}: not built (${file})`); continue; }
  console.log(`\n== ${b}`);
  const r = spawnSync(process.execPath, [file, ...process.argv.slice(3)], { stdio: 'inherit', env: { ...process.env, BENCH_RESULTS: resultsFile } });
  if (r.status !== 0) { failed++; console.log(`== ${b} failed (exit ${r.status})`); }
}
const rows = new Map<string, Row>();
if (existsSync(resultsFile)) for (const l of readFileSync(resultsFile, 'utf8').split('\n').filter(Boolean)) { const r = JSON.parse(l) as Row; rows.set(r.key, r); }
rmSync(dir, { recursive: true, force: true });
summarize(rows);
process.exitCode = failed ? 1 : 0;

interface Target { what: string; check: () => { figure: string; met: boolean } | undefined }

function summarize(rows: Map<string, Row>): void {
  const node = rows.get('node');
  const ms = (v: number) => `${v.toFixed(0)} ms`;
  const vsFloor = (r: Row) => (node ? `floor + ${(r.median - node.median).toFixed(0)} ms (${(r.median / node.median).toFixed(2)}x)${r.cpu !== undefined && node.cpu !== undefined ? `; CPU floor + ${(r.cpu - node.cpu).toFixed(0)} ms` : ''}` : '');
  if (!rows.size) return;
  console.log(`\n== summary (medians of wall time; floor = node -e 0${node ? ` = ${ms(node.median)}${node.cpu !== undefined ? `, CPU ${ms(node.cpu)}` : ''}` : ''}; load average when measured: ${node?.load ?? '?'}; now: ${loadavg().map((x) => x.toFixed(2)).join(' ')})`);
  console.log(`  ${'figure'.padEnd(58)} ${'tsctr'.padStart(9)} ${'peer'.padStart(9)} ${'tsctr/peer'.padStart(10)}  vs floor`);
  for (const [key, r] of rows) {
    if (!key.startsWith('tsctr.')) continue;
    const peer = rows.get('ctr.' + key.slice(6));
    const ratio = peer ? `${(r.median / peer.median).toFixed(2)}x` : '';
    console.log(`  ${r.label.slice(0, 58).padEnd(58)} ${ms(r.median).padStart(9)} ${(peer ? ms(peer.median) : '').padStart(9)} ${ratio.padStart(10)}  ${key.startsWith('tsctr.pull') ? '' : vsFloor(r)}`);
  }
  const run = rows.get('tsctr.run');
  const runc = rows.get('runc.run');
  if (run && runc) console.log(`  tsctr run --rm vs runc run: ${(run.median / runc.median).toFixed(2)}x`);
  const within = (key: string, extra: number) => () => {
    const r = rows.get(key);
    return r && node ? { figure: vsFloor(r), met: r.median <= node.median + extra } : undefined;
  };
  const ratioTo = (key: string, limit: number) => () => {
    const [r, p] = [rows.get('tsctr.' + key), rows.get('ctr.' + key)];
    return r && p ? { figure: `${ms(r.median)} vs ctr ${ms(p.median)}: ${(r.median / p.median).toFixed(2)}x`, met: r.median <= limit * p.median } : undefined;
  };
  const targets: Target[] = [
    { what: 'run --rm <= floor + 45 ms', check: within('tsctr.run', 45) },
    { what: 'run --rm <= ctr run --rm', check: ratioTo('run', 1) },
    { what: 'tsctr version <= floor + 20 ms', check: within('tsctr.version', 20) },
    { what: 'tsctr-runc state <= floor + 15 ms', check: within('tsctr.runc-state', 15) },
    { what: 'tsctr-runc start <= floor + 15 ms', check: within('tsctr.runc-start', 15) },
    { what: 'tsctr-runc kill <= floor + 15 ms', check: within('tsctr.runc-kill', 15) },
    { what: 'tsctr-runc delete <= floor + 15 ms', check: within('tsctr.runc-delete', 15) },
    { what: 'tsctr-runc create <= floor + 30 ms', check: within('tsctr.runc-create', 30) },
    { what: 'tsctr --version <= floor + 20 ms', check: within('tsctr.version-flag', 20) },
    { what: 'images ls <= floor + 20 ms', check: within('tsctr.images-ls', 20) },
    { what: 'tasks ls <= floor + 20 ms', check: within('tsctr.tasks-ls', 20) },
    { what: 'containers ls <= floor + 20 ms', check: within('tsctr.containers-ls', 20) },
    { what: 'pull + unpack ~50 MB, 2 layers <= 0.15x ctr', check: ratioTo('pull.two-layers', 0.15) },
    { what: 'busybox cold pull <= 1.0x ctr', check: ratioTo('pull.busybox', 1) },
    {
      what: 'peak RSS of run <= 1.2x node -e 0',
      check: () => (run?.rssKiB && node?.rssKiB ? { figure: `${(run.rssKiB / 1024).toFixed(1)} MiB vs ${(node.rssKiB / 1024).toFixed(1)} MiB: ${(run.rssKiB / node.rssKiB).toFixed(2)}x${partsOf(run, node)}`, met: run.rssKiB <= 1.2 * node.rssKiB } : undefined),
    },
  ];
  console.log('\n== targets (issue 10)');
  for (const t of targets) {
    const r = t.check();
    console.log(`  ${(r ? (r.met ? 'met    ' : 'NOT met') : 'no data').padEnd(8)} ${t.what.padEnd(46)} ${r?.figure ?? ''}`);
  }
}

/** The anonymous and file-backed parts of two rows' peak RSS, when the bench measured them (bench/runtime.ts rssPartsOf). */
function partsOf(a: Row, b: Row): string {
  const [p, q] = [a.rssParts, b.rssParts];
  if (!p || !q) return '';
  const mib = (k: number) => (k / 1024).toFixed(1);
  return ` (anon ${mib(p.anon)} vs ${mib(q.anon)}, file ${mib(p.file)} vs ${mib(q.file)} MiB)`;
}
