// Runs a launch plan through the native executor and follows it to execve(),
// or to the point where it waits for `start` (the OCI create). The protocol is
// drawn at the top of native/executor.c and native/lifecycle.c; its messages
// (native/plan.h): step N failed with errno / step N done (trace) / waiting
// at a sync point / waiting for start / EOF = exec'd.
import { closeSync, readSync, writeSync } from 'node:fs';
import { SysError, errnoName, type Sys } from '../sys/index.js';
import { FailedPreconditionError } from '../errors.js';
import { decodeStepReports, describeOp, encodePlan, hintForStep, PLAN_ABI, REPORT, type PlanOp, type StepRecord } from './launch-plan.js';
import type { SpawnedChild } from './parent.js';
import { endPhase, phase } from '../util/phases.js';

export interface StepReport extends StepRecord {
  op: PlanOp;
}

/** Step records with the op each names. */
export function withOps(records: StepRecord[], ops: PlanOp[]): StepReport[] {
  return records.map((r) => ({ ...r, op: ops[r.step]! }));
}

/** A plan step failed in the child; names the step, the syscall and the errno. */
export class LaunchError extends SysError {
  readonly step: number;
  readonly op: PlanOp;
  readonly hint?: string;
  /** As shells and docker do: 127 when the program is not found, 126 when it cannot run. */
  readonly exitCode: number;
  constructor(step: number, op: PlanOp, errno: number) {
    super(`step ${step} ${describeOp(op)}`, errno);
    this.name = 'LaunchError';
    this.step = step;
    this.op = op;
    this.hint = hintForStep(op, errnoName(errno));
    this.exitCode = op.op === 'execve' || op.op === 'lookup_exec' ? (this.code === 'ENOENT' ? 127 : 126) : 1;
  }
}

export interface LaunchOptions {
  cloneFlags: number;
  /** Join this pid namespace (an open fd) instead of creating one. */
  pidnsFd?: number;
  trace?: boolean;
  /** Runs while the child waits: write id maps, join cgroups. */
  beforeStart?: (pid: number) => void | Promise<void>;
  onStep?: (r: StepReport) => void;
  /** Runs when the child reports it waits at a sync point (a sync_reported op); the child goes on when it resolves. */
  onSync?: (pid: number) => void | Promise<void>;
  /** Resolve when the child reports it waits for start (a wait_start op), not at execve. */
  untilWaiting?: boolean;
  /** Who clones the child (parent.ts); default: we do, with sys.spawn. */
  spawn?: (plan: Buffer) => Promise<SpawnedChild>;
}

export interface Launched {
  pid: number;
  pidfd: number;
  steps: StepReport[];
  /** True when the child waits for start (untilWaiting). */
  waiting: boolean;
}


/**
 * Spawns the child and runs ops in it. Resolves once the child has called
 * execve() (or exited 0 for a plan without execve); rejects with LaunchError
 * naming the failing step. On any failure the child is gone.
 */
export async function launch(sys: Sys, ops: PlanOp[], opts: LaunchOptions): Promise<Launched> {
  const plan = phase('plan encode', () => encodePlan(ops, { trace: opts.trace }), `${ops.length} ops`);
  const laterSyncs = ops.some((o) => o.op === 'sync_reported');
  let child: SpawnedChild;
  const tSpawn = performance.now();
  if (opts.spawn) child = await opts.spawn(plan);
  else {
    const c = sys.spawn(plan, opts.cloneFlags, opts.pidnsFd ?? -1);
    child = { ...c, syncPoints: true, reap: async () => { await sys.wait(c.pid).catch(() => undefined); } };
  }
  endPhase('executor spawn', tSpawn, `clone() of pid ${child.pid}`);
  let syncOpen = true;
  try {
    if (laterSyncs && !child.syncPoints) throw new FailedPreconditionError('this parent cannot answer the plan\'s sync points (prestart, createRuntime, createContainer hooks)', { hint: 'run the container in the foreground, or without those hooks' });
    if (opts.beforeStart) await opts.beforeStart(child.pid);
    writeSync(child.syncFd, Buffer.from('g'));
    const tOps = performance.now();
    if (!laterSyncs) {
      closeSync(child.syncFd);
      syncOpen = false;
    }
    const steps: StepReport[] = [];
    let waiting = false;
    for (const r of readReports(child.reportFd, ops)) {
      if (r.errno === REPORT.SYNC) {
        if (opts.onSync) await opts.onSync(child.pid);
        writeSync(child.syncFd, Buffer.from('g'));
        continue;
      }
      if (r.errno === REPORT.WAITING) {
        if (opts.untilWaiting) { waiting = true; break; }
        continue;
      }
      steps.push(r);
      opts.onStep?.(r);
      if (r.errno !== 0) break;
    }
    if (syncOpen) { closeSync(child.syncFd); syncOpen = false; }
    endPhase('executor ops', tOps, waiting ? `${steps.length} steps reported, waiting for start` : `${steps.length} steps reported`);
    const failed = steps.find((s) => s.errno !== 0);
    if (failed) {
      await child.reap();
      closeSync(child.pidfd);
      throw new LaunchError(failed.step, failed.op, failed.errno);
    }
    return { pid: child.pid, pidfd: child.pidfd, steps, waiting };
  } catch (err) {
    if (syncOpen) {
      // Closing the sync pipe unblocks the child, which exits 126 (or fails its sync step).
      closeSync(child.syncFd);
      await child.reap();
      closeSync(child.pidfd);
    }
    throw err;
  } finally {
    closeSync(child.reportFd);
  }
}

/** The report records as they come (blocking reads), until EOF. */
function* readReports(fd: number, ops: PlanOp[]): Generator<StepReport> {
  const buf = Buffer.alloc(PLAN_ABI.reportSize * 64);
  let pending = Buffer.alloc(0);
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, buf, 0, buf.length, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN' || (e as NodeJS.ErrnoException).code === 'EINTR') continue;
      throw e;
    }
    if (n === 0) break;
    const { records, rest } = decodeStepReports(Buffer.concat([pending, buf.subarray(0, n)]));
    pending = rest;
    for (const r of withOps(records, ops)) {
      yield r;
    }
  }
}
