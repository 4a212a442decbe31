// npm run bench: every benchmark, each printing its figures and its ratio to
// the peer tools measured in the same run.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv[2];
const benches = ['runtime', 'pull', 'unpack', 'network', 'seccomp'].filter((b) => !only || b === only);
let failed = 0;
for (const b of benches) {
  const file = join(here, `${b}.js`);
  if (!existsSync(file)) { console.log(`\n== ${b}: not built (${file})`); continue; }
  console.log(`\n== ${b}`);
  const r = spawnSync(process.execPath, [file, ...process.argv.slice(3)], { stdio: 'inherit' });
  if (r.status !== 0) { failed++; console.log(`== ${b} failed (exit ${r.status})`); }
}
process.exitCode = failed ? 1 : 0;
