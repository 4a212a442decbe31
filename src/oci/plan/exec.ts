// createExecPlan: a process joining a running container (tasks exec). The
// child setns()es into the container's namespaces (the user namespace
// first, the mount namespace last, as runc's nsexec does; a pid namespace is
// joined by the parent for its child, see PlanOptions.joinNamespaces), then
// takes the container's credentials, capabilities, no_new_privs and seccomp,
// and execs. Pure, like createPlan.
import { InvalidArgumentError } from '../../errors.js';
import { NAMESPACE_FLAGS, NAMESPACE_PROC_FILE, PR, type NamespaceType } from '../../sys/constants.js';
import type { PlanOp } from '../launch-plan.js';
import type { Process, Spec } from '../spec/types.js';
import { compileCredentials, compileExec, compileRlimits, compileSeccompOp, compileStdio, type ConsoleSocket, type Stdio } from './process.js';

export interface ExecOptions {
  /** The container's init, whose namespaces are joined. */
  pid: number;
  process: Process;
  stdio?: Stdio;
  consoleFd?: number;
  /** With stdio 'pty': allocate the pty inside the container and send its master here (preferred over consoleFd). */
  consoleSocket?: Omit<ConsoleSocket, 'uid'>;
  lastCap: number;
  /**
   * Where to setns() from, per namespace type (default /proc/<pid>/ns/<name>).
   * tsctr-runc exec opens the files itself, checked against the process's
   * start time, and passes /proc/self/fd/N so a reused pid cannot slip in.
   */
  namespacePaths?: Partial<Record<NamespaceType, string>>;
}

export interface ExecPlan {
  ops: PlanOp[];
  /** /proc/<pid>/ns/pid when the container has its own pid namespace: open it and pass it to spawn. */
  pidNamespace?: string;
  warnings: string[];
}

const ORDER: NamespaceType[] = ['user', 'ipc', 'uts', 'network', 'cgroup', 'time', 'mount'];

export function createExecPlan(spec: Spec, opts: ExecOptions): ExecPlan {
  const p = opts.process;
  if (!p.args?.length) throw new InvalidArgumentError('exec: name a command to run in the container');
  if (p.terminal && opts.stdio === 'pty' && opts.consoleFd === undefined && !opts.consoleSocket) throw new InvalidArgumentError('exec: a terminal needs consoleSocket (or consoleFd)');
  if (p.terminal && opts.stdio !== 'pty') throw new InvalidArgumentError('exec: a terminal needs stdio "pty"');
  const types = new Set((spec.linux?.namespaces ?? []).map((n) => n.type as NamespaceType));
  const warnings: string[] = [];
  // Non-dumpable until execve (CVE-2019-5736): until then this process is a
  // copy of the host's node, and it sits in the container's pid namespace.
  // As op 0 the executor applies it from clone() on (native/plan.h).
  const ops: PlanOp[] = [{ op: 'prctl', option: PR.SET_DUMPABLE, args: [0, 0, 0, 0] }];
  // Still in the host's mount namespace: /proc/self is ours. Raising the score needs no capability; lowering it needs ours.
  if (p.oomScoreAdj !== undefined) ops.push({ op: 'write_file', path: '/proc/self/oom_score_adj', data: String(p.oomScoreAdj) });
  const nsPath = (t: NamespaceType) => opts.namespacePaths?.[t] ?? `/proc/${opts.pid}/ns/${NAMESPACE_PROC_FILE[t]}`;
  for (const t of ORDER) {
    if (!types.has(t)) continue;
    // time namespaces apply to children only; the container's init made them for its own.
    if (t === 'time') { warnings.push('exec: the time namespace is not joined'); continue; }
    ops.push({ op: 'setns', path: nsPath(t), nstype: NAMESPACE_FLAGS[t] });
    // In a joined user namespace we still carry the host's kuid 0, unmapped
    // there: become the namespace's root at once (runc's nsexec does), so
    // what we create (the pty slave) has an owner the namespace can chown.
    if (t === 'user') ops.push({ op: 'setresgid', rgid: 0, egid: 0, sgid: 0 }, { op: 'setresuid', ruid: 0, euid: 0, suid: 0 });
  }
  ops.push(...compileRlimits(p));
  ops.push(...compileStdio(opts.stdio, opts.consoleFd, opts.consoleSocket && { ...opts.consoleSocket, uid: p.user.uid }));
  const seccomp = spec.linux?.seccomp ? compileSeccompOp(spec.linux.seccomp, warnings) : undefined;
  if (seccomp && !p.noNewPrivileges) ops.push(seccomp);
  ops.push(...compileCredentials(p, { lastCap: opts.lastCap, warnings }));
  ops.push({ op: 'umask', mask: p.user.umask ?? 0o022 });
  ops.push({ op: 'chdir', path: p.cwd });
  if (p.noNewPrivileges) ops.push({ op: 'prctl', option: PR.SET_NO_NEW_PRIVS, args: [1, 0, 0, 0] });
  if (seccomp && p.noNewPrivileges) ops.push(seccomp);
  ops.push(compileExec(p));
  return { ops, pidNamespace: types.has('pid') ? nsPath('pid') : undefined, warnings };
}
