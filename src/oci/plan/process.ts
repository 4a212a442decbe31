// The process half of the plan: rlimits, stdio, credentials, capabilities,
// seccomp and execve, after runc init_linux.go finalizeNamespace and
// standard_init_linux.go.
import { InvalidArgumentError } from '../../errors.js';
import { PR, RLIMIT } from '../../sys/constants.js';
import type { PlanOp } from '../launch-plan.js';
import { compileSeccomp, encodeFilterFlags } from '../seccomp/compile.js';
import { resolveWithLibseccomp } from '../seccomp/resolve.js';
import { maskCapabilities } from '../spec/capabilities.js';
import { DEFAULT_PATH } from '../spec/defaults.js';
import type { Process, Seccomp } from '../spec/types.js';

export type Stdio = { stdin: number; stdout: number; stderr: number } | 'pty';

export function compileRlimits(p: Process): PlanOp[] {
  return (p.rlimits ?? []).map((r) => ({
    op: 'setrlimit' as const,
    resource: RLIMIT[r.type.replace(/^RLIMIT_/, '') as keyof typeof RLIMIT],
    soft: BigInt(r.soft),
    hard: BigInt(r.hard),
  }));
}

/** A pty allocated inside the container: its master goes to fd over SCM_RIGHTS (a socketpair end, or runc's --console-socket). */
export interface ConsoleSocket {
  fd: number;
  rows?: number;
  cols?: number;
  /** Owner of the slave: the process's uid, as in the container. */
  uid?: number;
  /** The message sent with the master (default the slave's name; runc sends "/dev/ptmx"). */
  message?: string;
}

/**
 * The terminal from the container's own devpts, opened after its root is
 * ours (never /proc/<pid>/root/... from the host); then every other fd,
 * the socket included, is close-on-exec.
 */
export function compilePty(c: ConsoleSocket): PlanOp[] {
  return [
    { op: 'open_pty', ptmx: '/dev/pts/ptmx', fallback: '/dev/ptmx', socketFd: c.fd, rows: c.rows ?? 0, cols: c.cols ?? 0, uid: c.uid, ...(c.message ? { message: c.message } : {}) },
    { op: 'close_from', fd: 3 },
  ];
}

// Where a staged fd goes while 0-2 are rearranged; far above what Node holds open.
const STAGE_FD = 900;

/**
 * fds 0-2 for the container. Node marks its own 0-2 close-on-exec (DESIGN.md),
 * so even "inherit" needs a dup2 (which clears FD_CLOEXEC). Sources below 3
 * that land on another slot are staged high first so no dup2 clobbers a
 * source a later one still needs.
 */
export function compileStdio(stdio: Stdio | undefined, consoleFd: number | undefined, consoleSocket?: ConsoleSocket): PlanOp[] {
  if (stdio === 'pty' && consoleSocket) return compilePty(consoleSocket);
  if (stdio === 'pty') {
    if (consoleFd === undefined) throw new InvalidArgumentError('process.terminal: a pty needs the console slave fd (createPlan opts.consoleFd)');
    // setsid() first: TIOCSCTTY only works for a session leader without a terminal.
    return [
      { op: 'dup2', oldfd: consoleFd, newfd: 0 }, { op: 'dup2', oldfd: consoleFd, newfd: 1 }, { op: 'dup2', oldfd: consoleFd, newfd: 2 },
      { op: 'close_from', fd: 3 }, { op: 'setsid' }, { op: 'setctty', fd: 0 },
    ];
  }
  const src = stdio ? [stdio.stdin, stdio.stdout, stdio.stderr] : [0, 1, 2];
  const ops: PlanOp[] = [];
  const clash = src.some((fd, i) => fd < 3 && fd !== i);
  const from = src.map((fd, i) => {
    if (!clash || fd === i) return fd;
    ops.push({ op: 'dup2', oldfd: fd, newfd: STAGE_FD + i });
    return STAGE_FD + i;
  });
  from.forEach((fd, i) => ops.push({ op: 'dup2', oldfd: fd, newfd: i }));
  ops.push({ op: 'close_from', fd: 3 });
  return ops;
}

export interface CredentialOpts {
  lastCap: number;
  warnings: string[];
}

/**
 * Capabilities and ids in runc's order: drop from the bounding set while we
 * still hold CAP_SETPCAP; keep permitted caps across setuid (PR_SET_KEEPCAPS);
 * setgroups/setresgid/setresuid; clear keepcaps; capset (setuid away from 0
 * cleared the effective set, capset restores it); then the ambient set,
 * which needs each cap in permitted and inheritable (capabilities(7)).
 */
export function compileCredentials(p: Process, opts: CredentialOpts): PlanOp[] {
  const caps = p.capabilities ?? {};
  const mask = (set: keyof typeof caps) => {
    const r = maskCapabilities(caps[set], opts.lastCap);
    for (const u of r.unknown) opts.warnings.push(`process.capabilities.${set}: ${u} is unknown to this kernel (cap_last_cap ${opts.lastCap}), skipped`);
    return r.mask;
  };
  const bounding = mask('bounding');
  const effective = mask('effective');
  const permitted = mask('permitted');
  const inheritable = mask('inheritable');
  // The kernel refuses to raise an ambient cap missing from permitted or
  // inheritable (EPERM); runc warns and goes on, so do we.
  const ambient = mask('ambient') & permitted & inheritable;
  if (ambient !== mask('ambient')) opts.warnings.push('process.capabilities.ambient: caps not in both permitted and inheritable are not raised');
  const { uid, gid } = p.user;
  return [
    { op: 'cap_bounding', keep: bounding, lastCap: opts.lastCap },
    { op: 'prctl', option: PR.SET_KEEPCAPS, args: [1] },
    { op: 'setgroups', gids: p.user.additionalGids ?? [] },
    { op: 'setresgid', rgid: gid, egid: gid, sgid: gid },
    { op: 'setresuid', ruid: uid, euid: uid, suid: uid },
    { op: 'prctl', option: PR.SET_KEEPCAPS, args: [0] },
    { op: 'capset', effective, permitted, inheritable },
    { op: 'cap_ambient', raise: ambient, lastCap: opts.lastCap },
  ];
}

export function compileSeccompOp(profile: Seccomp, warnings: string[]): PlanOp {
  const flags = encodeFilterFlags(profile);
  const r = compileSeccomp(profile, { resolve: resolveWithLibseccomp });
  warnings.push(...r.warnings);
  return { op: 'seccomp', filter: r.filter, flags };
}

export function compileExec(p: Process): PlanOp {
  const args = p.args!;
  const env = p.env ?? [];
  const path = env.filter((e) => e.startsWith('PATH=')).pop()?.slice(5) ?? DEFAULT_PATH;
  return { op: 'execve', path: args[0]!, argv: args, env, searchPath: path };
}
