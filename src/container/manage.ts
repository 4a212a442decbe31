// containers ls/rm/info and tasks ls/kill/ps/metrics/rm: reading and changing
// containers and their tasks. A task is read from the runtime core's one
// record (task.ts). Dead tasks of killed tsctr processes are cleaned up (and
// reported) by whichever of these first touches them.
import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from '../errors.js';
import { SIGNALS } from '../sys/constants.js';
import { statSync } from 'node:fs';
import { decodeWaitStatus, exitCodeOf, type Sys, type WaitStatus } from '../sys/index.js';
import { recordEvent } from './events/index.js';
import { cleanupLeftover, cleanupUnrecorded, releaseTask } from './cleanup.js';
import { openCgroupByPath, type Metric } from './cgroup.js';
import { signalAll, signalTask } from './signal.js';
import { thawAfterKill } from './pause.js';
import { describeTask, monitorAlive, readTaskFacts, type TaskStatus } from './task-state.js';
import { exitStatusOf, isLeftover, isTaskAlive, listTasks, readTask, type Task } from './task.js';
import { ContainerStore, type ContainerRecord } from './store.js';
import { isoString } from '../util/iso-time.js';

export interface Manager {
  store: ContainerStore;
  sys: Sys;
  notice: (line: string) => void;
}

/** The task of a container (live or stopped, not deleted), after cleaning up what a killed tsctr left. */
export async function currentTask(m: Manager, id: string): Promise<Task | undefined> {
  const t = readTask(m.store, id);
  if (!t) {
    const note = await cleanupUnrecorded(m.store, m.sys, id);
    if (note) m.notice(note);
    return undefined;
  }
  if (isLeftover(t)) {
    m.notice(await cleanupLeftover(m.store, m.sys, t));
    return undefined;
  }
  return t;
}

/** The live task of a container, after cleaning up a leftover one. */
export async function liveTask(m: Manager, id: string): Promise<Task | undefined> {
  const t = await currentTask(m, id);
  return t && isTaskAlive(t) ? t : undefined;
}

/** A detached task that has exited, with the status its monitor recorded (undefined when the monitor died too). */
export interface StoppedTask { task: Task; status?: WaitStatus }

export function stoppedTask(m: Manager, t: Task | undefined): StoppedTask | undefined {
  if (!t || isTaskAlive(t)) return undefined;
  const raw = exitStatusOf(m.store, t.id);
  return { task: t, status: raw === undefined ? undefined : decodeWaitStatus(raw) };
}

/** state: what the task is now, read from the process, fifo, freezer, monitor and exit status (see task-state.ts). */
export async function listContainers(m: Manager): Promise<{ record: ContainerRecord; task?: Task; stopped?: StoppedTask; state?: TaskStatus }[]> {
  const out = [];
  for (const t of listTasks(m.store)) if (isLeftover(t)) m.notice(await cleanupLeftover(m.store, m.sys, t));
  for (const record of m.store.list()) {
    const recorded = await currentTask(m, record.id);
    const task = recorded && isTaskAlive(recorded) ? recorded : undefined;
    out.push({ record, task, stopped: stoppedTask(m, recorded), state: recorded ? describeTask(readTaskFacts(recorded)) : undefined });
  }
  return out;
}

/** tasks rm: release a stopped task's mounts, cgroup and state; returns its exit status. With force, kill a running one first. */
export async function deleteTask(m: Manager, id: string, force: boolean): Promise<WaitStatus | undefined> {
  const t = await currentTask(m, id);
  if (!t) throw new NotFoundError(`container "${id}" has no task`, { hint: 'list tasks with tsctr tasks ls' });
  let watched = true;
  if (isTaskAlive(t)) {
    if (!force) throw new FailedPreconditionError(`container "${id}" has a running task (pid ${t.pid})`, { hint: `stop it first: tsctr tasks kill ${id}, or use tasks rm --force` });
    watched = monitorAlive(t) !== false;
    try { signalTask(m.sys, t, 9); } catch (e) { if (!(e instanceof NotFoundError)) throw e; }
    await thawAfterKill(m, t);
    for (let i = 0; i < 100 && isTaskAlive(t); i++) await new Promise((r) => setTimeout(r, 20));
  }
  // The monitor writes the status right after the container is reaped (a killed monitor never will).
  for (let i = 0; watched && t.detached && i < 50 && exitStatusOf(m.store, id) === undefined; i++) await new Promise((r) => setTimeout(r, 20));
  const raw = exitStatusOf(m.store, id);
  const exitedAt = exitTime(t.exitFile);
  await releaseTask(m.store, m.sys, id, m.notice);
  const status = raw === undefined ? undefined : decodeWaitStatus(raw);
  await recordEvent(m.store.root, m.store.namespace, '/tasks/delete', { container_id: id, id, pid: t.pid, exit_status: status ? exitCodeOf(status) : 255, exited_at: exitedAt });
  return status;
}

export async function removeContainer(m: Manager, id: string, force: boolean): Promise<void> {
  const c = m.store.get(id);
  const t = await currentTask(m, id);
  if (t && isTaskAlive(t) && !force) throw new FailedPreconditionError(`container "${id}" has a running task (pid ${t.pid})`, { hint: `stop it first: tsctr tasks kill ${id}, or use containers rm --force` });
  // A running task (with --force) or a stopped detached one: release its mounts and cgroup first.
  if (t) await deleteTask(m, id, true);
  if (c.snapshotter && c.snapshotKey) {
    const { getSnapshotter } = await import('../snapshot/index.js');
    const sn = getSnapshotter(m.store.root, c.snapshotter, m.sys).withNamespace(m.store.namespace);
    const removed = await sn.remove(c.snapshotKey).then(() => true, (e: Error) => { if (!/not found|does not exist/i.test(e.message)) throw e; return false; });
    if (removed) await recordEvent(m.store.root, m.store.namespace, '/snapshot/remove', { key: c.snapshotKey, snapshotter: c.snapshotter });
  }
  m.store.remove(id);
  await recordEvent(m.store.root, m.store.namespace, '/containers/delete', { id });
}

/** When the parent wrote the exit file (the task's exit), RFC 3339; now when unknown. */
function exitTime(exitFile: string): string {
  try { return isoString(statSync(exitFile).mtimeMs); } catch { return isoString(); }
}

export function parseSignal(s: string): number {
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    if (n < 1 || n > 64) throw new InvalidArgumentError(`signal ${s}: must be between 1 and 64`);
    return n;
  }
  const name = s.toUpperCase().startsWith('SIG') ? s.toUpperCase() : 'SIG' + s.toUpperCase();
  const n = SIGNALS[name];
  if (n === undefined) throw new InvalidArgumentError(`unknown signal "${s}"`, { hint: 'use a name like SIGTERM or KILL, or a number' });
  return n;
}

/** Signals the task's init through a pidfd checked against its recorded start time; with all, every process of its cgroup (frozen meanwhile). */
export async function killTask(m: Manager, id: string, signal: number, all: boolean, trace?: (line: string) => void): Promise<void> {
  const t = await liveTask(m, id);
  if (!t) throw new NotFoundError(`container "${id}" has no running task`, { hint: 'list tasks with tsctr tasks ls' });
  if (!all || !t.cgroupsPath) {
    signalTask(m.sys, t, signal);
    trace?.(`signal ${signal} → pid ${t.pid} (pidfd, start time ${t.startTime})`);
    if (signal === 9 && await thawAfterKill(m, t)) trace?.(`thawed the paused task so SIGKILL takes effect`);
    return;
  }
  const cg = openCgroupByPath(t.cgroupsPath, t.oci.cgroupLayout);
  const r = await signalAll(m.sys, cg, signal);
  if (signal === 9 && await thawAfterKill(m, t)) trace?.(`thawed the paused task so SIGKILL takes effect`);
  const n = `${r.signalled.length} process${r.signalled.length === 1 ? '' : 'es'} (${r.signalled.join(' ')})`;
  if (r.how === 'cgroup.kill') trace?.(`cgroup.kill ${cg.path}: ${n}`);
  else trace?.(`froze ${cg.path} (${r.frozen}); signal ${signal} → ${n} by pidfd; thawed (${cg.freezerState()})`);
}

export async function taskPids(m: Manager, id: string): Promise<number[]> {
  const t = await liveTask(m, id);
  if (!t) throw new NotFoundError(`container "${id}" has no running task`);
  return t.cgroupsPath ? openCgroupByPath(t.cgroupsPath, t.oci.cgroupLayout).pids() : [t.pid];
}

export async function taskMetrics(m: Manager, id: string): Promise<Metric[]> {
  const t = await liveTask(m, id);
  if (!t) throw new NotFoundError(`container "${id}" has no running task`);
  if (!t.cgroupsPath) throw new FailedPreconditionError(`container "${id}" has no cgroup`);
  return openCgroupByPath(t.cgroupsPath, t.oci.cgroupLayout).stats();
}

/** containers label: KEY=VALUE sets, KEY= removes; a change is journalled as /containers/update. Returns the labels now. */
export async function labelContainer(m: { store: ContainerStore }, id: string, changes: Record<string, string>): Promise<Record<string, string>> {
  const labels = await m.store.setLabels(id, changes);
  if (Object.keys(changes).length) await recordEvent(m.store.root, m.store.namespace, '/containers/update', { id, labels });
  return labels;
}
