// Phase timing for `run --trace`, `tasks start --trace` and TSCTR_TRACE=1
// (any command, tsctr-runc's verbs included). A leaf module: the client
// (src/container), the core (src/oci) and src/sys all report here.
//
// Phases are recorded always (an array push, a few dozen per command) and
// printed only once a sink is set: `--trace` is known only after yargs has
// parsed argv, by when the start-up and sys-binding phases have happened.
// Setting the sink prints what was recorded so far, then each phase as it
// ends. One line per phase:
//
//   [   142.3 ms] phase image lookup: 2.41 ms (docker.io/library/busybox:latest)
//    ^ time since the process started (performance.now(): Node's time origin)
//                 ^ the phase's name     ^ its duration   ^ optional detail
//
// Nested phases print when they end, so an enclosing phase (e.g. `core
// create`) prints after the ones inside it; its duration includes them.

import { writeSync } from 'node:fs';

export interface PhaseRecord { name: string; start: number; ms: number; detail?: string }

const recorded: PhaseRecord[] = [];
let sink: ((line: string) => void) | undefined;
const MAX_RECORDED = 512;

/** The line printed for a phase (parsed back by parsePhaseLine). */
export function formatPhase(p: PhaseRecord): string {
  const at = (p.start + p.ms).toFixed(1).padStart(9);
  return `[${at} ms] phase ${p.name}: ${p.ms.toFixed(2)} ms${p.detail ? ` (${p.detail})` : ''}`;
}

const LINE = /^\[\s*(\d+\.\d) ms\] phase ([^:()]+): (\d+\.\d\d) ms(?: \((.*)\))?$/;

/** A phase line back into its parts, or undefined for any other line. */
export function parsePhaseLine(line: string): { at: number; name: string; ms: number; detail?: string } | undefined {
  const m = LINE.exec(line);
  if (!m) return undefined;
  return { at: Number(m[1]), name: m[2]!, ms: Number(m[3]), ...(m[4] !== undefined ? { detail: m[4] } : {}) };
}

/** Prints the phases recorded so far and each later one to `print`; undefined stops printing. */
export function setPhaseSink(print: ((line: string) => void) | undefined): void {
  const replay = !sink;
  sink = print;
  if (print && replay) for (const p of recorded) print(formatPhase(p));
}

/** TSCTR_TRACE=1 (or any value but 0/empty): phases go to stderr from the start. */
export function phaseSinkFromEnv(env: NodeJS.ProcessEnv = process.env): void {
  const v = env.TSCTR_TRACE;
  // fd 2 directly: creating process.stderr could switch a pipe shared with a container to non-blocking mode.
  if (v && v !== '0' && !sink) setPhaseSink((l) => { try { writeSync(2, l + '\n'); } catch { /* no stderr */ } });
}

let envChecked = false;

/**
 * The start-up phase: from the process's start to now (Node, the bundle,
 * argv). Recorded once, by the command's handler as it begins its work.
 */
export function markStartup(): void {
  if (!recorded.some((p) => p.name === 'start-up')) endPhase('start-up', 0, 'node, the bundle, argv');
}

/** Records a phase that began at `start` (a performance.now() value) and ends now. */
export function endPhase(name: string, start: number, detail?: string): void {
  if (!envChecked) { envChecked = true; phaseSinkFromEnv(); }
  const p: PhaseRecord = { name, start, ms: performance.now() - start, ...(detail ? { detail } : {}) };
  if (recorded.length < MAX_RECORDED) recorded.push(p);
  sink?.(formatPhase(p));
}

/** Runs fn as a phase (sync or async); the phase ends when fn returns or its promise settles, failed or not. */
export function phase<T>(name: string, fn: () => T, detail?: string): T {
  const t = performance.now();
  let r: T;
  try {
    r = fn();
  } catch (e) {
    endPhase(name, t, detail ? `${detail}; failed` : 'failed');
    throw e;
  }
  if (r instanceof Promise) {
    return r.then(
      (v) => { endPhase(name, t, detail); return v; },
      (e) => { endPhase(name, t, detail ? `${detail}; failed` : 'failed'); throw e; },
    ) as T;
  }
  endPhase(name, t, detail);
  return r;
}

/** What has been recorded (tests; a command that wants its own summary). */
export function recordedPhases(): readonly PhaseRecord[] {
  return recorded;
}
