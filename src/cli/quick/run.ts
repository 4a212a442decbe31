// What every quick command's fast entry does around its body: the same error
// text and exit code as the yargs front end (report.ts), without yargs.
import type { GlobalArgs } from '../context.js';
import type { ListArgs } from '../flags.js';
import { reportFailure } from '../report.js';

/** What src/cli/fast-argv.ts parsed: the handler's arguments, as yargs would have given them. */
export type QuickArgs = GlobalArgs & ListArgs;

export async function runQuick(body: () => Promise<void>, argv: string[]): Promise<void> {
  try {
    await body();
  } catch (err) {
    reportFailure(err, argv);
  }
}
