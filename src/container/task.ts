// A container's task as the client sees it, read from the runtime core's one
// record (oci/state.ts) plus the bundle directory beside it. Nothing here is
// written: the core writes state.json, the task's parent writes the exit
// status (the monitor, or the foreground tsctr), start.ts writes the bundle.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Sys } from '../sys/index.js';
import { cgroupOf, type Runtime } from '../oci/lifecycle.js';
import { isAlive, procStat, statusOf, type ContainerRecord as OciRecord, type Status } from '../oci/state.js';
import type { CgroupManager } from '../oci/cgroups/index.js';
import type { ContainerStore } from './store.js';

export interface Task {
  id: string;
  pid: number;
  /** /proc/<pid>/stat field 22: tells a reused pid from ours. */
  startTime: string;
  cgroupsPath?: string;
  /** Left under tsctr-monitor (run -d, tasks start -d). */
  detached: boolean;
  monitorPid?: number;
  /** The bundle: config.json, rootfs, network files, log. */
  dir: string;
  logFile?: string;
  /** Where its parent writes the raw wait status (the core's state dir). */
  exitFile: string;
  /** The core's exec fifo: there while the task is created but not started. */
  fifo: string;
  /** A detached task's attach socket (the monitor serves it). */
  attachSocket?: string;
  /** The task's process has a terminal. */
  tty: boolean;
  /** Where the monitor (run -d) or the foreground tsctr writes how many OOM kills it saw (absent: none). */
  oomFile: string;
  /** The core's record. */
  oci: OciRecord;
}

export function runtimeOf(store: ContainerStore, sys: Sys, warn: (l: string) => void): Runtime {
  return { sys, dir: store.runtime(), warn };
}

export function toTask(store: ContainerStore, r: OciRecord): Task {
  const dir = store.taskDir(r.id);
  const detached = r.parent?.kind === 'monitor';
  return {
    id: r.id, pid: r.pid, startTime: r.startTime, cgroupsPath: r.cgroupsPath, detached, monitorPid: detached ? r.parent!.pid : undefined,
    dir, logFile: detached && existsSync(join(dir, 'log')) ? join(dir, 'log') : undefined, oci: r,
    exitFile: store.runtime().exitFile(r.id), fifo: store.runtime().fifo(r.id),
    attachSocket: detached && existsSync(join(dir, 'attach.sock')) ? join(dir, 'attach.sock') : undefined,
    tty: !!r.spec.process?.terminal, oomFile: join(dir, 'oom'),
  };
}

/** The task of a container, or undefined when it has none (or its create has not recorded it yet). */
export function readTask(store: ContainerStore, id: string): Task | undefined {
  const r = store.runtime().read(id);
  return r && r.pid ? toTask(store, r) : undefined;
}

export function listTasks(store: ContainerStore): Task[] {
  return store.runtime().ids().map((id) => readTask(store, id)).filter((t): t is Task => t !== undefined);
}

export const isTaskAlive = (t: Pick<Task, 'pid' | 'startTime'>): boolean => t.pid > 0 && isAlive(t);

/** The core's status: created (waiting on the exec fifo), running, paused, stopped. */
export function coreStatus(store: ContainerStore, t: Task, frozen = false): Status {
  return statusOf(store.runtime(), t.oci, frozen);
}

/** The raw wait status its parent recorded. */
export function exitStatusOf(store: ContainerStore, id: string): number | undefined {
  return store.runtime().readExit(id);
}

/** The task's cgroup as create placed it (the recorded hierarchies, whichever cgroup we run in now). */
export function taskCgroup(t: Task): CgroupManager {
  return cgroupOf(t.oci);
}

/** Whether the process that was the task's parent still lives (pid and start time). */
export function parentAlive(t: Task): boolean {
  const p = t.oci.parent;
  return !!p && p.pid > 0 && procStat(p.pid)?.startTime === p.startTime;
}

/**
 * A foreground task whose tsctr was killed: the process died with it
 * (parent-death signal), its mounts, cgroup, network and state stayed.
 * A detached task outlives its tsctr by design and is never a leftover.
 */
export function isLeftover(t: Task): boolean {
  if (t.detached) return false;
  return !parentAlive(t);
}
