// What a task's state is, told from facts read now rather than from what was
// recorded: the process (pid + start time), the freezer file of its cgroup,
// its monitor (run -d: the container's parent) and the exit file the monitor
// writes. describeTask() is pure; readTaskFacts() reads /proc and cgroupfs.
import { readFileSync } from 'node:fs';
import { exitCodeOf } from '../sys/types.js';
import type { WaitStatus } from '../sys/index.js';
import { isFrozenState, openCgroupByPath } from './cgroup.js';
import { readExitFile } from './monitor.js';
import { isTaskAlive, type TaskState } from './store.js';

export interface TaskFacts {
  alive: boolean;
  /** freezer.state (v1) or frozen/thawed (v2); undefined without a freezer or cgroup. */
  freezer?: string;
  /** run -d only: is the monitor still the container's parent? undefined for a foreground task. */
  monitor?: boolean;
  /** The status the monitor recorded. */
  exit?: WaitStatus;
  /** The kernel OOM-killed a process of the task (the monitor's oom file, or the foreground run's record). */
  oomKilled?: boolean;
}

export type TaskStatusName = 'RUNNING' | 'PAUSING' | 'PAUSED' | 'STOPPED' | 'UNKNOWN';

export interface TaskStatus {
  status: TaskStatusName;
  /** For the table: "RUNNING (no monitor)", "STOPPED (exit 7)", "UNKNOWN (exit status lost)". */
  text: string;
  /** false when the monitor of a detached task is gone; null when not known or not detached. */
  monitor: boolean | null;
  exit: number | null;
  /** Present (true) only when the kernel OOM-killed a process of the task. */
  oomKilled?: true;
}

export function describeTask(f: TaskFacts): TaskStatus {
  const monitor = f.monitor === undefined ? null : f.monitor;
  const oom = f.oomKilled ? { oomKilled: true as const } : {};
  const notes = (...n: (string | false)[]) => { const k = n.filter(Boolean); return k.length ? ` (${k.join(', ')})` : ''; };
  if (f.alive) {
    const status: TaskStatusName = f.freezer === 'FREEZING' ? 'PAUSING' : isFrozenState(f.freezer) ? 'PAUSED' : 'RUNNING';
    return { status, text: status + notes(monitor === false && 'no monitor', !!f.oomKilled && 'a process was OOM-killed'), monitor, exit: null, ...oom };
  }
  if (f.exit) return { status: 'STOPPED', text: `STOPPED${notes(`exit ${exitCodeOf(f.exit)}`, !!f.oomKilled && 'OOM-killed')}`, monitor, exit: exitCodeOf(f.exit), ...oom };
  return { status: 'UNKNOWN', text: `UNKNOWN${notes('exit status lost', !!f.oomKilled && 'OOM-killed')}`, monitor, exit: null, ...oom };
}

/** The number the monitor wrote to the task's oom file; 0 when there is none. */
export function readOomFile(path: string | undefined): number {
  if (!path) return 0;
  try { const n = Number(readFileSync(path, 'utf8').trim()); return Number.isSafeInteger(n) && n > 0 ? n : 0; } catch { return 0; }
}

/** The parent pid of a process, or undefined when it is gone. */
export function parentPid(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** The monitor spawned the container: while it lives, it is the container's parent; once killed, the container is reparented. */
export function monitorAlive(t: TaskState): boolean | undefined {
  if (!t.detached || !t.monitorPid) return undefined;
  if (isTaskAlive(t)) return parentPid(t.pid) === t.monitorPid;
  return undefined;
}

export function readTaskFacts(t: TaskState): TaskFacts {
  const alive = isTaskAlive(t);
  let freezer: string | undefined;
  if (alive && t.cgroupsPath) { try { freezer = openCgroupByPath(t.cgroupsPath).freezerState(); } catch { freezer = undefined; } }
  return { alive, freezer, monitor: monitorAlive(t), exit: t.exitFile ? readExitFile(t.exitFile) : undefined, oomKilled: !!t.oomKilled || readOomFile(t.oomFile) > 0 };
}
