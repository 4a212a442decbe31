// Loading ffi-rs and the native library costs a few milliseconds; commands
// that need no system calls never pay it.
import type { Sys } from './types.js';
import { phase } from '../util/phases.js';

export type { Sys, StatFs, Pty, Spawned, WaitStatus } from './types.js';
export { decodeWaitStatus, exitCodeOf } from './types.js';
export { BpfLoadError, SysError, errnoName, errnoMessage, errnoOf } from './errors.js';

let real: Sys | undefined;
export async function loadSys(): Promise<Sys> {
  if (!real) real = await phase('sys binding', async () => (await import('./libc.js')).libcSys, 'ffi-rs, libc and libtsctr loaded');
  return real;
}
