// tasks exec: run another process in a running container. It joins the
// container's namespaces (the pid namespace through the parent, for its
// child), its cgroup, and takes its credentials, capabilities and seccomp
// filter, then runs in the foreground like `run` does.
import { randomBytes } from 'node:crypto';
import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from '../errors.js';
import type { Sys } from '../sys/index.js';
import { execProcess } from '../oci/exec.js';
import type { Process } from '../oci/spec/index.js';
import { isFrozenState, openCgroupByPath } from './cgroup.js';
import { openConsoleChannel } from './console.js';
import { passThroughIo } from './io.js';
import { liveTask } from './manage.js';
import { applyUserFlag } from './process-options.js';
import { mergeEnv } from './spec-builder.js';
import { ContainerStore } from './store.js';
import { describeStatus, exitCodeOf, formatStep, requireRoot, superviseProcess } from './supervise.js';
import { runtimeOf } from './task.js';
import { Teardown } from './teardown.js';
import { recordEvent } from './events/index.js';

export interface ExecRequest {
  root: string;
  state: string;
  namespace: string;
  sys: Sys;
  id: string;
  args: string[];
  tty: boolean;
  env: string[];
  cwd?: string;
  user?: string;
  /** The exec process's id in events (ctr's --exec-id); default exec-<8 hex>. */
  execId?: string;
  trace?: (line: string) => void;
  notice: (line: string) => void;
}

export async function execInContainer(req: ExecRequest): Promise<number> {
  requireRoot('exec');
  const store = new ContainerStore(req.root, req.state, req.namespace);
  const record = store.get(req.id);
  const task = await liveTask({ store, sys: req.sys, notice: req.notice }, req.id);
  if (!task) throw new NotFoundError(`container "${req.id}" has no running task`, { hint: `start one with tsctr run …, or list tasks with tsctr tasks ls` });
  // A process joining a frozen cgroup freezes too: exec would hang (runc refuses the same way).
  if (task.cgroupsPath && isFrozenState(openCgroupByPath(task.cgroupsPath).freezerState())) throw new FailedPreconditionError(`container "${req.id}" is paused: cannot exec into it`, { hint: `tsctr tasks resume ${req.id}` });
  if (!req.args.length) throw new InvalidArgumentError('name a command to run in the container', { hint: `tsctr tasks exec ${req.id} sh` });
  const spec = structuredClone(record.spec);
  const base = spec.process!;
  const proc: Process = { ...base, terminal: req.tty, args: req.args, env: mergeEnv(base.env ?? [], req.env), cwd: req.cwd ?? base.cwd };
  if (req.tty && !proc.env!.some((e) => e.startsWith('TERM='))) proc.env!.push('TERM=xterm');
  spec.process = proc;
  // The container's own /etc/passwd, opened inside its root (the native in-root resolver) as the kernel shows it.
  if (req.user) applyUserFlag(spec, req.user, `/proc/${task.pid}/root`, { sys: req.sys });
  const execId = req.execId ?? `exec-${randomBytes(4).toString('hex')}`;
  const td = new Teardown();
  try {
    await recordEvent(req.root, req.namespace, '/tasks/exec-added', { container_id: req.id, exec_id: execId });
    // -t: the container allocates the pty on its own devpts, after joining its
    // mount namespace, and sends us the master; nothing of the container's
    // tree is opened from the host.
    const term = req.tty ? openConsoleChannel(req.sys, td) : undefined;
    // The runtime core's exec, as tsctr-runc exec: the container's namespaces
    // opened from its init while its start time still says it is ours, its
    // cgroup joined before the process runs.
    const launched = await execProcess(runtimeOf(store, req.sys, req.notice), {
      id: req.id,
      process: spec.process,
      console: term?.socket,
      dieWithParent: true,
      onStep: req.trace ? (r) => req.trace!(formatStep(r)) : undefined,
    });
    const io = term ? await term.receive(launched) : passThroughIo();
    req.trace?.(`exec pid ${launched.pid} running in container ${req.id}`);
    await recordEvent(req.root, req.namespace, '/tasks/exec-started', { container_id: req.id, exec_id: execId, pid: launched.pid });
    const status = await superviseProcess(req.sys, launched, io, td);
    req.trace?.(`exited: ${describeStatus(status)}`);
    await recordEvent(req.root, req.namespace, '/tasks/exit', { container_id: req.id, id: execId, pid: launched.pid, exit_status: exitCodeOf(status), exited_at: new Date().toISOString() });
    return exitCodeOf(status);
  } finally {
    for (const e of await td.run()) req.notice(`cleanup: ${e.message}`);
  }
}

