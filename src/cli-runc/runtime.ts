// What the command handlers share: the runtime (sys, state dir, warnings) and output.
import { writeSync } from 'node:fs';
import { FailedPreconditionError } from '../errors.js';
import { loadSys } from '../sys/index.js';
import { StateDir } from '../oci/state.js';
import { markStartup } from '../util/phases.js';
import type { Runtime } from '../oci/lifecycle.js';
import { runcGlobals, warn } from './report.js';

export async function openRuntime(): Promise<Runtime> {
  if (process.geteuid?.() !== 0) throw new FailedPreconditionError(`tsctr-runc needs root (running as uid ${process.geteuid?.()})`, { hint: 'rootless containers are not supported' });
  const sys = await loadSys();
  markStartup();
  return { sys, dir: new StateDir(runcGlobals().root), warn };
}

/** Output on fd 1 without creating process.stdout (libuv would switch a shared pipe to non-blocking mode under the container). */
export function out(text: string): void {
  const b = Buffer.from(text);
  for (let off = 0; off < b.length;) {
    try {
      off += writeSync(1, b, off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
    }
  }
}
