// A reader that goes away (`tsctr --version | true`) ends the output: exit 0,
// nothing on stderr, never an unhandled EPIPE with a stack trace.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, REPO } from '../../helpers/tsctr.js';

const tmp = mkdtempSync('/tmp/tsctr-epipe-');

/** Runs a CLI with its stdout's reading end closed before the CLI can write (it takes ~100 ms to start). */
function withClosedStdout(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    c.stdout.destroy();
    let stderr = '';
    c.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    c.on('close', (code) => resolve({ code, stderr }));
  });
}

const RUNC = join(REPO, 'bin/tsctr-runc');
const CASES: Array<[string, string[]]> = [
  ['tsctr --version', [BIN, '--version']],
  ['tsctr --help', [BIN, '--help']],
  ['tsctr version', [BIN, 'version']],
  ['tsctr images ls', [BIN, '--root', join(tmp, 'root'), 'images', 'ls']],
  ['tsctr-runc --version', [RUNC, '--version']],
  ['tsctr-runc --help', [RUNC, '--help']],
];

for (const [name, argv] of CASES) {
  for (const fast of ['1', '0']) {
    test(`${name} (TSCTR_FAST=${fast}) into a closed pipe: exit 0, no stack trace`, async () => {
      const r = await withClosedStdout(argv, { TSCTR_FAST: fast });
      assert.is(r.stderr, '', r.stderr);
      assert.is(r.code, 0);
    });
  }
}

test.after(() => rmSync(tmp, { recursive: true, force: true }));
test.run();
