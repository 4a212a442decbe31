// Placeholder: the tasks commands land with their issue.
import type { Argv } from 'yargs';

export default function register(y: Argv): Argv {
  return y.demandCommand(1, 'name a subcommand; see --help');
}
