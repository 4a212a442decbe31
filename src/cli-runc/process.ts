// pause, resume, ps on a container's cgroup. exec, events and update are not
// implemented yet: they are refused with one line rather than half-done.
import type { Argv } from 'yargs';
import { FailedPreconditionError } from '../errors.js';
import { cgroupOf, stateOf } from '../oci/lifecycle.js';
import { openRuntime, out } from './runtime.js';

const id = (c: Argv) => c.positional('id', { type: 'string', demandOption: true });
const notYet = (what: string) => () => { throw new FailedPreconditionError(`${what} is not implemented by tsctr-runc yet`); };

export default function register(y: Argv): Argv {
  return y
    .command('pause <id>', 'freeze every process of the container (cgroup freezer)', id, async (a) => {
      const { record, status } = stateOf(await openRuntime(), a.id);
      if (status !== 'running') throw new FailedPreconditionError(`container not running (${status})`);
      await cgroupOf(record).freeze();
    })
    .command('resume <id>', 'thaw a paused container', id, async (a) => {
      const { record, status } = stateOf(await openRuntime(), a.id);
      if (status !== 'paused') throw new FailedPreconditionError(`container not paused (${status})`);
      cgroupOf(record).thaw();
    })
    .command('ps <id>', 'list the container\'s processes', (c) => id(c).option('format', { alias: 'f', choices: ['table', 'json'], default: 'table' }), async (a) => {
      const { record } = stateOf(await openRuntime(), a.id);
      const pids = cgroupOf(record).pids();
      if (a.format === 'json') out(JSON.stringify(pids) + '\n');
      else out('PID\n' + pids.map((p) => `${p}\n`).join(''));
    })
    .command('exec <id> [args..]', 'run a process in the container (not implemented yet)', (c) => id(c).strict(false), notYet('exec'))
    .command('events <id>', 'container events (not implemented yet)', (c) => id(c).strict(false), notYet('events'))
    .command('update <id>', 'update resource limits (not implemented yet)', (c) => id(c).strict(false), notYet('update'));
}
