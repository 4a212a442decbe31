// The effective device list of an OCI `linux.resources.devices` array, as the
// cgroup v1 devices controller would hold it after the rules were written in
// order (kernel Documentation/admin-guide/cgroup-v1/devices.rst). cgroup v2
// has no such list: its BPF program (device-filter.ts) is compiled from this
// result, so v1 and v2 grant the same access. The semantics are runc's
// (libcontainer/cgroups/devices emulator):
//   - an "a" rule resets everything: allow → allow-all (a deny list follows),
//     deny → deny-all (an allow list follows);
//   - in allow-list mode an allow rule adds access for its (type, major, minor),
//     a deny rule removes access from exactly that key; in deny-list mode the
//     reverse. So the last rule about a key wins;
//   - removing access that a wildcard entry still grants (deny "c 1:3 rwm" after
//     allow "c *:* m") is refused: v1 would silently keep the wildcard, which
//     misleads.
import { InvalidArgumentError } from '../../errors.js';
import type { DeviceCgroupRule } from '../spec/types.js';

export type DeviceType = 'b' | 'c';

/** One exception of the effective list; major/minor -1 is a wildcard. access is a subset of "rwm", in that order. */
export interface DeviceException {
  type: DeviceType;
  major: number;
  minor: number;
  access: string;
}

export interface DeviceList {
  /** true: everything is allowed except `exceptions`; false: nothing is, except them. */
  defaultAllow: boolean;
  /** Sorted by major, minor, type (wildcards first), as runc orders them. */
  exceptions: DeviceException[];
}

const ACCESS = ['r', 'w', 'm'] as const;
/** Device numbers the kernel can hold (MAJOR 12 bits, MINOR 20 bits) fit far below this; it keeps BPF immediates positive. */
const MAX_NUMBER = 0x7fffffff;

const key = (t: DeviceType, major: number, minor: number) => `${t} ${major} ${minor}`;
const norm = (access: Iterable<string>) => { const s = new Set(access); return ACCESS.filter((a) => s.has(a)).join(''); };
const show = (t: string, major: number, minor: number, access: string) => `${t} ${major < 0 ? '*' : major}:${minor < 0 ? '*' : minor} ${access}`;

function number(v: number | null | undefined, what: string, i: number): number {
  if (v === undefined || v === null || v === -1) return -1;
  if (!Number.isInteger(v) || v < 0 || v > MAX_NUMBER) throw new InvalidArgumentError(`linux.resources.devices[${i}].${what}: ${v} is not a device number (0..${MAX_NUMBER}, or omitted for any)`);
  return v;
}

/** Applies the rules in order; the result is what the container may access. */
export function resolveDeviceRules(rules: readonly DeviceCgroupRule[]): DeviceList {
  let defaultAllow = false;
  // The container's cgroup starts as the kernel's child would under runc: deny-all
  // unless a rule says otherwise (runc's emulator starts from an empty allow list).
  let list = new Map<string, { type: DeviceType; major: number; minor: number; access: string }>();
  rules.forEach((r, i) => {
    const type = r.type ?? 'a';
    if (type === 'a') {
      defaultAllow = r.allow;
      list = new Map();
      return;
    }
    if (type !== 'b' && type !== 'c') throw new InvalidArgumentError(`linux.resources.devices[${i}].type: ${JSON.stringify(type)} is not "a", "b" or "c"`);
    const access = r.access === undefined || r.access === '' ? 'rwm' : r.access;
    if (!/^[rwm]+$/.test(access)) throw new InvalidArgumentError(`linux.resources.devices[${i}].access: ${JSON.stringify(access)} is not made of r, w and m`);
    const major = number(r.major, 'major', i);
    const minor = number(r.minor, 'minor', i);
    const k = key(type, major, minor);
    const old = list.get(k)?.access ?? '';
    // An allow rule in allow-list mode (or a deny rule in deny-list mode) adds an exception.
    if (r.allow !== defaultAllow) {
      list.set(k, { type, major, minor, access: norm(old + access) });
      return;
    }
    // Otherwise it takes access away from exactly this key; a wildcard still granting it cannot be split.
    for (const [wMajor, wMinor] of [[-1, minor], [major, -1], [-1, -1]] as const) {
      if (wMajor === major && wMinor === minor) continue;
      const w = list.get(key(type, wMajor, wMinor));
      const overlap = w ? norm([...w.access].filter((a) => access.includes(a))) : '';
      if (overlap) {
        throw new InvalidArgumentError(
          `linux.resources.devices[${i}]: ${r.allow ? 'allow' : 'deny'} "${show(type, major, minor, norm(access))}" cannot punch a hole in "${show(type, wMajor, wMinor, w!.access)}" (the cgroup v1 devices controller would ignore it)`,
          { hint: 'narrow the wildcard rule, or list the devices one by one' });
      }
    }
    const left = norm([...old].filter((a) => !access.includes(a)));
    if (left) list.set(k, { type, major, minor, access: left });
    else list.delete(k);
  });
  const exceptions = [...list.values()].sort((a, b) => a.major - b.major || a.minor - b.minor || (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  return { defaultAllow, exceptions };
}

/** "c 1:3 rwm" */
export function formatException(e: DeviceException): string {
  return show(e.type, e.major, e.minor, e.access);
}
