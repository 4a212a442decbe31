// What of runtime-spec config.json (Linux) tsctr-runc does not do, refused
// with one line naming the field (README "config.json: implemented and
// refused"). Keys the spec does not define are ignored, as config.md allows;
// a defined field is never silently dropped.
import type { Spec } from './types.js';

const set = (v: unknown) => v !== undefined && v !== null;
const nonEmptyString = (v: unknown) => typeof v === 'string' && v !== '';
const nonEmpty = (v: unknown) => (Array.isArray(v) ? v.length > 0 : typeof v === 'object' && v !== null ? Object.keys(v).length > 0 : set(v));

/** [field path, is it asked for, why refused] */
const REFUSED: [string, (s: Spec) => boolean, string][] = [
  ['process.apparmorProfile', (s) => nonEmptyString(s.process?.apparmorProfile), 'AppArmor is not applied by tsctr-runc (runc fails this config too on a host without AppArmor)'],
  ['process.selinuxLabel', (s) => nonEmptyString(s.process?.selinuxLabel), 'SELinux labels are not applied by tsctr-runc (runc refuses a label when SELinux is off)'],
  ['linux.mountLabel', (s) => nonEmptyString(s.linux?.mountLabel), 'SELinux mount labels are not applied by tsctr-runc (runc fails this config too on a host without SELinux)'],
  ['process.scheduler', (s) => set(s.process?.scheduler), 'sched_setattr(2) policies (runtime-spec 1.2) are not implemented'],
  ['process.execCPUAffinity', (s) => set(s.process?.execCPUAffinity), 'CPU affinity of the runtime and the process (runtime-spec 1.2) is not implemented'],
  ['linux.intelRdt', (s) => set(s.linux?.intelRdt), 'Intel RDT (resctrl) is not supported'],
  ['linux.netDevices', (s) => nonEmpty(s.linux?.netDevices), 'moving host network devices into the container (runtime-spec 1.2) is not implemented'],
  ['linux.memoryPolicy', (s) => set(s.linux?.memoryPolicy), 'set_mempolicy(2) (runtime-spec 1.3) is not implemented'],
  ['linux.resources.rdma', (s) => nonEmpty(s.linux?.resources?.rdma), 'the rdma cgroup controller is not handled'],
  ['vm', (s) => set(s.vm), 'tsctr-runc is not a virtual-machine runtime (config-vm.md)'],
  ['windows', (s) => set(s.windows), 'this is the Windows section; tsctr-runc runs Linux containers'],
  ['solaris', (s) => set(s.solaris), 'this is the Solaris section; tsctr-runc runs Linux containers'],
  ['zos', (s) => set(s.zos), 'this is the z/OS section; tsctr-runc runs Linux containers'],
];

/** Every field asked for that tsctr-runc does not do, as "field is not supported by tsctr-runc (why)". */
export function findUnsupported(spec: Spec): string[] {
  if (typeof spec !== 'object' || spec === null) return [];
  return REFUSED.filter(([, asked]) => asked(spec)).map(([field, , why]) => `${field} is not supported by tsctr-runc (${why})`);
}

/** The field paths tsctr-runc refuses, for the README table and its test. */
export const REFUSED_FIELDS = REFUSED.map(([field]) => field);
