import { readFileSync } from 'node:fs';
import { release } from 'node:os';
import type { Argv } from 'yargs';
import { loadSys } from '../../sys/index.js';

function pkgVersion(rel: string): string {
  try {
    return (JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export default function register(y: Argv): Argv {
  return y.option('json', { type: 'boolean', default: false, describe: 'print JSON' }).command('$0', false, {}, async (args) => {
    const sys = await loadSys();
    const v = {
      tsctr: pkgVersion('../../../../package.json'),
      node: process.versions.node,
      'ffi-rs': pkgVersion('../../../../node_modules/ffi-rs/package.json'),
      executor: sys.buildId(),
      kernel: release(),
    };
    if (args.json) {
      process.stdout.write(JSON.stringify(v, null, 2) + '\n');
      return;
    }
    for (const [k, val] of Object.entries(v)) process.stdout.write(`${(k + ':').padEnd(10)} ${val}\n`);
  });
}
