// The runtime's exec (runc exec): another process in an existing container.
//
//   tsctr-runc exec                          container init (pid P)
//   ──────────────                           ───────────────────────
//   state.json → P, start time
//   pidfd_open(P); start time still P's?  ─┐
//   open /proc/P/ns/{user,ipc,uts,net,     │ the files are taken while P is
//        cgroup,mnt,pid}                   │ known to be the container's init,
//   start time still P's?                 ─┘ so a reused pid is refused
//   connect(--console-socket)               (before anything is created)
//   clone() child ── joins the cgroup (parent, while the child waits)
//        child: setns(/proc/self/fd/N) each, rlimits, [open_pty → master
//        over the socket], caps, ids, no_new_privs, seccomp, execve
//   EOF on the report pipe = exec'd → pid file (temp + rename)
//   --detach: return; the process is our child, and when we exit it goes
//   to the caller, a subreaper (containerd's shim), which reaps it, exactly
//   as with runc. Foreground: forward signals, wait, 128+N for a signal.
import { closeSync, openSync } from 'node:fs';
import { FailedPreconditionError, InvalidArgumentError } from '../errors.js';
import { NAMESPACE_PROC_FILE, type NamespaceType } from '../sys/constants.js';
import type { WaitStatus } from '../sys/types.js';
import { checkConsoleFlags, connectConsoleSocket } from './console.js';
import { lastCap } from './host-caps.js';
import { launch, type StepReport } from './launcher.js';
import { withParentDeathSignal } from './parent.js';
import { cgroupOf, stateOf, writePidFile, type Runtime } from './lifecycle.js';
import type { PlanOp } from './launch-plan.js';
import { createExecPlan } from './plan/exec.js';
import type { ConsoleSocket } from './plan/process.js';
import type { Process } from './spec/index.js';
import { isAlive, type ContainerRecord } from './state.js';

export interface ExecOptions {
  id: string;
  /** The whole process (from --process, or the container's own with the flags applied). */
  process: Process;
  /** With process.terminal: the unix socket that receives the pty master (SCM_RIGHTS). */
  consoleSocket?: string;
  /** Or a socket already connected by the caller (tsctr tasks exec's socketpair); the caller closes it. */
  console?: Omit<ConsoleSocket, 'uid'>;
  /** The process gets SIGKILL when the caller dies (a foreground tasks exec, which relays its terminal). */
  dieWithParent?: boolean;
  /** Each step of the plan as the child reports it (--trace). */
  onStep?: (r: StepReport) => void;
  pidFile?: string;
  detach?: boolean;
  /** Pass fds 3 .. 3+N-1 of ours on to the process. */
  preserveFds?: number;
  ignorePaused?: boolean;
}

export interface Execed {
  pid: number;
  pidfd: number;
}

/** runc's refusals, in its words (engines match some of them). */
export function checkExecRequest(o: ExecOptions, status: string): void {
  if (status === 'stopped') throw new FailedPreconditionError('cannot exec in a stopped container');
  if (status === 'paused' && !o.ignorePaused) throw new FailedPreconditionError('cannot exec in a paused container (use --ignore-paused to override)');
  if (status === 'creating') throw new FailedPreconditionError('cannot exec in a container that is still being created');
  if (!o.process.args?.length) throw new InvalidArgumentError('exec: args must not be empty', { hint: 'name a program after the container id, or set "args" in --process' });
  if (!o.console) checkConsoleFlags(o.process, o.consoleSocket, !!o.detach, 'exec');
  const n = o.preserveFds ?? 0;
  if (!Number.isInteger(n) || n < 0 || n > 1000) throw new InvalidArgumentError(`--preserve-fds: must be a count from 0 to 1000, got ${n}`);
}

/** The namespaces the container made or joined: each is joined from its init's /proc/<pid>/ns (time: see createExecPlan). */
function namespaceTypes(r: ContainerRecord): NamespaceType[] {
  return (r.spec.linux?.namespaces ?? []).map((n) => n.type as NamespaceType).filter((t) => t !== 'time');
}

/**
 * Opens the init's namespace files while its start time says it is still the
 * container's init (before and after: a pid that died and was reused in
 * between fails the second check, and the files then point at nothing of
 * ours). The pidfd pins the number meanwhile.
 */
function openNamespaces(rt: Runtime, r: ContainerRecord): Map<NamespaceType, number> {
  const fds = new Map<NamespaceType, number>();
  const stopped = () => new FailedPreconditionError('cannot exec in a stopped container');
  let pidfd: number;
  try {
    pidfd = rt.sys.pidfdOpen(r.pid);
  } catch {
    throw stopped();
  }
  try {
    if (!isAlive(r)) throw stopped();
    for (const t of namespaceTypes(r)) {
      try {
        fds.set(t, openSync(`/proc/${r.pid}/ns/${NAMESPACE_PROC_FILE[t]}`, 'r'));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ESRCH') throw stopped();
        throw e;
      }
    }
    if (!isAlive(r)) throw stopped();
    return fds;
  } catch (e) {
    for (const fd of fds.values()) closeSync(fd);
    throw e;
  } finally {
    closeSync(pidfd);
  }
}

/** --preserve-fds N: fds 3..3+N-1 survive the plan's close_from (as addLifecycleOps does for create). */
export function preserveFds(ops: PlanOp[], n: number): PlanOp[] {
  if (!n) return ops;
  const out = [...ops];
  const cf = out.findIndex((x) => x.op === 'close_from');
  const keep: PlanOp[] = Array.from({ length: n }, (_, k) => ({ op: 'dup2', oldfd: 3 + k, newfd: 3 + k }));
  if (cf >= 0) out.splice(cf, 1, ...keep, { op: 'close_from', fd: 3 + n });
  return out;
}

/**
 * Starts the process in the container; resolves once it has exec'd (the pid
 * file is then written). The caller owns the returned pidfd.
 */
export async function execProcess(rt: Runtime, o: ExecOptions): Promise<Execed> {
  const { sys } = rt;
  const { record, status } = stateOf(rt, o.id);
  checkExecRequest(o, status);
  const nsFds = openNamespaces(rt, record);
  let socket: number | undefined;
  try {
    const console = o.console ?? (o.consoleSocket ? connectConsoleSocket(sys, o.consoleSocket, o.process) : undefined);
    if (!o.console) socket = console?.fd;
    const namespacePaths = Object.fromEntries([...nsFds].map(([t, fd]) => [t, `/proc/self/fd/${fd}`]));
    const plan = createExecPlan(record.spec, {
      pid: record.pid, process: o.process, lastCap: lastCap(), namespacePaths,
      stdio: o.process.terminal ? 'pty' : undefined,
      consoleSocket: console,
    });
    for (const w of plan.warnings) rt.warn(`warning: ${w}`);
    const cgroup = cgroupOf(record);
    const ops = preserveFds(plan.ops, o.preserveFds ?? 0);
    const launched = await launch(sys, o.dieWithParent ? withParentDeathSignal(ops) : ops, {
      cloneFlags: 0,
      pidnsFd: nsFds.get('pid'),
      trace: !!o.onStep,
      onStep: o.onStep,
      beforeStart: (pid) => cgroup.join(pid),
    });
    if (o.pidFile) {
      try {
        writePidFile(o.pidFile, launched.pid);
      } catch (e) {
        try { sys.pidfdSendSignal(launched.pidfd, 9); } catch { /* gone */ }
        await sys.wait(launched.pid).catch(() => undefined);
        closeSync(launched.pidfd);
        throw e;
      }
    }
    return { pid: launched.pid, pidfd: launched.pidfd };
  } finally {
    if (socket !== undefined) closeSync(socket);
    for (const fd of nsFds.values()) closeSync(fd);
  }
}

/** Foreground exec: the process is our child; signals we get go to it; its status is ours (128+N for a signal). */
export async function waitForeground(rt: Runtime, e: Execed): Promise<WaitStatus> {
  const fwd = (s: NodeJS.Signals) => { try { rt.sys.pidfdSendSignal(e.pidfd, SIGNUMS[s]!); } catch { /* gone */ } };
  const names = Object.keys(SIGNUMS) as NodeJS.Signals[];
  for (const s of names) process.on(s, fwd);
  try {
    return await rt.sys.wait(e.pid);
  } finally {
    for (const s of names) process.off(s, fwd);
    closeSync(e.pidfd);
  }
}

const SIGNUMS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGUSR1: 10, SIGUSR2: 12, SIGTERM: 15, SIGWINCH: 28 };
