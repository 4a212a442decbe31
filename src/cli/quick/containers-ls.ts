// `tsctr containers ls`: the yargs handler (commands/containers.ts) and the fast entry.
import { openManager } from '../container-manager.js';
import { listFormatOf } from '../flags.js';
import { formatAge, printList, stdoutSync } from '../table.js';
import { runQuick, type QuickArgs } from './run.js';

type Row = Awaited<ReturnType<typeof import('../../container/manage.js').listContainers>>[number];

/** running (pid 12, detached) · paused (pid 12) · running (pid 12, no monitor) · stopped (task not deleted) · unknown (exit status lost) */
function containerStatus(task: Row['task'], stopped: Row['stopped'], state: Row['state']): string {
  if (task && state?.status === 'CREATED') return `created (pid ${task.pid} waits for start${task.detached ? ', detached' : ''})`;
  if (task && state) return `${state.status.toLowerCase()} (pid ${task.pid}${task.detached ? ', detached' : ''}${state.monitor === false ? ', no monitor' : ''})`;
  if (stopped) return state?.status === 'UNKNOWN' ? 'unknown (exit status lost, task not deleted)' : 'stopped (task not deleted)';
  return 'stopped';
}

export async function listContainersCommand(a: QuickArgs): Promise<void> {
  const { listContainers } = await import('../../container/manage.js');
  printList(listFormatOf(a), await listContainers(await openManager(a)), {
    headers: ['CONTAINER', 'IMAGE', 'RUNTIME', 'STATUS', 'CREATED'],
    row: ({ record: r, task, stopped, state }) => [r.id, r.image ?? `rootfs:${r.rootfsDir}`, 'tsctr', containerStatus(task, stopped, state), formatAge(r.createdAt)],
    id: (c) => c.record.id,
    json: ({ record, task, state }) => ({ ...record, spec: undefined, task: task && state ? { pid: task.pid, status: state.status.toLowerCase(), monitor: state.monitor, oomKilled: !!state.oomKilled } : null }),
  }, stdoutSync);
}

/** The fast path's entry (bin/launch.cjs). */
export const fast = (a: QuickArgs, argv: string[]) => runQuick(() => listContainersCommand(a), argv);
