// V8's optimising compiler (TurboFan) for commands that mostly wait.
//
// bin/launch.cjs starts `run` with TurboFan off (`--no-opt`): in the ~300 ms
// of a `run --rm`, V8 otherwise compiled a few start-up functions (esbuild's
// __copyProps, path's normalizeString) on a background thread, which touched
// ~4.7 MiB of V8's compiler and its zones (peak RSS 61.7 -> 57.0 MiB) for no
// gain in CPU time; Sparkplug, the baseline compiler, stays on. Work that
// runs hot JavaScript for long (unpacking a layer) calls bulkWorkAhead()
// first, which turns TurboFan back on (V8 reads the flag at each tier-up).
import { setFlagsFromString } from 'node:v8';

/** The mark the launcher sets on globalThis when it turned TurboFan off. */
export const TURBOFAN_OFF = Symbol.for('tsctr.turbofan-off');

/** Turn TurboFan back on if the launcher turned it off; a no-op otherwise. */
export function bulkWorkAhead(): void {
  const g = globalThis as Record<symbol, unknown>;
  if (g[TURBOFAN_OFF] !== true) return;
  g[TURBOFAN_OFF] = false;
  setFlagsFromString('--opt');
}
