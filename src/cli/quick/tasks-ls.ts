// `tsctr tasks ls`: the yargs handler (commands/tasks.ts) and the fast entry.
import { openManager } from '../container-manager.js';
import { listFormatOf } from '../flags.js';
import { printList, stdoutSync } from '../table.js';
import { runQuick, type QuickArgs } from './run.js';

export async function listTasksCommand(a: QuickArgs): Promise<void> {
  const { listContainers } = await import('../../container/manage.js');
  const { networkSummary } = await import('../../container/network/summary.js');
  const m = await openManager(a);
  const rows = (await listContainers(m)).filter((c) => (c.task || c.stopped) && c.state);
  const view = rows.map(({ task, stopped, state }) => {
    const t = (task ?? stopped!.task);
    return {
      id: t.id, pid: t.pid, status: state!.status, detached: !!t.detached, monitor: state!.monitor, exit: state!.exit, oomKilled: !!state!.oomKilled, text: state!.text,
      addresses: networkSummary(m.store.taskDir(t.id))?.addresses ?? [],
    };
  });
  printList(listFormatOf(a), view, { headers: ['TASK', 'PID', 'STATUS', 'ADDRESS'], row: (t) => [t.id, t.pid, t.text, t.addresses.join(',') || '-'], id: (t) => t.id, json: ({ text: _text, ...t }) => t }, stdoutSync);
}

/** The fast path's entry (bin/launch.cjs). */
export const fast = (a: QuickArgs, argv: string[]) => runQuick(() => listTasksCommand(a), argv);
