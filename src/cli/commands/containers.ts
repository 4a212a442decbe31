import type { Argv } from 'yargs';
import { openManager } from '../container-manager.js';
import { setOperation, type GlobalArgs } from '../context.js';
import { addListFlags, listOf, parseLabels, type ListArgs } from '../flags.js';
import { addContainerFlags, containerRequestOf, insertDashDash, positionalsOf, type ContainerArgs } from '../flags-run.js';
import { printJson } from '../render.js';
import { listContainersCommand } from '../quick/containers-ls.js';


/** `containers create [flags] IMAGE ID [CMD…]`: the container's words start at the image, as in run. */
export function prepareArgv(argv: string[], commandIndex: number): string[] {
  const sub = argv.findIndex((a, i) => i > commandIndex && !a.startsWith('-'));
  if (sub < 0 || argv[sub] !== 'create') return argv;
  return insertDashDash(argv, sub + 1);
}

const CREATE_USAGE = 'tsctr containers create [flags] IMAGE ID [COMMAND]';

export default function register(y: Argv): Argv {
  return y
    .command('create', 'record a container and prepare its snapshot; runs nothing (tsctr tasks start runs it)', (s) => addContainerFlags(s)
      .usage(`${CREATE_USAGE} [ARG...]\ntsctr containers create [flags] --rootfs DIR ID [COMMAND] [ARG...]\n\nTakes run's flags; start the task with tsctr tasks start [-d] ID.`), async (argv) => {
      const a = argv as unknown as ContainerArgs;
      const p = positionalsOf(a, CREATE_USAGE);
      setOperation(`containers create ${p.id}`);
      const { loadSys } = await import('../../sys/index.js');
      const { createContainer } = await import('../../container/create.js');
      const labels = Object.fromEntries(Object.entries(parseLabels(listOf(a.label))).filter(([, v]) => v !== ''));
      await createContainer({ ...containerRequestOf(a, p, labels), sys: await loadSys(), rm: false });
    })
    .command('label <id> [labels..]', 'set labels KEY=VALUE on a container (KEY= removes one); prints its labels', (s) => s
      .positional('id', { type: 'string', demandOption: true }).positional('labels', { type: 'string', array: true, default: [] }), async (argv) => {
      const a = argv as unknown as GlobalArgs & { id: string; labels: string[] };
      setOperation(`containers label ${a.id}`);
      const m = await openManager(a);
      const { labelContainer } = await import('../../container/manage.js');
      const labels = await labelContainer(m, a.id, parseLabels(a.labels.map(String)));
      process.stdout.write(Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join(',') + '\n');
    })
    .command(['ls', 'list'], 'list containers', (s) => addListFlags(s), async (argv) => listContainersCommand(argv as unknown as GlobalArgs & ListArgs))
    .command(['rm <id..>', 'remove', 'delete', 'del'], 'remove containers and their snapshots', (s) => s.positional('id', { type: 'string', array: true, demandOption: true }).option('force', { alias: 'f', type: 'boolean', default: false, describe: 'kill a running task first' }), async (argv) => {
      const a = argv as unknown as GlobalArgs & { id: string[]; force: boolean };
      const { removeContainer } = await import('../../container/manage.js');
      const m = await openManager(a);
      for (const id of a.id) { await removeContainer(m, id, a.force); process.stdout.write(id + '\n'); }
    })
    .command('info <id>', 'print a container\'s record and spec as JSON', (s) => s.positional('id', { type: 'string', demandOption: true }), async (argv) => {
      const a = argv as unknown as GlobalArgs & { id: string };
      const m = await openManager(a);
      const record = m.store.get(a.id);
      const { networkSummary } = await import('../../container/network/summary.js');
      const network = networkSummary(m.store.taskDir(a.id));
      const { describeTask, readTaskFacts } = await import('../../container/task-state.js');
      const t = m.store.getTask(a.id);
      const s = t ? describeTask(readTaskFacts(t)) : undefined;
      const task = t && s ? { pid: t.pid, status: s.status, text: s.text, exit: s.exit, oomKilled: !!s.oomKilled } : undefined;
      printJson({ ...record, ...(network ? { network } : {}), ...(task ? { task } : {}) });
    })
    .demandCommand(1, 'name a subcommand: create, ls, rm, info, label');
}
