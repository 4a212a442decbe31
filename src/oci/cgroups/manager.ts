// A container's cgroup across whatever hierarchies this machine has.
// The parent does all of this (no fork needed): create, apply limits, join
// the child while it waits on the sync pipe, read stats, destroy.
//
// A relative path ("tsctr/default/<id>") is placed under this process's own
// cgroup in each hierarchy, not at the root: we may sit in a non-root
// cgroup (here memory is /process_api/<id>), and that is where we are
// allowed to create children. An absolute path is taken from the hierarchy
// root, as the runtime-spec says of cgroupsPath.
import { mkdirSync, rmdirSync } from 'node:fs';
import { posix } from 'node:path';
import { FailedPreconditionError, InvalidArgumentError } from '../../errors.js';
import type { Resources } from '../spec/types.js';
import { detectHostCgroups, readCgroupControllers, type CgroupLayout, type Hierarchy } from './detect.js';
import { CgroupError, hasCgroupFile, readFlatKeyed, readPids, tryReadCgroupFile, writeCgroupFile } from './files.js';
import { readOomKills, readStats, toNumber, type StatsSource } from './stats.js';
import { enforceDeviceRules, type BpfSys } from './device-bpf.js';
import { applyNetwork, applyV1, copyCpusetDown, type V1Dirs } from './v1.js';
import { applyV2, enableControllers, neededControllers } from './v2.js';

/** The host cgroup directory to bind at a subdirectory of the cgroup mount ("" for the mount itself, as on v2). */
export interface CgroupMountSource {
  name: string;
  hostPath: string;
}

export interface CgroupStats {
  memory?: { usage: number; maxUsage?: number; limit?: number; oomKills?: number };
  pids?: { current: number; limit?: number };
  cpu?: { usageNs: number };
}

export interface CgroupManager {
  readonly layout: CgroupLayout;
  readonly path: string;
  /** Every directory of this cgroup, one per hierarchy (v1 ones, then the unified one). */
  readonly dirs: { hierarchy: string; dir: string; base: string }[];
  /** mkdir in each hierarchy; returns warnings. */
  create(): string[];
  /** Write the limits; returns what could not be enforced. */
  apply(resources?: Resources): string[];
  /** Move pid (a child we started) into every hierarchy. */
  join(pid: number): void;
  pids(): number[];
  /** Where each controller's files are (for stats.ts). */
  statsSource(): StatsSource;
  /** A summary of readStats (tsctr tasks metrics, tsctr check). */
  stats(): CgroupStats;
  freeze(): Promise<void>;
  thaw(): void;
  /** What the freezer says now: FROZEN, FREEZING, THAWED (v1) or frozen/thawed (v2); undefined without one. */
  freezerState(): string | undefined;
  /** SIGKILL everything in the cgroup through v2 cgroup.kill (Linux 5.14); false when the file is not there. */
  kill(): boolean;
  /** Kill what is left in our cgroup, then rmdir (retrying briefly on EBUSY). */
  destroy(): Promise<void>;
  /** The host directories to bind at /sys/fs/cgroup inside (createPlan opts.cgroupMounts). */
  mountSources(): CgroupMountSource[];
}

export interface ManagerOptions {
  layout?: CgroupLayout;
  /** Sleep between rmdir retries (tests shorten it). */
  retryMs?: number;
  /**
   * bpf() access: device rules on a cgroup2 directory are a BPF program
   * (device-bpf.ts). Without it, v2 device rules are reported as not enforced.
   */
  sys?: BpfSys;
  /** Receives the device program's listing (--trace). */
  trace?: (line: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function createCgroupManager(path: string, resources: Resources = {}, opts: ManagerOptions = {}): CgroupManager {
  const clean = posix.normalize(path);
  if (clean === '/' || clean === '.' || clean.split('/').includes('..')) throw new InvalidArgumentError(`cgroups path ${JSON.stringify(path)}: must name a cgroup below ours, without ".."`);
  const layout = opts.layout ?? detectHostCgroups();
  const place = (h: Hierarchy) => (clean.startsWith('/') ? h.mountPoint : h.ownDir);
  const dirs: { hierarchy: string; dir: string; base: string }[] = [];
  for (const h of layout.v1) dirs.push({ hierarchy: h.controllers.join(','), dir: posix.join(place(h), clean), base: place(h) });
  if (layout.unified) dirs.push({ hierarchy: '', dir: posix.join(place(layout.unified), clean), base: place(layout.unified) });
  const unifiedDir = dirs.find((d) => d.hierarchy === '');
  const v1Dirs: V1Dirs = new Map();
  for (const d of dirs) if (d.hierarchy) for (const c of d.hierarchy.split(',')) v1Dirs.set(c, d.dir);
  const levels = (d: { dir: string; base: string }) => {
    const rel = posix.relative(d.base, d.dir).split('/');
    return [d.base, ...rel.map((_, i) => posix.join(d.base, ...rel.slice(0, i + 1)))];
  };
  const freezerDir = v1Dirs.get('freezer');

  const mgr: CgroupManager = {
    layout,
    path: clean,
    dirs,
    create() {
      const warnings: string[] = [];
      for (const d of dirs) {
        try {
          // A concurrent destroy() may prune an empty parent between our mkdirs: try again once.
          try { mkdirSync(d.dir, { recursive: true }); } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; mkdirSync(d.dir, { recursive: true }); }
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          throw new CgroupError(`mkdir ${JSON.stringify(d.dir)}: ${code}`, d.dir, { cause: e, code, hint: code === 'EACCES' || code === 'EROFS' ? 'needs root and a writable cgroup filesystem' : undefined });
        }
        if (d.hierarchy.split(',').includes('cpuset')) copyCpusetDown(levels(d));
      }
      if (unifiedDir) {
        // Hand down what the limits need; on pure v2 also memory and pids, for stats.
        const wanted = neededControllers(resources);
        // In hybrid mode v1 serves what it has (v2's "io" is v1's "blkio").
        if (layout.mode === 'hybrid') for (const c of [...wanted]) if (v1Dirs.has(c === 'io' ? 'blkio' : c)) wanted.delete(c);
        if (layout.mode === 'v2') for (const c of ['memory', 'pids']) wanted.add(c);
        warnings.push(...enableControllers(levels(unifiedDir), wanted));
      }
      return warnings;
    },
    apply(r = resources) {
      const warnings: string[] = [];
      // Device rules on the unified tree are a BPF program; on hybrid it backs up the
      // v1 devices controller (both must allow), and is the only guard when v1 lacks one.
      // An empty list writes nothing on v1 (the parent's access stays), so it attaches nothing here.
      const devicesOnV1 = layout.mode !== 'v2' && v1Dirs.has('devices');
      const bpfDevices = () => (r.devices?.length && unifiedDir ? enforceDeviceRules(unifiedDir.dir, r.devices, opts, !devicesOnV1) : []);
      if (layout.mode === 'v2') applyNetwork(new Map(), r.network);
      if (layout.mode === 'v2') return [...applyV2(unifiedDir!.dir, r, new Set(readCgroupControllers(unifiedDir!.dir))), ...bpfDevices()];
      // v1 or hybrid: v1 takes what it has; the unified tree takes the rest (hugetlb here).
      const onUnified = new Set(unifiedDir ? readCgroupControllers(unifiedDir.dir) : []);
      const v1Part: Resources = { ...r, unified: undefined };
      const v2Part: Resources = {};
      if (!devicesOnV1 && unifiedDir) v1Part.devices = undefined;
      if (r.hugepageLimits?.length && !v1Dirs.has('hugetlb')) {
        v1Part.hugepageLimits = undefined;
        if (onUnified.has('hugetlb')) v2Part.hugepageLimits = r.hugepageLimits;
        else throw new FailedPreconditionError('linux.resources.hugepageLimits: no hugetlb controller in any cgroup hierarchy on this host; refused, not ignored', { hint: 'remove linux.resources.hugepageLimits from config.json' });
      }
      if (r.unified && Object.keys(r.unified).length) {
        if (unifiedDir) v2Part.unified = r.unified;
        // runtime-spec: "MUST generate an error when the configuration refers to a cgroup controller that is not present".
        else throw new FailedPreconditionError('linux.resources.unified: no cgroup v2 hierarchy is mounted on this host; refused, not ignored', { hint: 'remove linux.resources.unified from config.json' });
      }
      warnings.push(...applyV1(v1Dirs, v1Part));
      if (unifiedDir && (v2Part.hugepageLimits || v2Part.unified)) warnings.push(...applyV2(unifiedDir.dir, v2Part, onUnified));
      warnings.push(...bpfDevices());
      return warnings;
    },
    join(pid) {
      if (!Number.isInteger(pid) || pid <= 0) throw new InvalidArgumentError(`cgroup join: bad pid ${pid}`);
      for (const d of dirs) writeCgroupFile(d.dir, 'cgroup.procs', pid);
    },
    pids() {
      const all = new Set<number>();
      for (const d of dirs) for (const p of readPids(d.dir)) all.add(p);
      return [...all].sort((a, b) => a - b);
    },
    statsSource() {
      return { v1: v1Dirs, unified: unifiedDir?.dir };
    },
    stats() {
      const src = mgr.statsSource();
      const r = readStats(src);
      const s: CgroupStats = {};
      const memDir = v1Dirs.get('memory') ?? unifiedDir?.dir;
      if (memDir && (hasCgroupFile(memDir, 'memory.usage_in_bytes') || hasCgroupFile(memDir, 'memory.current'))) {
        s.memory = { usage: toNumber(r.memory.usage.usage) ?? 0, maxUsage: toNumber(r.memory.usage.max), limit: toNumber(r.memory.usage.limit), oomKills: toNumber(readOomKills(src)) };
      }
      const pidsDir = v1Dirs.get('pids') ?? unifiedDir?.dir;
      if (pidsDir && hasCgroupFile(pidsDir, 'pids.current')) {
        s.pids = { current: toNumber(r.pids.current) ?? 0, limit: r.pids.limit ? toNumber(r.pids.limit) : undefined };
      }
      const acct = v1Dirs.get('cpuacct');
      if (r.cpu.usage.total !== undefined || (acct && hasCgroupFile(acct, 'cpuacct.usage'))) s.cpu = { usageNs: toNumber(r.cpu.usage.total) ?? 0 };
      return s;
    },
    async freeze() {
      if (freezerDir) {
        writeCgroupFile(freezerDir, 'freezer.state', 'FROZEN');
        // FREEZING until every task stopped (cgroup-v1/freezer-subsystem.rst).
        for (let i = 0; i < 100 && tryReadCgroupFile(freezerDir, 'freezer.state') !== 'FROZEN'; i++) await sleep(10);
        if (tryReadCgroupFile(freezerDir, 'freezer.state') !== 'FROZEN') throw new CgroupError(`freeze ${freezerDir}: still ${tryReadCgroupFile(freezerDir, 'freezer.state')} after 1s`, freezerDir);
        return;
      }
      if (unifiedDir && hasCgroupFile(unifiedDir.dir, 'cgroup.freeze')) {
        writeCgroupFile(unifiedDir.dir, 'cgroup.freeze', 1);
        for (let i = 0; i < 100 && readFlatKeyed(unifiedDir.dir, 'cgroup.events').get('frozen') !== 1; i++) await sleep(10);
        return;
      }
      throw new CgroupError('freeze: no freezer (v1 freezer hierarchy or v2 cgroup.freeze)', this.path);
    },
    thaw() {
      if (freezerDir) writeCgroupFile(freezerDir, 'freezer.state', 'THAWED');
      else if (unifiedDir && hasCgroupFile(unifiedDir.dir, 'cgroup.freeze')) writeCgroupFile(unifiedDir.dir, 'cgroup.freeze', 0);
    },
    freezerState() {
      if (freezerDir) return tryReadCgroupFile(freezerDir, 'freezer.state');
      if (unifiedDir && hasCgroupFile(unifiedDir.dir, 'cgroup.freeze')) return readFlatKeyed(unifiedDir.dir, 'cgroup.events').get('frozen') === 1 ? 'frozen' : 'thawed';
      return undefined;
    },
    kill() {
      // In hybrid mode too: the container's processes are in the unified tree as well.
      if (!unifiedDir || !hasCgroupFile(unifiedDir.dir, 'cgroup.kill')) return false;
      writeCgroupFile(unifiedDir.dir, 'cgroup.kill', 1);
      return true;
    },
    async destroy() {
      const retryMs = opts.retryMs ?? 20;
      // Only what is in the cgroup we created is killed: the container's. cgroup.kill
      // names no pid; otherwise each round lists and kills while frozen, so no listed
      // process can exit and leave its pid to another before the kill reaches it.
      for (let round = 0; round < 50; round++) {
        if (mgr.pids().length === 0) break;
        if (round === 0 && mgr.kill()) { await sleep(retryMs); continue; }
        const frozen = mgr.freezerState() !== undefined && await mgr.freeze().then(() => true, () => false);
        for (const pid of mgr.pids()) { try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ } }
        if (frozen) mgr.thaw();
        await sleep(retryMs);
      }
      const errors: string[] = [];
      for (const d of [...dirs].reverse()) {
        for (let attempt = 0; ; attempt++) {
          try {
            rmdirSync(d.dir);
            break;
          } catch (e) {
            const code = (e as NodeJS.ErrnoException).code;
            if (code === 'ENOENT') break;
            if (code === 'EBUSY' && attempt < 50) { await sleep(retryMs); continue; }
            errors.push(`rmdir ${JSON.stringify(d.dir)}: ${code}`);
            break;
          }
        }
      }
      if (errors.length) throw new CgroupError(`cgroup ${clean}: ${errors.join('; ')}`, clean, { hint: 'processes may still be in it: see cgroup.procs' });
      // Parents made for a relative path (tsctr/<ns>) go too once empty; one still in use
      // answers EBUSY and stays. An absolute path's parents are someone else's to manage.
      if (!clean.startsWith('/')) for (const d of dirs) {
        for (const parent of levels(d).slice(1, -1).reverse()) {
          try { rmdirSync(parent); } catch { break; }
        }
      }
    },
    mountSources() {
      if (layout.mode === 'v2') return [{ name: '', hostPath: unifiedDir!.dir }];
      const out: CgroupMountSource[] = dirs.filter((d) => d.hierarchy).map((d) => ({ name: d.hierarchy.replace(/^name=/, ''), hostPath: d.dir }));
      if (unifiedDir) out.push({ name: 'unified', hostPath: unifiedDir.dir });
      return out;
    },
  };
  return mgr;
}
