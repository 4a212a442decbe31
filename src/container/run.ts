// `tsctr run` = `containers create` + `tasks start` (+ with --rm, containers
// rm once the task is done), as ctr run is. create.ts records the container
// and prepares its snapshot; start.ts makes the bundle and drives the
// runtime core. --dry-run prints the plan the core would compile.
import { join } from 'node:path';
import { InvalidArgumentError } from '../errors.js';
import type { Sys } from '../sys/index.js';
import { describeOp } from '../oci/launch-plan.js';
import { createPlan } from '../oci/plan/index.js';
import { containerRecordOf, createContainer, type CreateRequest } from './create.js';
import { currentTask, removeContainer } from './manage.js';
import { applyUserFlag } from './process-options.js';
import { startTask } from './start.js';
import { ContainerStore } from './store.js';
import { lastCap, requireRoot } from './supervise.js';
import { applyNetworkToSpec } from './network/attach.js';
import { markStartup, phase } from '../util/phases.js';

export interface RunRequest extends CreateRequest {
  /** -d: leave the container running under tsctr-monitor. */
  detach?: boolean;
  dryRun?: (line: string) => void;
  /** Notes for the user: leftovers cleaned, warnings. */
  notice: (line: string) => void;
}

/** Runs a container in the foreground (resolves to its exit code, 128+signal when killed), or detached (resolves to 0 once it runs). */
export async function runContainer(req: RunRequest): Promise<number> {
  const { sys, flags } = req;
  if (req.detach && req.rm) throw new InvalidArgumentError('--rm and --detach cannot be used together', { hint: `remove a stopped container with tsctr containers rm ${flags.id}` });
  if (req.dryRun) return dryRun(req, req.dryRun);
  requireRoot('run');
  markStartup();
  const store = new ContainerStore(req.root, req.state, req.namespace);
  const m = { store, sys, notice: req.notice };
  // What a killed `run` of this id left (a --rm container included) goes first.
  await phase('leftover check', () => currentTask(m, flags.id), flags.id);
  await createContainer(req);
  let code: number;
  try {
    code = await startTask({ store, sys, id: flags.id, detach: !!req.detach, trace: req.trace, notice: req.notice });
  } catch (e) {
    // A container that never started is not kept, --rm or not: nothing half-made is left.
    await removeContainer(m, flags.id, true).catch((err: Error) => req.notice(`cleanup: ${err.message}`));
    throw e;
  }
  if (req.rm) await phase('container remove', () => removeContainer(m, flags.id, true), 'snapshot, records (--rm)').catch((err: Error) => req.notice(`cleanup: ${err.message}`));
  return code;
}

/** The plan as the core would compile it (without mounting or creating anything): --dry-run. */
async function dryRun(req: RunRequest, print: (line: string) => void): Promise<number> {
  let image;
  if (!req.rootfsDir) {
    const { loadImage } = await import('../image/image.js');
    image = (await loadImage(req.root, req.namespace, req.image!)).config.config;
  }
  const record = containerRecordOf(req, image);
  const spec = record.spec;
  const taskDir = new ContainerStore(req.root, req.state, req.namespace).taskDir(req.flags.id);
  const rootfs = req.rootfsDir ?? join(taskDir, 'rootfs');
  if (record.network) {
    const { netnsPath, namesMounts } = await import('./network/index.js');
    applyNetworkToSpec(spec, netnsPath(taskDir), namesMounts(taskDir));
  }
  if (record.user) applyUserFlag(spec, record.user, rootfs, { numericOnly: true });
  const plan = createPlan(spec, { rootfs, stdio: req.flags.tty ? 'pty' : undefined, consoleSocket: req.flags.tty ? { fd: 3 } : undefined, noPivot: req.noPivot, lastCap: lastCap() });
  print(`clone(${plan.cloneFlags.toString(16)})`);
  plan.ops.forEach((o, i) => print(`${String(i).padStart(3)}  ${describeOp(o)}`));
  return 0;
}
