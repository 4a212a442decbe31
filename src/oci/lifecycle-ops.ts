// The lifecycle's additions to a launch plan (pure, like createPlan):
//   - a reported sync point before pivot_root when prestart/createRuntime/
//     createContainer hooks exist (they run while the child waits there);
//   - before execve: the program looked up (create fails early on a missing
//     binary), the wait on the exec fifo, the startContainer hooks;
//   - --preserve-fds: fds 3..3+N-1 kept open for the program.
import { InvalidArgumentError } from '../errors.js';
import type { PlanOp } from './launch-plan.js';
import type { Hooks } from './spec/index.js';
import { compileStartContainerHooks } from './hooks.js';

export interface LifecycleOptions {
  /** Our O_PATH fd of <state>/exec.fifo; the child reopens it through /proc/self/fd. */
  fifoFd: number;
  hooks?: Hooks;
  preserveFds: number;
}

export function addLifecycleOps(ops: PlanOp[], o: LifecycleOptions): PlanOp[] {
  if (!Number.isInteger(o.preserveFds) || o.preserveFds < 0 || o.preserveFds > 1000) throw new InvalidArgumentError(`--preserve-fds: must be a count from 0 to 1000, got ${o.preserveFds}`);
  const out = [...ops];
  const exec = out.map((x) => x.op).lastIndexOf('execve');
  if (exec < 0) throw new InvalidArgumentError('the plan has no execve');
  const e = out[exec] as Extract<PlanOp, { op: 'execve' }>;
  out.splice(exec, 0,
    { op: 'lookup_exec', path: e.path, searchPath: e.searchPath },
    { op: 'wait_start', fd: o.fifoFd, closeFrom: 3 + o.preserveFds },
    ...compileStartContainerHooks(o.hooks));
  if (o.preserveFds) {
    const cf = out.findIndex((x) => x.op === 'close_from');
    const keep: PlanOp[] = Array.from({ length: o.preserveFds }, (_, k) => ({ op: 'dup2', oldfd: 3 + k, newfd: 3 + k }));
    if (cf >= 0) out.splice(cf, 1, ...keep, { op: 'close_from', fd: 3 + o.preserveFds });
  }
  const h = o.hooks ?? {};
  if (h.prestart?.length || h.createRuntime?.length || h.createContainer?.length) out.splice(syncIndex(out), 0, { op: 'sync_reported' });
  return out;
}

/** Right before the switch of root (pivot_root, or the MS_MOVE of --no-pivot); after the namespace ops when there is none. */
function syncIndex(ops: PlanOp[]): number {
  const pivot = ops.findIndex((x) => x.op === 'pivot_root' || (x.op === 'mount' && x.target === '/' && (x.flags & 0x2000) !== 0));
  if (pivot >= 0) return ops[pivot - 1]?.op === 'chdir' ? pivot - 1 : pivot;
  const first = ops.findIndex((x) => x.op !== 'setns' && x.op !== 'unshare' && x.op !== 'setresuid' && x.op !== 'setresgid');
  return first < 0 ? ops.length : first;
}

/** A new network namespace gets lo up, right after the namespaces are entered (needs CAP_NET_ADMIN there). */
export function withLoopback(ops: PlanOp[], cloneFlags: number): PlanOp[] {
  const NEWNET = 0x40000000;
  if (!(cloneFlags & NEWNET) && !ops.some((o) => o.op === 'unshare' && o.flags & NEWNET)) return ops;
  const i = ops.findIndex((o) => o.op !== 'setns' && o.op !== 'unshare');
  return [...ops.slice(0, i), { op: 'loopback_up' }, ...ops.slice(i)];
}
