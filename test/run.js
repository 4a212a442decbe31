#!/usr/bin/env node
// Runs the uvu suites (unit, then integration) on the compiled tests in
// dist/test and ends with one line: `N passed, N failed, N skipped`.
// Usage: node test/run.js [unit|integration] [file-pattern]
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const only = process.argv[2];
const pattern = process.argv[3] ?? '.*\\.test\\.js$';
const suites = only ? [only] : ['unit', 'integration'];
const uvu = join(root, 'node_modules/uvu/bin.js');

function runSuite(name) {
  return new Promise((resolve) => {
    const dir = join(root, 'dist/test', name);
    if (!existsSync(dir)) {
      console.log(`suite ${name}: no compiled tests in ${dir}`);
      resolve({ total: 0, passed: 0, skipped: 0, crashed: true });
      return;
    }
    console.log(`\n=== ${name} tests ===`);
    const p = spawn(process.execPath, [uvu, dir, pattern], { cwd: root, env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => { out += d; process.stdout.write(d); });
    p.on('close', (code) => {
      const clean = out.replace(/\x1b\[[0-9;]*m/g, '');
      const num = (label) => { const m = clean.match(new RegExp(`${label}:\\s+(\\d+)`)); return m ? Number(m[1]) : null; };
      const total = num('Total'), passed = num('Passed'), skipped = num('Skipped');
      if (total === null || passed === null) {
        console.log(`suite ${name}: uvu exited ${code} without totals (a test file failed to load?)`);
        resolve({ total: 1, passed: 0, skipped: 0, crashed: true });
        return;
      }
      resolve({ total, passed, skipped: skipped ?? 0, crashed: code !== 0 && total === passed });
    });
  });
}

let passed = 0, failed = 0, skipped = 0;
for (const s of suites) {
  const r = await runSuite(s);
  passed += r.passed;
  failed += r.total - r.passed + (r.crashed && r.total === r.passed ? 1 : 0);
  skipped += r.skipped;
}
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exitCode = failed > 0 ? 1 : 0;
