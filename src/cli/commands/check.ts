import type { Argv } from 'yargs';
import type { GlobalArgs } from '../context.js';
import { colorStatus, printJson, printTable } from '../render.js';

export default function register(y: Argv): Argv {
  return y
    .option('json', { type: 'boolean', default: false, describe: 'print the results as JSON' })
    .command('$0', false, {}, async (argv) => {
      const args = argv as unknown as GlobalArgs & { json: boolean };
      const { runChecks } = await import('../../check/index.js');
      const started = performance.now();
      const results = await runChecks({ root: args.root });
      const ms = Math.round(performance.now() - started);
      const failed = results.filter((r) => r.required && r.status === 'fail');
      if (args.json) {
        printJson({ ok: failed.length === 0, durationMs: ms, results });
      } else {
        printTable(['CHECK', 'STATUS', 'DETAIL', 'HINT'], results.map((r) => [r.name, colorStatus(r.status), r.detail, r.hint ?? '']));
        process.stdout.write(`\n${failed.length === 0 ? 'this machine can run containers' : `missing: ${failed.map((f) => f.name).join(', ')}`} (${ms} ms)\n`);
      }
      if (failed.length) process.exitCode = 1;
    });
}
