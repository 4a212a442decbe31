// cgroup v2 resources: one directory in the unified tree
// (kernel Documentation/admin-guide/cgroup-v2.rst; runc fs2/*.go).
import type { Resources } from '../spec/types.js';
import { FailedPreconditionError } from '../../errors.js';
import { applyIoV2, hasBlockIO } from './blkio.js';
import { writeOrRefuse, hasCgroupFile, readCgroupFile, tryReadCgroupFile, writeCgroupFile } from './files.js';

/** cpu.shares (2..262144) → cpu.weight (1..10000), runc's ConvertCPUSharesToCgroupV2Value. */
export function convertSharesToWeight(shares: number): number {
  if (shares === 0) return 0;
  return Math.floor(1 + ((shares - 2) * 9999) / 262142);
}

/** blkio.weight (10..1000) → io.weight (1..10000), runc's ConvertBlkIOToIOWeightValue. */
export function convertBlkioToIoWeight(weight: number): number {
  if (weight === 0) return 0;
  return Math.floor(1 + ((weight - 10) * 9999) / 990);
}

/** The controllers these resources need in the container's cgroup. */
export function neededControllers(r: Resources): Set<string> {
  const s = new Set<string>();
  if (r.memory) s.add('memory');
  if (r.cpu && (r.cpu.shares !== undefined || r.cpu.quota !== undefined || r.cpu.period !== undefined || r.cpu.idle !== undefined)) s.add('cpu');
  if (r.cpu?.cpus || r.cpu?.mems) s.add('cpuset');
  if (r.pids) s.add('pids');
  if (hasBlockIO(r.blockIO)) s.add('io');
  if (r.hugepageLimits?.length) s.add('hugetlb');
  for (const key of Object.keys(r.unified ?? {})) { const c = key.split('.')[0]!; if (c !== 'cgroup') s.add(c); }
  return s;
}

/**
 * Enables controllers for the children of each level from base down to
 * the leaf's parent ("+memory +pids" into cgroup.subtree_control). Returns
 * the controllers that could not be enabled, with why.
 */
export function enableControllers(levels: string[], wanted: Set<string>): string[] {
  const warnings: string[] = [];
  for (const dir of levels.slice(0, -1)) {
    const available = new Set((tryReadCgroupFile(dir, 'cgroup.controllers') ?? '').split(/\s+/).filter(Boolean));
    const enabled = new Set((tryReadCgroupFile(dir, 'cgroup.subtree_control') ?? '').split(/\s+/).filter(Boolean));
    for (const c of wanted) {
      if (enabled.has(c)) continue;
      if (!available.has(c)) { warnings.push(`cgroup v2: controller "${c}" is not available in ${dir}; its limits are not enforced`); wanted.delete(c); continue; }
      try {
        writeCgroupFile(dir, 'cgroup.subtree_control', `+${c}`);
      } catch (e) {
        // "no internal processes": a non-root cgroup holding processes cannot hand domain controllers down.
        warnings.push(`cgroup v2: cannot enable "${c}" in ${dir} (${(e as Error).message}); its limits are not enforced`);
        wanted.delete(c);
      }
    }
  }
  return warnings;
}

export function applyV2(dir: string, r: Resources, available: Set<string>): string[] {
  const warnings: string[] = [];
  const has = (c: string) => available.has(c);
  const mem = r.memory;
  if (mem && has('memory')) {
    if (mem.limit !== undefined) writeCgroupFile(dir, 'memory.max', mem.limit > 0 ? mem.limit : 'max');
    if (mem.reservation !== undefined) writeCgroupFile(dir, 'memory.low', mem.reservation > 0 ? mem.reservation : 0);
    if (mem.swap !== undefined) {
      // OCI swap is memory+swap (the v1 meaning); memory.swap.max is swap alone.
      if (!hasCgroupFile(dir, 'memory.swap.max')) warnings.push('linux.resources.memory.swap: no memory.swap.max (swap accounting off); not limited');
      else if (mem.swap === -1) writeCgroupFile(dir, 'memory.swap.max', 'max');
      else if (mem.limit === undefined || mem.limit <= 0) warnings.push('linux.resources.memory.swap: needs memory.limit on cgroup v2; not set');
      else writeCgroupFile(dir, 'memory.swap.max', Math.max(0, mem.swap - mem.limit));
    }
    if (mem.swappiness !== undefined) warnings.push('linux.resources.memory.swappiness: cgroup v2 has no per-cgroup swappiness; ignored');
    if (mem.disableOOMKiller) warnings.push('linux.resources.memory.disableOOMKiller: not available on cgroup v2; ignored');
    // v2 has no per-cgroup TCP buffer limit (memory.max accounts sockets) and is always hierarchical.
    if (mem.kernelTCP !== undefined) throw new FailedPreconditionError('linux.resources.memory.kernelTCP: cgroup v2 has no kernel TCP memory limit; refused, not ignored', { hint: 'remove linux.resources.memory.kernelTCP from config.json' });
    if (mem.useHierarchy === false) throw new FailedPreconditionError('linux.resources.memory.useHierarchy: cgroup v2 is always hierarchical; false is refused', { hint: 'remove linux.resources.memory.useHierarchy from config.json' });
  }
  const cpu = r.cpu;
  if (cpu && has('cpu')) {
    if (cpu.shares !== undefined) writeCgroupFile(dir, 'cpu.weight', convertSharesToWeight(cpu.shares));
    if (cpu.quota !== undefined || cpu.period !== undefined) {
      const cur = (tryReadCgroupFile(dir, 'cpu.max') ?? 'max 100000').split(' ');
      const quota = cpu.quota === undefined ? cur[0] : cpu.quota > 0 ? String(cpu.quota) : 'max';
      writeCgroupFile(dir, 'cpu.max', `${quota} ${cpu.period ?? cur[1]}`);
    }
    if (cpu.burst !== undefined) writeOrRefuse(dir, 'cpu.max.burst', cpu.burst, 'cpu.burst');
    if (cpu.idle) writeOrRefuse(dir, 'cpu.idle', cpu.idle, 'cpu.idle');
  }
  if (cpu && has('cpuset')) {
    if (cpu.cpus) writeCgroupFile(dir, 'cpuset.cpus', cpu.cpus);
    if (cpu.mems) writeCgroupFile(dir, 'cpuset.mems', cpu.mems);
  }
  if (r.pids && has('pids')) writeCgroupFile(dir, 'pids.max', r.pids.limit > 0 ? r.pids.limit : 'max');
  if (hasBlockIO(r.blockIO)) {
    if (!has('io')) throw new FailedPreconditionError('linux.resources.blockIO: the io controller is not available in this cgroup; refused, not ignored', { hint: 'remove linux.resources.blockIO from config.json' });
    applyIoV2(dir, r.blockIO!);
  }
  for (const h of r.hugepageLimits ?? []) if (has('hugetlb')) writeCgroupFile(dir, `hugetlb.${h.pageSize}.max`, h.limit);
  for (const [k, v] of Object.entries(r.unified ?? {})) {
    if (k.includes('/') || k.startsWith('.')) throw new Error(`linux.resources.unified: bad file name ${JSON.stringify(k)}`);
    writeCgroupFile(dir, k, v);
  }
  // cgroup v2 has no devices files: device rules are a BPF program (device-bpf.ts), attached by the manager.
  return warnings;
}

export function readSubtreeControl(dir: string): string {
  return readCgroupFile(dir, 'cgroup.subtree_control');
}
