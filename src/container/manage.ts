// containers ls/rm/info and tasks ls/kill/ps/metrics: reading and changing
// what `run` recorded. Dead tasks of killed tsctr processes are cleaned up
// (and reported) by whichever of these first touches them.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from '../errors.js';
import { SIGNALS } from '../sys/constants.js';
import type { Sys } from '../sys/index.js';
import { cleanupLeftover, releaseTask } from './cleanup.js';
import { readExitFile } from './monitor.js';
import { exitCodeOf, type WaitStatus } from '../sys/index.js';
import { openCgroupByPath, type Metric } from './cgroup.js';
import { signalAll, signalTask } from './signal.js';
import { thawAfterKill } from './pause.js';
import { describeTask, monitorAlive, readTaskFacts, type TaskStatus } from './task-state.js';
import { recordEvent } from './events/index.js';
import { ContainerStore, isLeftover, isTaskAlive, type ContainerRecord, type TaskState } from './store.js';

export interface Manager {
  store: ContainerStore;
  sys: Sys;
  notice: (line: string) => void;
}

/** The live task of a container, after cleaning up a leftover one. */
export async function liveTask(m: Manager, id: string): Promise<TaskState | undefined> {
  const t = m.store.getTask(id);
  if (!t) return undefined;
  if (isLeftover(t)) {
    m.notice(await cleanupLeftover(m.store, t, m.sys));
    return undefined;
  }
  return isTaskAlive(t) ? t : undefined;
}

/** A detached task that has exited, with the status its monitor recorded (undefined when the monitor died too). */
export interface StoppedTask { task: TaskState; status?: WaitStatus }

export function stoppedTask(t: TaskState | undefined): StoppedTask | undefined {
  if (!t?.detached || isTaskAlive(t)) return undefined;
  return { task: t, status: t.exitFile ? readExitFile(t.exitFile) : undefined };
}

/** state: what the task is now, read from the process, freezer, monitor and exit file (see task-state.ts). */
export async function listContainers(m: Manager): Promise<{ record: ContainerRecord; task?: TaskState; stopped?: StoppedTask; state?: TaskStatus }[]> {
  const out = [];
  for (const t of m.store.listTasks()) if (isLeftover(t)) m.notice(await cleanupLeftover(m.store, t, m.sys));
  for (const record of m.store.list()) if (!m.store.getTask(record.id)) await cleanupNetworkOnly(m, record.id);
  for (const record of m.store.list()) {
    const task = await liveTask(m, record.id);
    const recorded = m.store.getTask(record.id);
    out.push({ record, task, stopped: stoppedTask(recorded), state: recorded ? describeTask(readTaskFacts(recorded)) : undefined });
  }
  return out;
}

/** tasks rm: release a stopped task's mounts, cgroup and state; returns its exit status. With force, kill a running one first. */
export async function deleteTask(m: Manager, id: string, force: boolean): Promise<WaitStatus | undefined> {
  let live = await liveTask(m, id);
  let watched = true;
  if (live) {
    if (!force) throw new FailedPreconditionError(`container "${id}" has a running task (pid ${live.pid})`, { hint: `stop it first: tsctr tasks kill ${id}, or use tasks rm --force` });
    watched = monitorAlive(live) !== false;
    try { signalTask(m.sys, live, 9); } catch (e) { if (!(e instanceof NotFoundError)) throw e; }
    await thawAfterKill(m, live);
    for (let i = 0; i < 100 && isTaskAlive(live); i++) await new Promise((r) => setTimeout(r, 20));
    live = undefined;
  }
  const t = m.store.getTask(id);
  if (!t) throw new NotFoundError(`container "${id}" has no task`, { hint: 'list tasks with tsctr tasks ls' });
  // The monitor writes the status right after the container is reaped (a killed monitor never will).
  for (let i = 0; watched && i < 50 && t.exitFile && !readExitFile(t.exitFile); i++) await new Promise((r) => setTimeout(r, 20));
  const status = t.exitFile ? readExitFile(t.exitFile) : undefined;
  const exitedAt = exitTime(t.exitFile);
  await releaseTask(m.store, t, m.sys);
  await recordEvent(m.store.root, m.store.namespace, '/tasks/delete', { container_id: id, id, pid: t.pid, exit_status: status ? exitCodeOf(status) : 255, exited_at: exitedAt });
  return status;
}

export async function removeContainer(m: Manager, id: string, force: boolean): Promise<void> {
  const c = m.store.get(id);
  const t = await liveTask(m, id);
  if (t && !force) throw new FailedPreconditionError(`container "${id}" has a running task (pid ${t.pid})`, { hint: `stop it first: tsctr tasks kill ${id}, or use containers rm --force` });
  // A running task (with --force) or a stopped detached one: release its mounts and cgroup first.
  if (m.store.getTask(id)) await deleteTask(m, id, true);
  else await cleanupNetworkOnly(m, id);
  if (c.snapshotter && c.snapshotKey) {
    const { getSnapshotter } = await import('../snapshot/index.js');
    const sn = getSnapshotter(m.store.root, c.snapshotter, m.sys).withNamespace(m.store.namespace);
    const removed = await sn.remove(c.snapshotKey).then(() => true, (e: Error) => { if (!/not found/i.test(e.message)) throw e; return false; });
    if (removed) await recordEvent(m.store.root, m.store.namespace, '/snapshot/remove', { key: c.snapshotKey, snapshotter: c.snapshotter });
  }
  m.store.remove(id);
  await recordEvent(m.store.root, m.store.namespace, '/containers/delete', { id });
}

/** When the monitor wrote the exit file (the container's exit), RFC 3339; now when unknown. */
function exitTime(exitFile: string | undefined): string {
  try { return exitFile ? statSync(exitFile).mtime.toISOString() : new Date().toISOString(); } catch { return new Date().toISOString(); }
}

/** A network record without task state: its tsctr was killed while setting the network up. */
async function cleanupNetworkOnly(m: Manager, id: string): Promise<void> {
  if (!existsSync(join(m.store.taskDir(id), 'network.json'))) return;
  const { cleanupNetworkLeftover } = await import('./network/index.js');
  const done = await cleanupNetworkLeftover(m.store.taskDir(id), m.sys);
  if (done.length) m.notice(`container "${id}": its tsctr was killed while setting up; cleaned up: ${done.join(', ')}`);
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
  const cg = openCgroupByPath(t.cgroupsPath);
  const r = await signalAll(m.sys, cg, signal);
  if (signal === 9 && await thawAfterKill(m, t)) trace?.(`thawed the paused task so SIGKILL takes effect`);
  const n = `${r.signalled.length} process${r.signalled.length === 1 ? '' : 'es'} (${r.signalled.join(' ')})`;
  if (r.how === 'cgroup.kill') trace?.(`cgroup.kill ${cg.path}: ${n}`);
  else trace?.(`froze ${cg.path} (${r.frozen}); signal ${signal} → ${n} by pidfd; thawed (${cg.freezerState()})`);
}

export async function taskPids(m: Manager, id: string): Promise<number[]> {
  const t = await liveTask(m, id);
  if (!t) throw new NotFoundError(`container "${id}" has no running task`);
  return t.cgroupsPath ? openCgroupByPath(t.cgroupsPath).pids() : [t.pid];
}

export async function taskMetrics(m: Manager, id: string): Promise<Metric[]> {
  const t = await liveTask(m, id);
  if (!t) throw new NotFoundError(`container "${id}" has no running task`);
  if (!t.cgroupsPath) throw new FailedPreconditionError(`container "${id}" has no cgroup`);
  return openCgroupByPath(t.cgroupsPath).stats();
}
