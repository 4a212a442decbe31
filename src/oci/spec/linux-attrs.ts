// Parsers for the process attributes config.json sets through one system
// call each: time namespace offsets (time_namespaces(7)), the execution
// domain (personality(2)) and the I/O priority (ioprio_set(2)). Pure; each
// problem names its field. Untrusted input: a bundle's config.json.

/** Clocks a time namespace can offset (time_namespaces(7)): the others are not per-namespace. */
export const TIME_CLOCKS = ['monotonic', 'boottime'] as const;
const NSEC_PER_SEC = 1_000_000_000;
// The kernel takes offsets as a timespec64 and refuses ones the clock cannot carry
// (KTIME_SEC_MAX/2, ~146 years); JSON cannot carry integers past 2^53 exactly.
const MAX_OFFSET_SECS = 146 * 365 * 86400;

export interface Parsed<T> {
  value?: T;
  errors: string[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * linux.timeOffsets → the text for /proc/<pid>/timens_offsets, one
 * "<clock> <secs> <nanosecs>" line per clock, written in one write(2)
 * before any process is in the namespace.
 */
export function parseTimeOffsets(v: unknown): Parsed<string> {
  const field = 'linux.timeOffsets';
  if (!isObject(v)) return { errors: [`${field}: must be an object of clock name → { secs, nanosecs }`] };
  const errors: string[] = [];
  const lines: string[] = [];
  for (const [clock, off] of Object.entries(v)) {
    const f = `${field}[${JSON.stringify(clock)}]`;
    if (!(TIME_CLOCKS as readonly string[]).includes(clock)) { errors.push(`${f}: unknown clock (a time namespace offsets only ${TIME_CLOCKS.join(' and ')})`); continue; }
    if (!isObject(off)) { errors.push(`${f}: must be an object { secs, nanosecs }`); continue; }
    const secs = off.secs ?? 0;
    const nanosecs = off.nanosecs ?? 0;
    if (typeof secs !== 'number' || !Number.isSafeInteger(secs) || Math.abs(secs) > MAX_OFFSET_SECS) errors.push(`${f}.secs: must be an integer of at most ${MAX_OFFSET_SECS} seconds either way`);
    else if (typeof nanosecs !== 'number' || !Number.isInteger(nanosecs) || nanosecs < 0 || nanosecs >= NSEC_PER_SEC) errors.push(`${f}.nanosecs: must be an integer from 0 to 999999999`);
    else lines.push(`${clock} ${secs} ${nanosecs}`);
  }
  return errors.length ? { errors } : { value: lines.join('\n'), errors };
}

/** personality(2) execution domains the spec names (linux/personality.h). */
export const PERSONALITY_DOMAINS: Record<string, number> = { LINUX: 0x0000, LINUX32: 0x0008 };

/** linux.personality → the persona for personality(2). The spec defines no flag yet: any is refused. */
export function parsePersonality(v: unknown): Parsed<number> {
  const field = 'linux.personality';
  if (!isObject(v)) return { errors: [`${field}: must be an object { domain, flags }`] };
  const errors: string[] = [];
  const domain = v.domain;
  if (typeof domain !== 'string' || !Object.hasOwn(PERSONALITY_DOMAINS, domain)) errors.push(`${field}.domain: must be ${Object.keys(PERSONALITY_DOMAINS).join(' or ')}, got ${JSON.stringify(domain)}`);
  if (v.flags !== undefined) {
    if (!Array.isArray(v.flags)) errors.push(`${field}.flags: must be an array`);
    else if (v.flags.length) errors.push(`${field}.flags: ${JSON.stringify(v.flags[0])} is not supported by tsctr-runc (runtime-spec defines no personality flag)`);
  }
  return errors.length ? { errors } : { value: PERSONALITY_DOMAINS[domain as string]!, errors };
}

/** ioprio classes (linux/ioprio.h). */
export const IOPRIO_CLASSES: Record<string, number> = { IOPRIO_CLASS_RT: 1, IOPRIO_CLASS_BE: 2, IOPRIO_CLASS_IDLE: 3 };
export const IOPRIO_WHO_PROCESS = 1;
const IOPRIO_CLASS_SHIFT = 13;

/** process.ioPriority → IOPRIO_PRIO_VALUE(class, priority) for ioprio_set(2). */
export function parseIoPriority(v: unknown): Parsed<number> {
  const field = 'process.ioPriority';
  if (!isObject(v)) return { errors: [`${field}: must be an object { class, priority }`] };
  const errors: string[] = [];
  const cls = v.class;
  if (typeof cls !== 'string' || !Object.hasOwn(IOPRIO_CLASSES, cls)) errors.push(`${field}.class: must be one of ${Object.keys(IOPRIO_CLASSES).join(', ')}, got ${JSON.stringify(cls)}`);
  const prio = v.priority ?? 0;
  // The kernel's levels are 0 (highest) to 7 (IOPRIO_NR_LEVELS 8).
  if (typeof prio !== 'number' || !Number.isInteger(prio) || prio < 0 || prio > 7) errors.push(`${field}.priority: must be an integer from 0 to 7`);
  return errors.length ? { errors } : { value: (IOPRIO_CLASSES[cls as string]! << IOPRIO_CLASS_SHIFT) | (prio as number), errors };
}
