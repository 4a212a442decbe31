// Who is the container's parent: the one extension point of create().
//
// The plan is compiled, encoded and followed the same way whoever spawns it;
// only the process that calls clone() differs:
//   - in-process (tsctr-runc create, foreground `tsctr run`): we clone the
//     child ourselves (sys.spawn). A foreground run stays its parent, reaps
//     it, forwards signals; with dieWithParent the plan gets PDEATHSIG +
//     check_parent so the container never outlives its tsctr.
//   - a monitor (`tsctr run -d`, `tasks start -d`; src/container/monitor.ts):
//     a small C process clones the child from the same encoded plan, relays
//     the same step reports, stays the parent, reaps it and writes the exit
//     status into the container's state directory.
// The plan names fds as the child sees them: fd() maps ours to those numbers.
import { closeSync, openSync } from 'node:fs';
import { PR } from '../sys/constants.js';
import type { Sys } from '../sys/index.js';
import type { PlanOp } from './launch-plan.js';
import type { Stdio } from './plan/index.js';

export interface SpawnedChild {
  pid: number;
  /** A pidfd of the child, ours to close. */
  pidfd: number;
  /** Write one byte to let the child run its plan; close it to abort. */
  syncFd: number;
  /** Step reports (native/plan.h) as the child writes them; EOF once it exec'd. */
  reportFd: number;
  /** After a failure: until the child has been reaped (by us, or by its parent). */
  reap(): Promise<void>;
  /** Whether sync points (sync_reported: the pre-start hooks) can be answered. */
  syncPoints: boolean;
}

export interface SpawnRequest {
  cloneFlags: number;
  /** A pid namespace to create the child in. */
  pidnsPath?: string;
  /** Where the parent records the raw wait status when it reaps the child (a monitor does; in-process, the caller does). */
  exitFile: string;
}

export interface Parent {
  /** Recorded in state.json: "process" (whoever created it) or "monitor". */
  readonly kind: 'process' | 'monitor';
  /** The number the container's process sees one of our fds under. */
  fd(ours: number): number;
  /** What this parent adds to the plan. */
  adjust(ops: PlanOp[]): PlanOp[];
  spawn(plan: Buffer, req: SpawnRequest): Promise<SpawnedChild>;
  /** The pid of the container's parent once spawned (ours, or the monitor's). */
  readonly pid: number;
  /** A parent that keeps the container's stdio itself (a monitor's pipes or pty) says how, in the child's fd numbers. */
  readonly childStdio?: { stdio: Stdio; consoleSocket?: { fd: number; rows?: number; cols?: number } };
}

/** We clone the child. dieWithParent: the container is killed when we die (a foreground run). */
export function inProcessParent(sys: Sys, o: { dieWithParent?: boolean } = {}): Parent {
  return {
    kind: 'process',
    pid: process.pid,
    fd: (ours) => ours,
    adjust: (ops) => (o.dieWithParent ? withParentDeathSignal(ops) : ops),
    async spawn(plan, req) {
      const pidnsFd = req.pidnsPath ? openSync(req.pidnsPath, 'r') : undefined;
      try {
        const c = sys.spawn(plan, req.cloneFlags, pidnsFd ?? -1);
        return { ...c, syncPoints: true, reap: async () => { await sys.wait(c.pid).catch(() => undefined); } };
      } finally {
        if (pidnsFd !== undefined) closeSync(pidnsFd);
      }
    },
  };
}

/**
 * The process dies with its parent rather than run unsupervised. Set late:
 * a credential change clears it. Then check_parent: had the parent died
 * before the prctl, no signal would ever come (runc checks the same way).
 */
export function withParentDeathSignal(ops: PlanOp[]): PlanOp[] {
  const capset = ops.findIndex((o) => o.op === 'capset');
  const seccomp = ops.findIndex((o, i) => o.op === 'seccomp' && i > capset);
  const i = seccomp >= 0 ? seccomp : ops.findIndex((o) => o.op === 'execve' || o.op === 'lookup_exec');
  return [...ops.slice(0, i), { op: 'prctl', option: PR.SET_PDEATHSIG, args: [9, 0, 0, 0] }, { op: 'check_parent' }, ...ops.slice(i)];
}
