// The input of `tsctr-runc update`: an OCI linux.resources object (from
// --resources FILE or stdin), or runc's single-value flags. Hostile input:
// every field is checked for its type and range, unknown and unsupported
// fields are named and refused, nothing is written unless all of it is good.
//
// runc's update reads zero as "leave as it is" (its --resources template is
// all zeros), so zero numbers and empty cpu lists are dropped here; -1 is
// "unlimited" where runc allows it.
import { InvalidArgumentError } from '../errors.js';
import type { Resources } from './spec/types.js';
import { parseIntFlag, parseMemoryFlag } from './units.js';

/** Bigger than any sensible resources document (runc reads without a limit; we do not). */
export const MAX_RESOURCES_BYTES = 1 << 20;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const CPU_LIST = /^(\d{1,5}(-\d{1,5})?)(,\d{1,5}(-\d{1,5})?)*$/;

/** Parses and validates; throws one InvalidArgumentError listing every bad field. */
export function parseResources(text: string, source = 'resources'): Resources {
  if (text.length > MAX_RESOURCES_BYTES) throw new InvalidArgumentError(`${source}: ${text.length} bytes, more than the ${MAX_RESOURCES_BYTES} accepted`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new InvalidArgumentError(`${source}: not JSON (${(e as Error).message})`, { hint: 'an OCI linux.resources object, e.g. {"memory":{"limit":536870912}}' });
  }
  const errs: string[] = [];
  const r = checkResources(doc, errs);
  if (errs.length) throw new InvalidArgumentError(`${source}: ${errs.join('; ')}`, { hint: 'fields as in the OCI runtime-spec linux.resources (memory, cpu, pids, blockIO, hugepageLimits, unified)' });
  return r;
}

const REFUSED = new Map<string, string>(Object.entries({
  devices: 'update does not change device rules (runc ignores them)',
  network: 'update does not change net_cls/net_prio',
  rdma: 'rdma limits are not supported',
  'memory.kernel': 'kernel memory limits are deprecated (cgroup v2 has none)',
  'memory.kernelTCP': 'kernel memory limits are deprecated (cgroup v2 has none)',
  'blockIO.leafWeight': 'not supported by update',
  'blockIO.weightDevice': 'not supported by update',
  'blockIO.throttleReadBpsDevice': 'not supported by update',
  'blockIO.throttleWriteBpsDevice': 'not supported by update',
  'blockIO.throttleReadIOPSDevice': 'not supported by update',
  'blockIO.throttleWriteIOPSDevice': 'not supported by update',
}));

function checkResources(doc: unknown, errs: string[]): Resources {
  const out: Resources = {};
  if (!isObj(doc)) { errs.push('must be a JSON object'); return out; }
  const fields = (o: Obj, path: string, known: string[]) => {
    for (const k of Object.keys(o)) {
      const name = path ? `${path}.${k}` : k;
      // A Map, not an object: "__proto__" or "constructor" must not find Object.prototype's members.
      const refusal = REFUSED.get(name);
      if (refusal !== undefined) {
        // A zero (runc's template) asks for nothing: accept it silently.
        if (!(o[k] === 0 || o[k] === null || (Array.isArray(o[k]) && (o[k] as unknown[]).length === 0))) errs.push(`${name}: ${refusal}`);
      } else if (!known.includes(k)) errs.push(`${name}: unknown field`);
    }
  };
  /** An integer in [min, max]; 0 (unchanged) → undefined. */
  const int = (o: Obj, path: string, k: string, min: number, max: number): number | undefined => {
    const v = o[k];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v)) { errs.push(`${path}.${k}: must be an integer, got ${JSON.stringify(v)?.slice(0, 40)}`); return undefined; }
    if (!Number.isSafeInteger(v)) { errs.push(`${path}.${k}: ${v} is too large`); return undefined; }
    if (v === 0) return undefined;
    if (v < min || v > max) { errs.push(`${path}.${k}: ${v} is out of range (${min} to ${max})`); return undefined; }
    return v;
  };
  fields(doc, '', ['memory', 'cpu', 'pids', 'blockIO', 'hugepageLimits', 'unified']);
  const section = (k: string): Obj | undefined => {
    const v = doc[k];
    if (v === undefined || v === null) return undefined;
    if (!isObj(v)) { errs.push(`${k}: must be an object`); return undefined; }
    return v;
  };
  const MAX = Number.MAX_SAFE_INTEGER;
  const mem = section('memory');
  if (mem) {
    fields(mem, 'memory', ['limit', 'reservation', 'swap', 'swappiness', 'disableOOMKiller']);
    const m: NonNullable<Resources['memory']> = {};
    for (const k of ['limit', 'reservation', 'swap'] as const) {
      const v = int(mem, 'memory', k, -1, MAX);
      if (v !== undefined) m[k] = v;
    }
    if (mem.swappiness !== undefined && mem.swappiness !== null) {
      const v = mem.swappiness;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 100) errs.push(`memory.swappiness: must be an integer from 0 to 100, got ${JSON.stringify(v)?.slice(0, 40)}`);
      else m.swappiness = v;
    }
    if (mem.disableOOMKiller !== undefined && mem.disableOOMKiller !== null) {
      if (typeof mem.disableOOMKiller !== 'boolean') errs.push('memory.disableOOMKiller: must be true or false');
      else if (mem.disableOOMKiller) m.disableOOMKiller = true;
    }
    if (m.limit !== undefined && m.limit > 0 && m.swap !== undefined && m.swap > 0 && m.swap < m.limit) errs.push(`memory.swap: ${m.swap} (memory+swap) is below memory.limit ${m.limit}`);
    if (Object.keys(m).length) out.memory = m;
  }
  const cpu = section('cpu');
  if (cpu) {
    fields(cpu, 'cpu', ['shares', 'quota', 'period', 'realtimeRuntime', 'realtimePeriod', 'cpus', 'mems', 'idle']);
    const c: NonNullable<Resources['cpu']> = {};
    const set = (k: 'shares' | 'quota' | 'period' | 'realtimeRuntime' | 'realtimePeriod', min: number, max: number) => { const v = int(cpu, 'cpu', k, min, max); if (v !== undefined) c[k] = v; };
    set('shares', 2, 262144);
    set('quota', -1, MAX);
    if (c.quota !== undefined && c.quota > 0 && c.quota < 1000) { errs.push(`cpu.quota: ${c.quota} is below the kernel's 1000 µs minimum`); delete c.quota; }
    set('period', 1000, 1_000_000);
    set('realtimeRuntime', -1, MAX);
    set('realtimePeriod', 1, MAX);
    for (const k of ['cpus', 'mems'] as const) {
      const v = cpu[k];
      if (v === undefined || v === null || v === '') continue;
      if (typeof v !== 'string' || v.length > 4096 || !CPU_LIST.test(v)) errs.push(`cpu.${k}: must be a list like "0-2,4", got ${JSON.stringify(v)?.slice(0, 40)}`);
      else c[k] = v;
    }
    if (cpu.idle !== undefined && cpu.idle !== null) {
      if (cpu.idle !== 0 && cpu.idle !== 1) errs.push(`cpu.idle: must be 0 or 1, got ${JSON.stringify(cpu.idle)?.slice(0, 40)}`);
      else c.idle = cpu.idle;
    }
    if (Object.keys(c).length) out.cpu = c;
  }
  const pids = section('pids');
  if (pids) {
    fields(pids, 'pids', ['limit']);
    const v = int(pids, 'pids', 'limit', -1, MAX);
    if (v !== undefined) out.pids = { limit: v };
  }
  const blk = section('blockIO');
  if (blk) {
    fields(blk, 'blockIO', ['weight']);
    const v = int(blk, 'blockIO', 'weight', 10, 1000);
    if (v !== undefined) out.blockIO = { weight: v };
  }
  const huge = doc.hugepageLimits;
  if (huge !== undefined && huge !== null) {
    if (!Array.isArray(huge) || huge.length > 16) errs.push('hugepageLimits: must be an array (of at most 16 page sizes)');
    else {
      const list: { pageSize: string; limit: number }[] = [];
      huge.forEach((h: unknown, i) => {
        if (!isObj(h)) { errs.push(`hugepageLimits[${i}]: must be an object`); return; }
        fields(h, `hugepageLimits[${i}]`, ['pageSize', 'limit']);
        if (typeof h.pageSize !== 'string' || !/^\d{1,4}[KMG]B$/.test(h.pageSize)) { errs.push(`hugepageLimits[${i}].pageSize: must be like "2MB" or "1GB", got ${JSON.stringify(h.pageSize)?.slice(0, 40)}`); return; }
        if (typeof h.limit !== 'number' || !Number.isSafeInteger(h.limit) || h.limit < 0) { errs.push(`hugepageLimits[${i}].limit: must be a byte count`); return; }
        list.push({ pageSize: h.pageSize, limit: h.limit });
      });
      if (list.length) out.hugepageLimits = list;
    }
  }
  const unified = doc.unified;
  if (unified !== undefined && unified !== null) {
    if (!isObj(unified)) errs.push('unified: must be an object of cgroup v2 file name → value');
    else {
      const u: Record<string, string> = {};
      for (const [k, v] of Object.entries(unified)) {
        // One file in the container's own directory: "<controller>.<name>", nothing that walks elsewhere.
        if (!/^[a-z_]+\.[a-z0-9_.]+$/.test(k) || k.includes('..') || k.length > 64 || k.startsWith('cgroup.')) errs.push(`unified: ${JSON.stringify(k).slice(0, 70)} is not a controller file name (like "memory.high")`);
        else if (typeof v !== 'string' || v.length > 4096 || /[\n\0]/.test(v)) errs.push(`unified.${k}: must be a one-line string`);
        else u[k] = v;
      }
      if (Object.keys(u).length) out.unified = u;
    }
  }
  return out;
}

/** runc's single-value flags, as the CLI passed them (strings; undefined when not given). */
export interface UpdateFlags {
  memory?: string; 'memory-reservation'?: string; 'memory-swap'?: string; 'kernel-memory'?: string; 'kernel-memory-tcp'?: string;
  'cpu-shares'?: string; 'cpu-period'?: string; 'cpu-quota'?: string; 'cpu-rt-period'?: string; 'cpu-rt-runtime'?: string;
  'cpuset-cpus'?: string; 'cpuset-mems'?: string; 'pids-limit'?: string; 'blkio-weight'?: string;
  'l3-cache-schema'?: string; 'mem-bw-schema'?: string;
}

/** The flags as a resources document, through the same checks as --resources. */
export function resourcesFromFlags(f: UpdateFlags): Resources {
  for (const k of ['kernel-memory', 'kernel-memory-tcp'] as const) if (f[k] !== undefined) throw new InvalidArgumentError(`--${k}: kernel memory limits are deprecated and not supported (cgroup v2 has none)`);
  for (const k of ['l3-cache-schema', 'mem-bw-schema'] as const) if (f[k] !== undefined) throw new InvalidArgumentError(`--${k}: Intel RDT (resctrl) is not supported by tsctr-runc`);
  const doc: { memory: Obj; cpu: Obj; pids: Obj; blockIO: Obj } = { memory: {}, cpu: {}, pids: {}, blockIO: {} };
  const MAX = Number.MAX_SAFE_INTEGER;
  if (f.memory !== undefined) doc.memory.limit = parseMemoryFlag(f.memory, 'memory');
  if (f['memory-reservation'] !== undefined) doc.memory.reservation = parseMemoryFlag(f['memory-reservation'], 'memory-reservation');
  if (f['memory-swap'] !== undefined) doc.memory.swap = parseMemoryFlag(f['memory-swap'], 'memory-swap');
  if (f['cpu-shares'] !== undefined) doc.cpu.shares = parseIntFlag(f['cpu-shares'], 'cpu-shares', 0, MAX);
  if (f['cpu-period'] !== undefined) doc.cpu.period = parseIntFlag(f['cpu-period'], 'cpu-period', 0, MAX);
  if (f['cpu-quota'] !== undefined) doc.cpu.quota = parseIntFlag(f['cpu-quota'], 'cpu-quota', -MAX, MAX);
  if (f['cpu-rt-period'] !== undefined) doc.cpu.realtimePeriod = parseIntFlag(f['cpu-rt-period'], 'cpu-rt-period', 0, MAX);
  if (f['cpu-rt-runtime'] !== undefined) doc.cpu.realtimeRuntime = parseIntFlag(f['cpu-rt-runtime'], 'cpu-rt-runtime', -MAX, MAX);
  if (f['cpuset-cpus'] !== undefined) doc.cpu.cpus = f['cpuset-cpus'];
  if (f['cpuset-mems'] !== undefined) doc.cpu.mems = f['cpuset-mems'];
  if (f['pids-limit'] !== undefined) doc.pids.limit = parseIntFlag(f['pids-limit'], 'pids-limit', -MAX, MAX);
  if (f['blkio-weight'] !== undefined) doc.blockIO.weight = parseIntFlag(f['blkio-weight'], 'blkio-weight', 0, 65535);
  const errs: string[] = [];
  const r = checkResources(doc, errs);
  if (errs.length) throw new InvalidArgumentError(`update: ${errs.join('; ')}`);
  return r;
}

/** current with patch laid over it, field by field (what state.json records after update). Pure. */
export function mergeResources(current: Resources | undefined, patch: Resources): Resources {
  const r: Resources = structuredClone(current ?? {});
  if (patch.memory) r.memory = { ...r.memory, ...patch.memory };
  if (patch.cpu) r.cpu = { ...r.cpu, ...patch.cpu };
  if (patch.pids) r.pids = { ...patch.pids };
  if (patch.blockIO) r.blockIO = { ...r.blockIO, ...patch.blockIO };
  if (patch.hugepageLimits) {
    const bySize = new Map((r.hugepageLimits ?? []).map((h) => [h.pageSize, h]));
    for (const h of patch.hugepageLimits) bySize.set(h.pageSize, { ...h });
    r.hugepageLimits = [...bySize.values()];
  }
  if (patch.unified) r.unified = { ...r.unified, ...patch.unified };
  return r;
}

/** Whether the patch asks for anything. */
export const isEmptyResources = (r: Resources) => Object.keys(r).length === 0;
