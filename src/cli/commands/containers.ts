import type { Argv } from 'yargs';
import { openManager } from '../container-manager.js';
import type { GlobalArgs } from '../context.js';
import { formatAge, printJson, printTable } from '../render.js';


export default function register(y: Argv): Argv {
  return y
    .command(['ls', 'list'], 'list containers', (s) => s.option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'print only the ids' }).option('json', { type: 'boolean', default: false }), async (argv) => {
      const a = argv as unknown as GlobalArgs & { quiet: boolean; json: boolean };
      const { listContainers } = await import('../../runtime/container/manage.js');
      const list = await listContainers(await openManager(a));
      if (a.json) return printJson(list.map(({ record, task }) => ({ ...record, spec: undefined, task: task ? { pid: task.pid, status: task.status } : null })));
      if (a.quiet) { for (const c of list) process.stdout.write(c.record.id + '\n'); return; }
      printTable(['CONTAINER', 'IMAGE', 'RUNTIME', 'STATUS', 'CREATED'], list.map(({ record: r, task, stopped }) => [r.id, r.image ?? `rootfs:${r.rootfsDir}`, 'tsctr', task ? `running (pid ${task.pid}${task.detached ? ', detached' : ''})` : stopped ? 'stopped (task not deleted)' : 'stopped', formatAge(r.createdAt)]));
    })
    .command(['rm <id..>', 'remove', 'delete', 'del'], 'remove containers and their snapshots', (s) => s.positional('id', { type: 'string', array: true, demandOption: true }).option('force', { alias: 'f', type: 'boolean', default: false, describe: 'kill a running task first' }), async (argv) => {
      const a = argv as unknown as GlobalArgs & { id: string[]; force: boolean };
      const { removeContainer } = await import('../../runtime/container/manage.js');
      const m = await openManager(a);
      for (const id of a.id) { await removeContainer(m, id, a.force); process.stdout.write(id + '\n'); }
    })
    .command('info <id>', 'print a container\'s record and spec as JSON', (s) => s.positional('id', { type: 'string', demandOption: true }), async (argv) => {
      const a = argv as unknown as GlobalArgs & { id: string };
      const m = await openManager(a);
      const record = m.store.get(a.id);
      const { networkSummary } = await import('../../runtime/container/network/index.js');
      const network = networkSummary(m.store.taskDir(a.id));
      printJson(network ? { ...record, network } : record);
    })
    .demandCommand(1, 'name a subcommand: ls, rm, info');
}
