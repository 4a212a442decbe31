// `tsctr version [--json]`: the yargs handler (commands/version.ts) and the fast entry.
import { readFileSync } from 'node:fs';
import { release } from 'node:os';
import { stdoutSync } from '../table.js';
import { runQuick, type QuickArgs } from './run.js';

function pkgVersion(rel: string): string {
  try {
    return (JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export async function printVersion(a: { json: boolean }): Promise<void> {
  const { loadSys } = await import('../../sys/index.js');
  const sys = await loadSys();
  const v = {
    tsctr: pkgVersion('../../../../package.json'),
    node: process.versions.node,
    'ffi-rs': pkgVersion('../../../../node_modules/ffi-rs/package.json'),
    executor: sys.buildId(),
    kernel: release(),
  };
  if (a.json) {
    stdoutSync.write(JSON.stringify(v, null, 2) + '\n');
    return;
  }
  for (const [k, val] of Object.entries(v)) stdoutSync.write(`${(k + ':').padEnd(10)} ${val}\n`);
}

/** The fast path's entry (bin/launch.cjs). */
export const fast = (a: QuickArgs, argv: string[]) => runQuick(() => printVersion(a), argv);
