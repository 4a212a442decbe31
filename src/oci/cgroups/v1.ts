// cgroup v1 resources: one directory per hierarchy (kernel
// Documentation/admin-guide/cgroup-v1/*.rst).
import type { DeviceCgroupRule, Resources } from '../spec/types.js';
import { FailedPreconditionError } from '../../errors.js';
import { applyBlkioV1, hasBlockIO } from './blkio.js';
import { CgroupError, writeOrRefuse, hasCgroupFile, readCgroupFile, tryReadCgroupFile, writeCgroupFile } from './files.js';

/** controller name → the directory of the hierarchy that carries it. */
export type V1Dirs = Map<string, string>;

/** "c 1:3 rwm" for devices.allow / devices.deny (cgroup-v1/devices.rst). */
export function formatDeviceRule(r: DeviceCgroupRule): string {
  const type = r.type ?? 'a';
  if (type === 'a') return 'a';
  const num = (n: number | null | undefined) => (n === undefined || n === null || n < 0 ? '*' : String(n));
  return `${type} ${num(r.major)}:${num(r.minor)} ${r.access || 'rwm'}`;
}

export function applyV1(dirs: V1Dirs, r: Resources): string[] {
  const warnings: string[] = [];
  const dir = (c: string) => dirs.get(c);
  applyNetwork(dirs, r.network);
  const mem = r.memory;
  const memDir = dir('memory');
  if (mem && memDir) {
    if (mem.limit !== undefined || mem.swap !== undefined) applyMemoryLimits(memDir, mem.limit, mem.swap, warnings);
    if (mem.reservation !== undefined) writeCgroupFile(memDir, 'memory.soft_limit_in_bytes', mem.reservation);
    if (mem.swappiness !== undefined) writeCgroupFile(memDir, 'memory.swappiness', mem.swappiness);
    if (mem.disableOOMKiller) writeCgroupFile(memDir, 'memory.oom_control', 1);
    if (mem.kernel !== undefined) warnings.push('linux.resources.memory.kernel: kernel memory limits are deprecated and not set');
    if (mem.kernelTCP !== undefined) writeOrRefuse(memDir, 'memory.kmem.tcp.limit_in_bytes', mem.kernelTCP, 'memory.kernelTCP');
    if (mem.useHierarchy !== undefined) writeOrRefuse(memDir, 'memory.use_hierarchy', mem.useHierarchy ? 1 : 0, 'memory.useHierarchy');
  } else if (mem && Object.values(mem).some((v) => v !== undefined)) throw noController('memory');

  const cpu = r.cpu;
  const cpuDir = dir('cpu');
  if (cpu && cpuDir) {
    if (cpu.shares !== undefined) writeCgroupFile(cpuDir, 'cpu.shares', cpu.shares);
    // The period first: a quota is checked against the current period.
    if (cpu.period !== undefined) writeCgroupFile(cpuDir, 'cpu.cfs_period_us', cpu.period);
    if (cpu.quota !== undefined) writeCgroupFile(cpuDir, 'cpu.cfs_quota_us', cpu.quota);
    if (cpu.burst !== undefined) writeOrRefuse(cpuDir, 'cpu.cfs_burst_us', cpu.burst, 'cpu.burst');
    // cpu.idle came to v1 in Linux 5.15; 0 is the default and needs no file.
    if (cpu.idle) writeOrRefuse(cpuDir, 'cpu.idle', cpu.idle, 'cpu.idle');
    if (cpu.realtimePeriod !== undefined) writeCgroupFile(cpuDir, 'cpu.rt_period_us', cpu.realtimePeriod);
    if (cpu.realtimeRuntime !== undefined) writeCgroupFile(cpuDir, 'cpu.rt_runtime_us', cpu.realtimeRuntime);
  }
  const cpusetDir = dir('cpuset');
  if (cpu && cpusetDir) {
    if (cpu.cpus) writeCgroupFile(cpusetDir, 'cpuset.cpus', cpu.cpus);
    if (cpu.mems) writeCgroupFile(cpusetDir, 'cpuset.mems', cpu.mems);
  }
  const pidsDir = dir('pids');
  if (r.pids && pidsDir) writeCgroupFile(pidsDir, 'pids.max', r.pids.limit > 0 ? r.pids.limit : 'max');
  else if (r.pids) throw noController('pids');

  const devDir = dir('devices');
  if (r.devices?.length && devDir) {
    for (const rule of r.devices) writeCgroupFile(devDir, rule.allow ? 'devices.allow' : 'devices.deny', formatDeviceRule(rule));
  } else if (r.devices?.length) warnings.push('linux.resources.devices: no devices hierarchy is mounted; device rules are not enforced');

  const blkDir = dir('blkio');
  if (hasBlockIO(r.blockIO)) {
    if (!blkDir) throw new FailedPreconditionError('linux.resources.blockIO: no blkio cgroup hierarchy is mounted on this host; refused, not ignored', { hint: 'remove linux.resources.blockIO from config.json' });
    applyBlkioV1(blkDir, r.blockIO!);
  }
  const hugeDir = dir('hugetlb');
  for (const h of r.hugepageLimits ?? []) {
    if (hugeDir) writeCgroupFile(hugeDir, `hugetlb.${h.pageSize}.limit_in_bytes`, h.limit);
  }
  if (r.unified && Object.keys(r.unified).length) warnings.push('linux.resources.unified: cgroup v2 files cannot be set on cgroup v1 hierarchies; ignored');
  return warnings;
}

/**
 * memory.memsw.limit_in_bytes (memory+swap) may never be below
 * memory.limit_in_bytes, so the order depends on the direction
 * (runc fs/memory.go setMemoryAndSwap).
 */
function applyMemoryLimits(dir: string, limit: number | undefined, swap: number | undefined, warnings: string[]): void {
  const hasMemsw = hasCgroupFile(dir, 'memory.memsw.limit_in_bytes');
  if (swap !== undefined && !hasMemsw) {
    warnings.push('linux.resources.memory.swap: swap accounting is off in this kernel (swapaccount=1); swap is not limited');
    swap = undefined;
  }
  // OCI swap is memory+swap, as memsw is; -1 is unlimited.
  const cur = Number(tryReadCgroupFile(dir, 'memory.limit_in_bytes') ?? '-1');
  const raising = limit === -1 || (limit !== undefined && limit > cur);
  const set = (file: string, v: number | undefined) => { if (v !== undefined) writeCgroupFile(dir, file, v); };
  if (hasMemsw && raising) {
    set('memory.memsw.limit_in_bytes', swap ?? (limit === -1 ? -1 : undefined));
    set('memory.limit_in_bytes', limit);
  } else {
    set('memory.limit_in_bytes', limit);
    set('memory.memsw.limit_in_bytes', swap);
  }
}

/**
 * cpuset.cpus and cpuset.mems start empty in a new v1 cpuset cgroup, and no
 * task can join it until both are set: copy them down from the parent,
 * level by level (cgroup-v1/cpusets.rst; runc fs/cpuset.go ensureParent).
 */
export function copyCpusetDown(levels: string[]): void {
  for (let i = 1; i < levels.length; i++) {
    for (const file of ['cpuset.cpus', 'cpuset.mems']) {
      const mine = tryReadCgroupFile(levels[i]!, file);
      if (mine === undefined || mine !== '') continue;
      const parent = readCgroupFile(levels[i - 1]!, file);
      if (parent === '') throw new CgroupError(`${levels[i - 1]}/${file} is empty: cannot place tasks under it`, levels[i - 1]!);
      writeCgroupFile(levels[i]!, file, parent);
    }
  }
}

/**
 * net_cls / net_prio (cgroup-v1/net_cls.rst, net_prio.rst). cgroup v2 has no
 * such controller; where the hierarchy is missing the request is refused, not
 * ignored, as runc does ("cannot set net_cls limit").
 */
export function applyNetwork(dirs: V1Dirs, net: Resources['network']): void {
  if (!net) return;
  const need = (field: string, controller: string): string => {
    const d = dirs.get(controller);
    if (!d) throw new FailedPreconditionError(`linux.resources.network.${field}: no ${controller} cgroup hierarchy is mounted on this host (cgroup v2 has none); refused, not ignored`, { hint: `mount the v1 ${controller} controller, or remove linux.resources.network from config.json` });
    return d;
  };
  if (net.classID !== undefined) writeCgroupFile(need('classID', 'net_cls'), 'net_cls.classid', net.classID);
  for (const p of net.priorities ?? []) writeCgroupFile(need('priorities', 'net_prio'), 'net_prio.ifpriomap', `${p.name} ${p.priority}`);
}


/** A limit asked for whose controller this host does not mount: refused, not ignored (runtime-spec: a controller that is not present is an error). */
function noController(c: string): FailedPreconditionError {
  return new FailedPreconditionError(`linux.resources.${c}: no ${c} cgroup hierarchy is mounted on this host; refused, not ignored`, { hint: `remove linux.resources.${c} from config.json, or mount the ${c} controller` });
}
