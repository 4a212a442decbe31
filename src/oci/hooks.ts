// The runtime-spec hooks (config.md "POSIX-platform Hooks", runtime.md
// "Lifecycle"), each with the state JSON on stdin, its args, env and timeout:
//
//   prestart, createRuntime  runtime namespace, during create, while the child waits at its sync point
//   createContainer          the container's mount namespace, same sync point, before pivot_root:
//                            a tiny launch plan (setns mnt + execve), no JavaScript after clone
//   startContainer           in the container, after start, before the program: run_hook ops the
//                            child runs itself after the exec fifo (native/lifecycle.c)
//   poststart                runtime namespace, after start; a failure is a warning
//   poststop                 runtime namespace, after delete; a failure is a warning
import { spawn } from 'node:child_process';
import { closeSync, writeSync } from 'node:fs';
import { FailedPreconditionError, InvalidArgumentError } from '../errors.js';
import { CLONE } from '../sys/constants.js';
import type { Sys } from '../sys/index.js';
import { launch } from './launcher.js';
import type { PlanOp } from './launch-plan.js';
import type { Hook, Hooks } from './spec/index.js';
import type { OciState } from './state.js';

export type HookKind = keyof Hooks;

export class HookError extends FailedPreconditionError {
  constructor(kind: HookKind, hook: Hook, why: string) {
    super(`${kind} hook ${JSON.stringify(hook.path)}: ${why}`);
  }
}

/** Malformed hooks are refused at create, before anything runs. */
export function validateHooks(hooks: Hooks | undefined): void {
  for (const [kind, list] of Object.entries(hooks ?? {})) {
    if (!Array.isArray(list)) throw new InvalidArgumentError(`hooks.${kind}: must be an array`);
    list.forEach((h: Hook, i: number) => {
      const at = `hooks.${kind}[${i}]`;
      if (typeof h?.path !== 'string' || !h.path.startsWith('/')) throw new InvalidArgumentError(`${at}.path: must be an absolute path`);
      if (h.args !== undefined && !(Array.isArray(h.args) && h.args.every((a) => typeof a === 'string'))) throw new InvalidArgumentError(`${at}.args: must be an array of strings`);
      if (h.env !== undefined && !(Array.isArray(h.env) && h.env.every((a) => typeof a === 'string'))) throw new InvalidArgumentError(`${at}.env: must be an array of strings`);
      if (h.timeout !== undefined && !(Number.isInteger(h.timeout) && h.timeout > 0)) throw new InvalidArgumentError(`${at}.timeout: must be a positive integer (seconds)`);
    });
  }
}

const argvOf = (h: Hook) => (h.args?.length ? h.args : [h.path]);

function envObject(env: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of env ?? []) {
    const i = e.indexOf('=');
    if (i > 0) out[e.slice(0, i)] = e.slice(i + 1);
  }
  return out;
}

/** Runs one hook in the runtime's namespaces: path with args[0] as argv0, env exactly as given, the state on stdin. */
export function runHostHook(kind: HookKind, h: Hook, state: OciState): Promise<void> {
  return new Promise((resolve, reject) => {
    const argv = argvOf(h);
    const child = spawn(h.path, argv.slice(1), { argv0: argv[0], env: envObject(h.env), stdio: ['pipe', 'pipe', 'pipe'], timeout: h.timeout ? h.timeout * 1000 : undefined, killSignal: 'SIGKILL' });
    let output = '';
    const keep = (d: Buffer) => { if (output.length < 4096) output += d.toString(); };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.stdin.on('error', () => { /* a hook need not read its stdin */ });
    child.stdin.end(JSON.stringify(state));
    child.on('error', (e) => reject(new HookError(kind, h, e.message)));
    child.on('close', (code, signal) => {
      if (code === 0) return resolve();
      const why = signal === 'SIGKILL' && h.timeout ? `timed out after ${h.timeout}s` : signal ? `killed by ${signal}` : `exit status ${code}`;
      reject(new HookError(kind, h, why + (output.trim() ? `: ${output.trim()}` : '')));
    });
  });
}

/**
 * Runs a createContainer hook in the mount namespace of the container's
 * process (pid, waiting at its sync point): a plan of dup2 (stdin from a
 * pipe carrying the state), setns, execve. Its stdout/stderr are ours.
 */
export async function runHookInMountNs(sys: Sys, kind: HookKind, h: Hook, pid: number, state: OciState): Promise<void> {
  const [rd, wr] = sys.pipe(true);
  const data = Buffer.from(JSON.stringify(state));
  let child: { pid: number; pidfd: number } | undefined;
  try {
    // The state fits a pipe's buffer for any sane config; write it before the hook runs.
    if (data.length < 60000) writeSync(wr, data);
    closeSync(wr);
    const ops: PlanOp[] = [
      { op: 'dup2', oldfd: rd, newfd: 0 }, { op: 'dup2', oldfd: 1, newfd: 1 }, { op: 'dup2', oldfd: 2, newfd: 2 }, { op: 'close_from', fd: 3 },
      { op: 'setns', path: `/proc/${pid}/ns/mnt`, nstype: CLONE.NEWNS },
      { op: 'execve', path: h.path, argv: argvOf(h), env: h.env ?? [] },
    ];
    child = await launch(sys, ops, { cloneFlags: 0 });
  } catch (e) {
    throw new HookError(kind, h, (e as Error).message);
  } finally {
    closeSync(rd);
  }
  const timer = h.timeout ? setTimeout(() => { try { sys.pidfdSendSignal(child!.pidfd, 9); } catch { /* gone */ } }, h.timeout * 1000) : undefined;
  const status = await sys.wait(child.pid);
  if (timer) clearTimeout(timer);
  closeSync(child.pidfd);
  if (status.kind === 'exited' && status.code === 0) return;
  throw new HookError(kind, h, status.kind === 'exited' ? `exit status ${status.code}` : h.timeout && status.signal === 9 ? `timed out after ${h.timeout}s` : `killed by signal ${status.signal}`);
}

/** Runs a kind's hooks in order; the first failure stops them (create, start), or each is only reported (poststart, poststop). */
export async function runHooks(kind: HookKind, hooks: Hooks | undefined, run: (h: Hook) => Promise<void>, warn?: (line: string) => void): Promise<void> {
  for (const h of hooks?.[kind] ?? []) {
    try {
      await run(h);
    } catch (e) {
      if (!warn) throw e;
      warn(`warning: ${(e as Error).message}`);
    }
  }
}

/** The startContainer hooks as plan ops; the child feeds them the message start wrote into the fifo. */
export function compileStartContainerHooks(hooks: Hooks | undefined): PlanOp[] {
  return (hooks?.startContainer ?? []).map((h) => ({ op: 'run_hook' as const, path: h.path, argv: argvOf(h), env: h.env ?? [], timeout: h.timeout ?? 0 }));
}
