// The OCI `process` object of `tsctr-runc exec --process FILE` (runtime-spec
// config.md "process"), read as hostile input: the file is the caller's,
// and every value ends up in a launch plan that runs as root. A new object is
// built field by field from what is checked, so nothing unchecked (an extra
// field, a __proto__ key, a number where a string belongs) reaches the plan.
// Unknown fields are ignored as runc's JSON decoder ignores them; fields this
// runtime cannot honour (apparmorProfile, selinuxLabel) are refused by name.
import { readFileSync, statSync } from 'node:fs';
import { InvalidArgumentError } from '../errors.js';
import { RLIMIT } from '../sys/constants.js';
import { findCapability } from './spec/capabilities.js';
import type { Capabilities, Process, Rlimit, User } from './spec/types.js';

/** A process.json is a few KiB; anything near this is not one. */
export const MAX_PROCESS_JSON = 1 << 20;
// NGROUPS_MAX on Linux; setgroups(2) refuses more.
const MAX_GROUPS = 65536;
const MAX_STRINGS = 65536;

const CAP_SETS = ['bounding', 'effective', 'inheritable', 'permitted', 'ambient'] as const;

class Problems {
  readonly list: string[] = [];
  bad(field: string, why: string): void { this.list.push(`${field}: ${why}`); }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isUint32 = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
const own = (o: Record<string, unknown>, k: string): unknown => (Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined);

/** A string a plan can carry: no NUL byte (execve and paths end at one). */
function cleanString(p: Problems, field: string, v: unknown): v is string {
  if (typeof v !== 'string') { p.bad(field, `must be a string, got ${typeof v}`); return false; }
  if (v.includes('\0')) { p.bad(field, 'must not contain a NUL byte'); return false; }
  return true;
}

function stringList(p: Problems, field: string, v: unknown, check?: (s: string, i: number) => string | undefined): string[] | undefined {
  if (!Array.isArray(v)) { p.bad(field, 'must be an array of strings'); return undefined; }
  if (v.length > MAX_STRINGS) { p.bad(field, `has ${v.length} entries (at most ${MAX_STRINGS})`); return undefined; }
  const out: string[] = [];
  v.forEach((s, i) => {
    if (!cleanString(p, `${field}[${i}]`, s)) return;
    const why = check?.(s, i);
    if (why) p.bad(`${field}[${i}]`, why);
    else out.push(s);
  });
  return out;
}

function parseUser(p: Problems, v: unknown): User {
  const user: User = { uid: 0, gid: 0 };
  if (!isObject(v)) { p.bad('user', 'must be an object with uid and gid'); return user; }
  const uid = own(v, 'uid'), gid = own(v, 'gid'), umask = own(v, 'umask'), extra = own(v, 'additionalGids'), name = own(v, 'username');
  if (isUint32(uid)) user.uid = uid; else p.bad('user.uid', 'must be an integer from 0 to 4294967295');
  if (isUint32(gid)) user.gid = gid; else p.bad('user.gid', 'must be an integer from 0 to 4294967295');
  if (umask !== undefined && umask !== null) {
    if (typeof umask === 'number' && Number.isInteger(umask) && umask >= 0 && umask <= 0o777) user.umask = umask;
    else p.bad('user.umask', 'must be from 0 to 0777');
  }
  if (extra !== undefined && extra !== null) {
    if (!Array.isArray(extra)) p.bad('user.additionalGids', 'must be an array of integers');
    else if (extra.length > MAX_GROUPS) p.bad('user.additionalGids', `has ${extra.length} entries (at most ${MAX_GROUPS})`);
    else {
      user.additionalGids = [];
      extra.forEach((g, i) => { if (isUint32(g)) user.additionalGids!.push(g); else p.bad(`user.additionalGids[${i}]`, 'must be an integer from 0 to 4294967295'); });
    }
  }
  if (name !== undefined && name !== null && cleanString(p, 'user.username', name)) user.username = name;
  return user;
}

function parseCapabilities(p: Problems, v: unknown): Capabilities | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) { p.bad('capabilities', 'must be an object'); return undefined; }
  const caps: Capabilities = {};
  for (const set of CAP_SETS) {
    const list = own(v, set);
    if (list === undefined || list === null) continue;
    const names = stringList(p, `capabilities.${set}`, list, (c) => (findCapability(c) === undefined ? `unknown capability ${JSON.stringify(c)}` : undefined));
    if (names) caps[set] = names;
  }
  return caps;
}

function parseRlimits(p: Problems, v: unknown): Rlimit[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) { p.bad('rlimits', 'must be an array'); return undefined; }
  const seen = new Set<string>();
  const out: Rlimit[] = [];
  v.forEach((r, i) => {
    if (!isObject(r)) { p.bad(`rlimits[${i}]`, 'must be an object with type, soft and hard'); return; }
    const type = own(r, 'type'), soft = own(r, 'soft'), hard = own(r, 'hard');
    if (typeof type !== 'string' || !type.startsWith('RLIMIT_') || !Object.prototype.hasOwnProperty.call(RLIMIT, type.slice(7))) { p.bad(`rlimits[${i}].type`, `unknown rlimit ${JSON.stringify(type)}`); return; }
    if (seen.has(type)) { p.bad(`rlimits[${i}].type`, `duplicate rlimit ${type}`); return; }
    seen.add(type);
    // JSON numbers beyond 2^53 lose precision; runc's uint64 "unlimited" arrives as 18446744073709551615.
    const limit = (x: unknown) => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 2 ** 64;
    if (!limit(soft) || !limit(hard)) { p.bad(`rlimits[${i}]`, 'soft and hard must be non-negative integers'); return; }
    if ((soft as number) > (hard as number)) { p.bad(`rlimits[${i}].soft`, `must not exceed hard (${soft} > ${hard})`); return; }
    out.push({ type, soft: soft as number, hard: hard as number });
  });
  return out;
}

/** Checks a parsed process object; every problem is reported, each as `process.<field>: reason`. */
export function validateProcess(v: unknown): Process {
  const p = new Problems();
  if (!isObject(v)) throw new InvalidArgumentError('process: must be a JSON object (runtime-spec config.md "process")');
  const proc: Process = { user: parseUser(p, own(v, 'user')), cwd: '/' };
  const args = own(v, 'args');
  const list = stringList(p, 'args', args);
  if (list && list.length === 0) p.bad('args', 'must name a program (a non-empty array)');
  else if (list) proc.args = list;
  const cwd = own(v, 'cwd');
  if (cleanString(p, 'cwd', cwd)) {
    if (!cwd.startsWith('/')) p.bad('cwd', `must be an absolute path, got ${JSON.stringify(cwd)}`);
    else proc.cwd = cwd;
  }
  const env = own(v, 'env');
  if (env !== undefined && env !== null) proc.env = stringList(p, 'env', env, (e) => (/^[^=]+=/.test(e) ? undefined : `must look like KEY=value, got ${JSON.stringify(e)}`));
  for (const k of ['terminal', 'noNewPrivileges'] as const) {
    const b = own(v, k);
    if (b === undefined || b === null) continue;
    if (typeof b !== 'boolean') p.bad(k, 'must be true or false');
    else proc[k] = b;
  }
  const size = own(v, 'consoleSize');
  if (size !== undefined && size !== null) {
    const dim = (x: unknown) => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 0xffff;
    if (!isObject(size) || !dim(own(size, 'height')) || !dim(own(size, 'width'))) p.bad('consoleSize', 'must be {"height": H, "width": W}, each from 0 to 65535');
    else proc.consoleSize = { height: own(size, 'height') as number, width: own(size, 'width') as number };
  }
  const caps = parseCapabilities(p, own(v, 'capabilities'));
  if (caps) proc.capabilities = caps;
  const rl = parseRlimits(p, own(v, 'rlimits'));
  if (rl) proc.rlimits = rl;
  const oom = own(v, 'oomScoreAdj');
  if (oom !== undefined && oom !== null) {
    if (typeof oom === 'number' && Number.isInteger(oom) && oom >= -1000 && oom <= 1000) proc.oomScoreAdj = oom;
    else p.bad('oomScoreAdj', 'must be an integer from -1000 to 1000');
  }
  // Not available on this runtime: refused, never silently dropped (runc refuses an AppArmor profile without AppArmor too).
  for (const k of ['apparmorProfile', 'selinuxLabel'] as const) {
    const x = own(v, k);
    if (x !== undefined && x !== null && x !== '') p.bad(k, `is not supported by tsctr-runc (no ${k === 'apparmorProfile' ? 'AppArmor' : 'SELinux'} support); leave it empty`);
  }
  for (const k of ['ioPriority', 'scheduler', 'execCPUAffinity']) {
    const x = own(v, k);
    if (x !== undefined && x !== null) p.bad(k, 'is not supported by tsctr-runc');
  }
  if (p.list.length) throw new InvalidArgumentError(p.list.map((l) => `process.${l}`).join('; '));
  return proc;
}

/** Reads and checks --process FILE: a regular file of at most 1 MiB holding one JSON object. */
export function loadProcessFile(path: string): Process {
  let text: string;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new InvalidArgumentError(`--process ${JSON.stringify(path)}: not a regular file`);
    if (st.size > MAX_PROCESS_JSON) throw new InvalidArgumentError(`--process ${JSON.stringify(path)}: ${st.size} bytes is too large for a process.json (at most ${MAX_PROCESS_JSON})`);
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof InvalidArgumentError) throw e;
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    throw new InvalidArgumentError(`--process ${JSON.stringify(path)}: ${code === 'ENOENT' ? 'no such file' : code}`, { cause: e });
  }
  return parseProcessJson(text, path);
}

export function parseProcessJson(text: string, name = 'process.json'): Process {
  if (text.length > MAX_PROCESS_JSON) throw new InvalidArgumentError(`${name}: too large for a process.json (at most ${MAX_PROCESS_JSON} bytes)`);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new InvalidArgumentError(`${name}: not valid JSON (${(e as Error).message})`);
  }
  return validateProcess(v);
}
