// What this process and kernel allow, read once from /proc: the capability
// sets tsctr holds (a container can get no more than its bounding set) and
// the highest capability number the kernel knows.
import { readFileSync } from 'node:fs';

export interface CapabilitySets {
  effective: bigint;
  bounding: bigint;
}

export function ownCapabilities(): CapabilitySets {
  const status = readFileSync('/proc/self/status', 'utf8');
  const mask = (name: string) => BigInt('0x' + (new RegExp(`^${name}:\\s*([0-9a-f]+)`, 'm').exec(status)?.[1] ?? '0'));
  return { effective: mask('CapEff'), bounding: mask('CapBnd') };
}

let cachedLastCap: number | undefined;
/** /proc/sys/kernel/cap_last_cap. */
export function lastCap(): number {
  cachedLastCap ??= Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim());
  return cachedLastCap;
}
