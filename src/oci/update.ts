// `update`: new resource limits on a created, running or paused container,
// through the same cgroup manager create used, then recorded in state.json
// (spec.linux.resources) so `state` and the next update start from them.
//
// All or nothing: every cgroup file written is journalled with the value it
// replaced; when the kernel refuses one, those written before it are put
// back and the error names the refused file, its errno, and what (if
// anything) could not be restored.
import { FailedPreconditionError, TsctrError } from '../errors.js';
import { CgroupError, createCgroupManager } from './cgroups/index.js';
import { recordCgroupWrites, type CgroupWrite } from './cgroups/files.js';
import { writeFileSync } from 'node:fs';
import { cgroupPathOf, stateOf, type Runtime } from './lifecycle.js';
import { isEmptyResources, mergeResources } from './resources-json.js';
import type { Resources } from './spec/types.js';

export interface UpdateResult {
  /** What the cgroup files could not enforce (a controller missing, swap accounting off). */
  warnings: string[];
  /** Every file written, in order. */
  writes: CgroupWrite[];
}

export async function updateContainer(rt: Runtime, id: string, patch: Resources): Promise<UpdateResult> {
  const unlock = await rt.dir.lock(rt.sys, id);
  try {
    const { record, status } = stateOf(rt, id);
    // runc: libcontainer refuses Set on a stopped container.
    if (status === 'stopped') throw new FailedPreconditionError(`container ${id} is not running (stopped)`, { hint: 'update changes the limits of a created, running or paused container' });
    if (status === 'creating') throw new FailedPreconditionError(`container ${id} is being created`);
    if (isEmptyResources(patch)) return { warnings: [], writes: [] };
    const mgr = createCgroupManager(cgroupPathOf(record), patch, { layout: record.cgroupLayout });
    const writes: CgroupWrite[] = [];
    const warnings: string[] = [];
    try {
      recordCgroupWrites(writes, () => {
        // create() is idempotent on existing directories; on cgroup v2 it enables the controllers the new limits need.
        warnings.push(...mgr.create());
        warnings.push(...mgr.apply(patch));
      });
    } catch (e) {
      throw undoFailedUpdate(id, e, writes);
    }
    const resources = mergeResources(record.spec.linux?.resources, patch);
    record.spec.linux = { ...record.spec.linux, resources };
    rt.dir.write(record);
    return { warnings, writes };
  } finally {
    unlock();
  }
}

/** Puts back what was written before the refused write; returns the error to show. */
function undoFailedUpdate(id: string, err: unknown, writes: CgroupWrite[]): Error {
  const notRestored: string[] = [];
  const restored: string[] = [];
  for (const w of [...writes].reverse()) {
    const before = restoreValue(w);
    if (before === undefined || before === w.value) continue;
    try {
      writeFileSync(w.path, before);
      restored.push(w.path);
    } catch (e) {
      notRestored.push(`${w.path} holds ${JSON.stringify(w.value)} (was ${JSON.stringify(before)}; restore: ${(e as NodeJS.ErrnoException).code})`);
    }
  }
  const msg = (err as Error).message;
  const outcome = notRestored.length ? `; NOT restored: ${notRestored.join(', ')}` : restored.length ? `; the ${restored.length} file(s) written before it were restored, nothing changed` : '; nothing changed';
  const hint = (err as { hint?: string }).hint;
  const code = (err as { code?: string }).code;
  if (err instanceof CgroupError) return new CgroupError(`update ${id}: ${msg}${outcome}`, err.path, { cause: err, code, hint });
  if (err instanceof TsctrError) return new TsctrError(err.kind, `update ${id}: ${msg}${outcome}`, { cause: err, hint });
  return new Error(`update ${id}: ${msg}${outcome}`, { cause: err });
}

/** What to write back: the file as it read, except where reading and writing differ. */
function restoreValue(w: CgroupWrite): string | undefined {
  if (w.before === undefined) return undefined;
  // memory.oom_control reads "oom_kill_disable 0\nunder_oom 0\n..." and takes just the 0/1.
  if (w.path.endsWith('/memory.oom_control')) return /oom_kill_disable (\d)/.exec(w.before)?.[1];
  // io.weight reads "default 100\n8:0 200"; the default line is what update writes.
  if (w.path.endsWith('/io.weight') || w.path.endsWith('/io.bfq.weight')) return w.before.split('\n')[0];
  return w.before;
}
