// The container's cgroup, as run/cleanup/tasks need it. Backed by the
// cgroup manager in ../cgroups (v1, hybrid and v2).
import type { CgroupMountSource } from '../plan/index.js';
import type { Spec } from '../spec/index.js';

export interface ContainerCgroup {
  create(): void;
  join(pid: number): void;
  /** True when something was removed. */
  destroy(): boolean;
  mountSources(): CgroupMountSource[];
  pids(): number[];
  stats(): Record<string, number | undefined>;
}

// TEMPORARY until src/runtime/cgroups lands: no cgroup at all.
function noCgroup(): ContainerCgroup {
  return { create() {}, join() {}, destroy: () => false, mountSources: () => [], pids: () => [], stats: () => ({}) };
}

export function openCgroup(_spec: Spec, _notice: (l: string) => void): ContainerCgroup {
  return noCgroup();
}

export function openCgroupByPath(_path: string): ContainerCgroup {
  return noCgroup();
}
