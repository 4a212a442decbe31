// Supervising a foreground process we are the parent of (a task started by
// start.ts through the core; a tasks exec process): signals forwarded,
// terminal copied, until it exits.
import { closeSync } from 'node:fs';
export { lastCap } from '../oci/host-caps.js';
import { FailedPreconditionError } from '../errors.js';
import { SIGNALS } from '../sys/constants.js';
import { exitCodeOf, type Sys, type WaitStatus } from '../sys/index.js';
import type { Launched, StepReport } from '../oci/launcher.js';
import { describeOp } from '../oci/launch-plan.js';
import type { ContainerIo } from './io.js';
import type { Teardown } from './teardown.js';

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const;

/** Forwards signals and copies the terminal until the process exits; returns its status. */
export async function superviseProcess(sys: Sys, launched: Pick<Launched, 'pid' | 'pidfd'>, io: ContainerIo, td: Teardown): Promise<WaitStatus> {
  const { pid } = launched;
  io.started();
  // Through the pidfd clone() gave us, and only until the child is reaped: after that its pid may be someone else's.
  let reaped = false;
  const forward = (sig: NodeJS.Signals) => {
    if (reaped) return;
    try { sys.pidfdSendSignal(launched.pidfd, SIGNALS[sig] ?? SIGNALS.SIGTERM!); } catch { /* exited, not yet reaped */ }
  };
  const stopForwarding = () => { for (const s of FORWARDED) process.off(s, forward); };
  for (const s of FORWARDED) process.on(s, forward);
  td.push('stop forwarding signals', stopForwarding);
  td.push('close pidfd', () => closeSync(launched.pidfd));
  let status: WaitStatus;
  try {
    status = await sys.wait(pid);
  } finally {
    // The listeners stay (no-ops) until teardown: without one, a SIGINT would kill tsctr before it cleans up.
    reaped = true;
  }
  // Give the pty a moment to hand over the last output; unref'd so a plain run does not wait on it.
  await Promise.race([io.drained(), new Promise((r) => setTimeout(r, 200).unref())]);
  return status;
}

export function describeStatus(s: WaitStatus): string {
  return s.kind === 'exited' ? `code ${s.code}` : `signal ${s.signal}`;
}
export { exitCodeOf };

/** run and exec create namespaces, mount and write cgroups: say so up front instead of failing half-way. */
export function requireRoot(op: string): void {
  const uid = process.geteuid?.();
  if (uid !== 0) throw new FailedPreconditionError(`${op} needs root (running as uid ${uid})`, { hint: 'run tsctr as root (sudo tsctr …); rootless containers are not supported yet; tsctr check shows what is missing' });
}


export function formatStep(r: StepReport): string {
  const ms = (r.ns / 1e6).toFixed(3).padStart(8);
  return `[${ms} ms] ${String(r.step).padStart(3)}  ${describeOp(r.op)}${r.errno ? '' : ' = 0'}`;
}
