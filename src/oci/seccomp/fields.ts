// The fields of an OCI seccomp profile other than its rules' matching:
// actions and errnos as SECCOMP_RET_* values, filter flags, and the JSON
// shapes the compiler walks. Each refusal names the field.
import { InvalidArgumentError } from '../../errors.js';
import type { Seccomp, SeccompAction } from '../spec/types.js';
import { SECCOMP_RET } from './bpf.js';

export const EPERM = 1;

/** The SECCOMP_RET_* value of an action (errnoRet defaults to EPERM, as the runtime-spec says). */
export function encodeAction(action: SeccompAction, errnoRet: number | undefined, field: string): number {
  // SECCOMP_RET_DATA is 16 bits; the kernel caps an errno at MAX_ERRNO (4095).
  if (errnoRet !== undefined && (!Number.isInteger(errnoRet) || errnoRet < 0 || errnoRet > 4095)) {
    const errnoField = field.replace(/defaultAction$/, 'defaultErrnoRet').replace(/\.action$/, '.errnoRet');
    throw new InvalidArgumentError(`${errnoField}: ${JSON.stringify(errnoRet)} is not an errno (0 to 4095)`);
  }
  const data = (errnoRet ?? EPERM) & SECCOMP_RET.DATA;
  switch (action) {
    case 'SCMP_ACT_ALLOW': return SECCOMP_RET.ALLOW;
    case 'SCMP_ACT_ERRNO': return (SECCOMP_RET.ERRNO | data) >>> 0;
    case 'SCMP_ACT_KILL': case 'SCMP_ACT_KILL_THREAD': return SECCOMP_RET.KILL_THREAD;
    case 'SCMP_ACT_KILL_PROCESS': return SECCOMP_RET.KILL_PROCESS;
    case 'SCMP_ACT_TRAP': return SECCOMP_RET.TRAP;
    case 'SCMP_ACT_LOG': return SECCOMP_RET.LOG;
    case 'SCMP_ACT_TRACE': return (SECCOMP_RET.TRACE | data) >>> 0;
    case 'SCMP_ACT_NOTIFY': throw new InvalidArgumentError(`${field}: SCMP_ACT_NOTIFY needs a seccomp agent (linux.seccomp.listenerPath), which tsctr does not support`);
  }
  throw new InvalidArgumentError(`${field}: unknown action ${JSON.stringify(action)}`);
}

// seccomp(2) SECCOMP_FILTER_FLAG_* (linux/seccomp.h) a profile may ask for.
export const FILTER_FLAGS: Readonly<Record<string, number>> = {
  SECCOMP_FILTER_FLAG_TSYNC: 1,
  SECCOMP_FILTER_FLAG_LOG: 2,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: 4,
};

/**
 * linux.seccomp.flags as the seccomp(2) flags word. WAIT_KILLABLE_RECV only
 * means something with a notify listener, which tsctr does not create.
 */
export function encodeFilterFlags(profile: Seccomp): number {
  checkShape(profile);
  let flags = 0;
  (profile.flags ?? []).forEach((f) => {
    if (f === 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV' || f === 'SECCOMP_FILTER_FLAG_NEW_LISTENER') {
      throw new InvalidArgumentError(`linux.seccomp.flags: ${f} needs a seccomp notify listener (SCMP_ACT_NOTIFY, listenerPath), which tsctr does not support`);
    }
    const bit = Object.hasOwn(FILTER_FLAGS, f) ? FILTER_FLAGS[f] : undefined;
    if (bit === undefined) throw new InvalidArgumentError(`linux.seccomp.flags: unknown flag ${JSON.stringify(f)} (known: ${Object.keys(FILTER_FLAGS).join(', ')})`);
    flags |= bit;
  });
  return flags;
}

const isStrings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** The JSON shapes compileSeccomp walks (a profile file is user input; validateSpec checks less). */
export function checkShape(p: Seccomp): void {
  const bad = (field: string, why: string) => { throw new InvalidArgumentError(`linux.seccomp.${field}: ${why}`); };
  if (p.architectures !== undefined && !isStrings(p.architectures)) bad('architectures', 'must be an array of strings');
  if (p.flags !== undefined && !isStrings(p.flags)) bad('flags', 'must be an array of strings');
  if (p.syscalls === undefined) return;
  if (!Array.isArray(p.syscalls)) bad('syscalls', 'must be an array');
  p.syscalls.forEach((s, i) => {
    if (typeof s !== 'object' || s === null) bad(`syscalls[${i}]`, 'must be an object');
    if (!isStrings(s.names) || s.names.length === 0) bad(`syscalls[${i}].names`, 'must be a non-empty array of strings');
    if (s.args !== undefined && (!Array.isArray(s.args) || s.args.some((a) => typeof a !== 'object' || a === null))) bad(`syscalls[${i}].args`, 'must be an array of objects');
  });
}
