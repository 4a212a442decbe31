// The container's cgroup, as run/cleanup/tasks need it, over the cgroup
// manager (v1, hybrid and v2 alike).
import { statSync } from 'node:fs';
import { CgroupError, createCgroupManager, type BpfSys, type CgroupLayout, type CgroupManager } from '../oci/cgroups/index.js';
import type { CgroupMountSource } from '../oci/plan/index.js';
import type { Resources, Spec } from '../oci/spec/index.js';

/** What a metric's number counts, decided where it is read: the CLI formats by it. */
export type MetricUnit = 'bytes' | 'count' | 'ns' | 'percent';
export interface Metric { name: string; value: number | undefined; unit: MetricUnit }

export interface ContainerCgroup {
  create(): void;
  join(pid: number): void;
  /** True when something was removed. */
  destroy(): Promise<boolean>;
  mountSources(): CgroupMountSource[];
  pids(): number[];
  stats(): Metric[];
  readonly path: string;
  freeze(): Promise<void>;
  thaw(): void;
  freezerState(): string | undefined;
  /** thaw() and wait until the freezer says THAWED (v1) / frozen 0 (v2). */
  thawSettled(): Promise<void>;
  /** v2 cgroup.kill; false when there is none. */
  kill(): boolean;
  /** Where OOM kills are reported (see oom.ts); undefined without a memory controller. */
  oomSource(): OomSource | undefined;
}

/** v1: the memory hierarchy's directory (memory.oom_control); v2: the unified one (memory.events). */
export interface OomSource { kind: 'v1' | 'v2'; dir: string }

/**
 * A v1 memory hierarchy wins (on hybrid it owns memory; the unified tree has no
 * memory controller then); else the unified directory, on pure v2 or a hybrid
 * whose unified tree has memory (memory.events is checked when it is opened).
 */
export function oomSourceOf(dirs: readonly { hierarchy: string; dir: string }[]): OomSource | undefined {
  const v1 = dirs.find((d) => d.hierarchy.split(',').includes('memory'));
  if (v1) return { kind: 'v1', dir: v1.dir };
  const unified = dirs.find((d) => d.hierarchy === '');
  return unified ? { kind: 'v2', dir: unified.dir } : undefined;
}

function wrap(m: CgroupManager, resources: Resources | undefined, notice: (l: string) => void): ContainerCgroup {
  return {
    create() {
      for (const w of m.create()) notice(`warning: ${w}`);
      for (const w of m.apply(resources)) notice(`warning: ${w}`);
    },
    join: (pid) => m.join(pid),
    async destroy() {
      const existed = m.dirs.some((d) => existsDir(d.dir));
      await m.destroy();
      return existed;
    },
    mountSources: () => m.mountSources(),
    pids: () => m.pids(),
    path: m.path,
    freeze: () => m.freeze(),
    thaw: () => m.thaw(),
    freezerState: () => m.freezerState(),
    async thawSettled() {
      m.thaw();
      for (let i = 0; i < 100 && isFrozenState(m.freezerState()); i++) await new Promise((r) => setTimeout(r, 10));
      const st = m.freezerState();
      if (isFrozenState(st)) throw new CgroupError(`thaw ${m.path}: freezer still ${st} after 1s`, m.path);
    },
    kill: () => m.kill(),
    oomSource: () => oomSourceOf(m.dirs),
    stats() {
      const s = m.stats();
      return [
        { name: 'memory.usage_bytes', value: s.memory?.usage, unit: 'bytes' },
        { name: 'memory.max_usage_bytes', value: s.memory?.maxUsage, unit: 'bytes' },
        { name: 'memory.limit_bytes', value: s.memory?.limit, unit: 'bytes' },
        { name: 'memory.oom_kills', value: s.memory?.oomKills, unit: 'count' },
        { name: 'pids.current', value: s.pids?.current, unit: 'count' },
        { name: 'pids.limit', value: s.pids?.limit, unit: 'count' },
        { name: 'cpu.usage_ns', value: s.cpu?.usageNs, unit: 'ns' },
      ];
    },
  };
}

/** FROZEN or FREEZING (v1), frozen (v2): the task does not run. */
export function isFrozenState(s: string | undefined): boolean {
  return s === 'FROZEN' || s === 'FREEZING' || s === 'frozen';
}

function existsDir(p: string): boolean {
  try { return statSync(p).isDirectory(); } catch { return false; }
}

/** sys: for the cgroup v2 device program (BPF); trace receives its listing. */
export function openCgroup(spec: Spec, notice: (l: string) => void, opts: { sys?: BpfSys; trace?: (l: string) => void } = {}): ContainerCgroup {
  const path = spec.linux?.cgroupsPath;
  if (!path) throw new Error('spec has no linux.cgroupsPath');
  return wrap(createCgroupManager(path, spec.linux?.resources ?? {}, opts), spec.linux?.resources, notice);
}

/** layout: the hierarchies as the task's create saw them (its record's cgroupLayout); a relative path is below them. */
export function openCgroupByPath(path: string, layout?: CgroupLayout): ContainerCgroup {
  return wrap(createCgroupManager(path, {}, { layout }), undefined, () => {});
}
