#!/usr/bin/env node
// npm run conformance: runs the OCI runtime-tools suite against bin/tsctr-runc
// and fails when failures or crashes exceed (or passes fall below) the counts
// recorded in expected.json. Lower the recorded counts when they improve.
// Needs root and ../shared/conformance (CI has shared/ beside the clone).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '../..');
const expected = JSON.parse(readFileSync(join(here, 'expected.json'), 'utf8'));
const script = [process.env.TSCTR_CONFORMANCE, join(repo, '../shared/conformance/runtime-tools/run.sh'), '/work/shared/conformance/runtime-tools/run.sh'].find((p) => p && existsSync(p));
if (!script) { console.log('conformance: skipped (no ../shared/conformance/runtime-tools/run.sh)'); process.exit(0); }
const r = spawnSync(script, [join(repo, 'bin/tsctr-runc'), ...process.argv.slice(2)], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', env: { T_TIMEOUT: '120', ...process.env } });
process.stdout.write(r.stdout);
const m = /runtime-tools: (\d+) passed, (\d+) failed, (\d+) skipped, (\d+) crashed/.exec(r.stdout ?? '');
if (!m) { console.error('conformance: no summary line from run.sh'); process.exit(2); }
const [passed, failed, , crashed] = m.slice(1).map(Number);
const bad = [];
if (process.argv.length <= 2) {
  if (failed > expected.maxFailed) bad.push(`${failed} failed > ${expected.maxFailed} recorded`);
  if (crashed > expected.maxCrashed) bad.push(`${crashed} crashed > ${expected.maxCrashed} recorded`);
  if (passed < expected.minPassed) bad.push(`${passed} passed < ${expected.minPassed} recorded`);
}
console.log(bad.length ? `conformance: worse than recorded: ${bad.join('; ')}` : `conformance: within the recorded counts (${expected.maxFailed} failed, ${expected.maxCrashed} crashed, ${expected.minPassed} passed)`);
process.exitCode = bad.length ? 1 : 0;
