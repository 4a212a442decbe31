// What a task's state is, told from facts read now rather than from what was
// recorded: the process (pid + start time), the exec fifo (created, not yet
// started), the freezer file of its cgroup, its monitor (run -d: the
// container's parent) and the exit status its parent wrote. describeTask()
// is pure; readTaskFacts() reads /proc, cgroupfs and the core's state dir.
import { existsSync, readFileSync } from 'node:fs';
import { decodeWaitStatus, exitCodeOf } from '../sys/types.js';
import type { WaitStatus } from '../sys/index.js';
import { isFrozenState, openCgroupByPath } from './cgroup.js';
import { isTaskAlive, type Task } from './task.js';

export interface TaskFacts {
  alive: boolean;
  /** Waiting on the exec fifo: created, not started. */
  created?: boolean;
  /** freezer.state (v1) or frozen/thawed (v2); undefined without a freezer or cgroup. */
  freezer?: string;
  /** run -d only: is the monitor still the container's parent? undefined for a foreground task. */
  monitor?: boolean;
  /** The status its parent recorded. */
  exit?: WaitStatus;
  /** The kernel OOM-killed a process of the task (the oom file in its bundle: the monitor's, or the foreground tsctr's). */
  oomKilled?: boolean;
}

export type TaskStatusName = 'CREATED' | 'RUNNING' | 'PAUSING' | 'PAUSED' | 'STOPPED' | 'UNKNOWN';

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
    const status: TaskStatusName = f.created ? 'CREATED' : f.freezer === 'FREEZING' ? 'PAUSING' : isFrozenState(f.freezer) ? 'PAUSED' : 'RUNNING';
    return { status, text: status + notes(monitor === false && 'no monitor', !!f.oomKilled && 'a process was OOM-killed'), monitor, exit: null, ...oom };
  }
  if (f.exit) return { status: 'STOPPED', text: `STOPPED${notes(`exit ${exitCodeOf(f.exit)}`, !!f.oomKilled && 'OOM-killed')}`, monitor, exit: exitCodeOf(f.exit), ...oom };
  return { status: 'UNKNOWN', text: `UNKNOWN${notes('exit status lost', !!f.oomKilled && 'OOM-killed')}`, monitor, exit: null, ...oom };
}

/** The number the monitor (or a foreground tsctr) wrote to the task's oom file; 0 when there is none. */
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
export function monitorAlive(t: Task): boolean | undefined {
  if (!t.detached || !t.monitorPid) return undefined;
  if (isTaskAlive(t)) return parentPid(t.pid) === t.monitorPid;
  return undefined;
}

export function readTaskFacts(t: Task): TaskFacts {
  const alive = isTaskAlive(t);
  let freezer: string | undefined;
  if (alive && t.cgroupsPath) { try { freezer = openCgroupByPath(t.cgroupsPath, t.oci.cgroupLayout).freezerState(); } catch { freezer = undefined; } }
  const raw = readRawExit(t.exitFile);
  return { alive, created: alive && existsSync(t.fifo), freezer, monitor: monitorAlive(t), exit: raw === undefined ? undefined : decodeWaitStatus(raw), oomKilled: readOomFile(t.oomFile) > 0 };
}

function readRawExit(file: string): number | undefined {
  try {
    const s = readFileSync(file, 'utf8').trim();
    return /^\d+$/.test(s) ? Number(s) : undefined;
  } catch {
    return undefined;
  }
}
