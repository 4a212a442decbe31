import type { Argv } from 'yargs';
import { openManager } from '../container-manager.js';
import type { GlobalArgs } from '../context.js';
import { formatSize, printJson, printTable } from '../render.js';


export default function register(y: Argv): Argv {
  return y
    .command(['ls', 'list'], 'list running tasks', (s) => s.option('json', { type: 'boolean', default: false }), async (argv) => {
      const a = argv as unknown as GlobalArgs & { json: boolean };
      const { listContainers } = await import('../../runtime/container/manage.js');
      const tasks = (await listContainers(await openManager(a))).filter((c) => c.task).map((c) => c.task!);
      if (a.json) return printJson(tasks);
      printTable(['TASK', 'PID', 'STATUS'], tasks.map((t) => [t.id, t.pid, t.status.toUpperCase()]));
    })
    .command('kill <id>', 'signal a task (default SIGTERM)', (s) => s.positional('id', { type: 'string', demandOption: true })
      .option('signal', { alias: 's', type: 'string', default: 'SIGTERM', describe: 'signal name or number' })
      .option('all', { alias: 'a', type: 'boolean', default: false, describe: 'signal every process in the container' }), async (argv) => {
      const a = argv as unknown as GlobalArgs & { id: string; signal: string; all: boolean };
      const { killTask, parseSignal } = await import('../../runtime/container/manage.js');
      await killTask(await openManager(a), a.id, parseSignal(a.signal), a.all);
    })
    .command('ps <id>', 'list the processes of a task (host pids)', (s) => s.positional('id', { type: 'string', demandOption: true }), async (argv) => {
      const a = argv as unknown as GlobalArgs & { id: string };
      const { taskPids } = await import('../../runtime/container/manage.js');
      const { readFileSync } = await import('node:fs');
      const cmd = (pid: number) => { try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim(); } catch { return ''; } };
      printTable(['PID', 'COMMAND'], (await taskPids(await openManager(a), a.id)).map((p) => [p, cmd(p)]));
    })
    .command('metrics <id>', 'print cgroup usage of a task', (s) => s.positional('id', { type: 'string', demandOption: true }).option('json', { type: 'boolean', default: false }), async (argv) => {
      const a = argv as unknown as GlobalArgs & { id: string; json: boolean };
      const { taskMetrics } = await import('../../runtime/container/manage.js');
      const m = await taskMetrics(await openManager(a), a.id);
      if (a.json) return printJson(m);
      printTable(['METRIC', 'VALUE'], Object.entries(m).map(([k, v]) => [k, v === undefined ? '-' : /bytes|memory/i.test(k) ? formatSize(v) : v]));
    })
    .demandCommand(1, 'name a subcommand: ls, kill, ps, metrics');
}
