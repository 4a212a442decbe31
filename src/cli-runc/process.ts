// pause, resume, ps, events, update on a container's cgroup (exec is in exec.ts).
import type { Argv } from 'yargs';
import { FailedPreconditionError } from '../errors.js';
import { cgroupOf, stateOf } from '../oci/lifecycle.js';
import { openRuntime, out } from './runtime.js';

const id = (c: Argv) => c.positional('id', { type: 'string', demandOption: true });

const str = (describe: string) => ({ type: 'string' as const, describe });
/** runc update's flags; values stay strings (runc's size syntax), parsed in src/oci/resources-json.ts. */
const UPDATE_FLAGS = {
  resources: { alias: 'r', ...str('a linux.resources JSON file, or - for stdin (the other flags are then ignored, as runc does)') },
  memory: str('memory limit (bytes, or 512m, 1g; -1 unlimited)'),
  'memory-reservation': str('memory soft limit'),
  'memory-swap': str('memory+swap limit (-1 unlimited)'),
  'kernel-memory': { ...str('refused: kernel memory limits are deprecated'), hidden: true },
  'kernel-memory-tcp': { ...str('refused: kernel memory limits are deprecated'), hidden: true },
  'cpu-shares': { alias: 'cpu-share', ...str('CPU shares (relative weight)') },
  'cpu-period': str('CFS period (µs)'),
  'cpu-quota': str('CFS quota (µs per period; -1 unlimited)'),
  'cpu-rt-period': str('realtime period (µs)'),
  'cpu-rt-runtime': str('realtime runtime (µs per period)'),
  'cpuset-cpus': str('CPUs to use (0-2,4)'),
  'cpuset-mems': str('memory nodes to use'),
  'pids-limit': str('maximum number of pids (-1 unlimited)'),
  'blkio-weight': str('block IO weight (10 to 1000)'),
  'l3-cache-schema': str('refused: Intel RDT is not supported'),
  'mem-bw-schema': str('refused: Intel RDT is not supported'),
};

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
    .command('events <id>', 'print cgroup stats every --interval and OOM kills, as JSON lines, until the container stops', (c) => id(c)
      .option('stats', { type: 'boolean', default: false, describe: 'print one stats event and exit' })
      .option('interval', { type: 'string', default: '5s', describe: 'time between stats events (Go duration: 5s, 500ms)' }), async (a) => {
      const { runEvents } = await import('./events-update.js');
      await runEvents(a.id, a.stats, a.interval);
    })
    .command('update <id>', 'update the resource limits of a container', (c) => id(c).options(UPDATE_FLAGS), async (a) => {
      const { runUpdate } = await import('./events-update.js');
      await runUpdate(a.id, a as unknown as Record<string, unknown>);
    });
}
