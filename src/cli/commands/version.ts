import type { Argv } from 'yargs';
import { printVersion } from '../quick/version.js';

export default function register(y: Argv): Argv {
  return y.option('json', { type: 'boolean', default: false, describe: 'print JSON' }).command('$0', false, {}, async (args) => printVersion({ json: !!args.json }));
}
