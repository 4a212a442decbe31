// tasks pause / resume: the freezer of the task's cgroup (v1 freezer.state
// FROZEN/THAWED, v2 cgroup.freeze + cgroup.events), waited on until it
// settles. Nothing records "paused": listings read the freezer itself.
import { FailedPreconditionError, NotFoundError } from '../errors.js';
import { isFrozenState, openCgroupByPath, type ContainerCgroup } from './cgroup.js';
import { liveTask, type Manager } from './manage.js';
import type { Task } from './task.js';
import { recordEvent } from './events/index.js';

async function freezerOf(m: Manager, id: string, op: string): Promise<{ t: Task; cg: ContainerCgroup; state: string }> {
  const t = await liveTask(m, id);
  if (!t) throw new NotFoundError(`${op} ${id}: container has no running task`, { hint: 'list tasks with tsctr tasks ls' });
  if (!t.cgroupsPath) throw new FailedPreconditionError(`${op} ${id}: the task has no cgroup, so no freezer`);
  const cg = openCgroupByPath(t.cgroupsPath, t.oci.cgroupLayout);
  const state = cg.freezerState();
  if (state === undefined) throw new FailedPreconditionError(`${op} ${id}: no freezer for cgroup ${t.cgroupsPath} (neither a v1 freezer hierarchy nor v2 cgroup.freeze)`, { hint: 'see tsctr check' });
  return { t, cg, state };
}

export async function pauseTask(m: Manager, id: string): Promise<void> {
  const { t, cg, state } = await freezerOf(m, id, 'pause');
  if (isFrozenState(state)) throw new FailedPreconditionError(`pause ${id}: the task is already paused (freezer ${state})`, { hint: `tsctr tasks resume ${id}` });
  await cg.freeze();
  const now = cg.freezerState();
  if (!isFrozenState(now) || now === 'FREEZING') throw new FailedPreconditionError(`pause ${id}: freezer of ${cg.path} is ${now} after waiting`, { hint: `try again, or tsctr tasks resume ${id}` });
  await recordEvent(m.store.root, m.store.namespace, '/tasks/paused', { container_id: id });
}

export async function resumeTask(m: Manager, id: string): Promise<void> {
  const { t, cg, state } = await freezerOf(m, id, 'resume');
  if (!isFrozenState(state)) throw new FailedPreconditionError(`resume ${id}: the task is not paused (freezer ${state})`);
  await cg.thawSettled();
  await recordEvent(m.store.root, m.store.namespace, '/tasks/resumed', { container_id: id });
}

/** After SIGKILL to a paused task: thaw so the kill takes effect (a frozen v1 task dies only once thawed), as containerd does. */
export async function thawAfterKill(_m: Manager, t: Task): Promise<boolean> {
  if (!t.cgroupsPath) return false;
  const cg = openCgroupByPath(t.cgroupsPath, t.oci.cgroupLayout);
  if (!isFrozenState(cg.freezerState())) return false;
  await cg.thawSettled();
  return true;
}
