// Which cgroup hierarchies exist, and where this process sits in each:
// read from /proc/self/mountinfo and /proc/self/cgroup, never assumed.
//   v1:     one cgroup (v1) mount per controller set
//   hybrid: v1 controllers plus a cgroup2 mount (systemd's
//           /sys/fs/cgroup/unified), which may hold controllers v1 lacks
//   v2:     one cgroup2 mount, normally /sys/fs/cgroup
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';

export const V1_CONTROLLERS = ['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'pids', 'hugetlb', 'net_cls', 'net_prio', 'perf_event', 'rdma', 'misc'] as const;

export interface Hierarchy {
  /** Where it is mounted, e.g. /sys/fs/cgroup/memory. */
  mountPoint: string;
  /** Controllers on it (v1: from the mount options, including "name=systemd"; v2: cgroup.controllers of our cgroup). */
  controllers: string[];
  /** This process's cgroup in it, as a directory on the host (mount point + path below the mount's root). */
  ownDir: string;
  /** This process's cgroup path as /proc/self/cgroup shows it. */
  ownPath: string;
}

export interface CgroupLayout {
  mode: 'v1' | 'hybrid' | 'v2';
  v1: Hierarchy[];
  unified?: Hierarchy;
}

export interface MountinfoEntry {
  root: string;
  mountPoint: string;
  fstype: string;
  superOptions: string[];
}

// mountinfo escapes space, tab, newline and backslash as \ooo (proc(5)).
const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

export function parseMountinfo(text: string): MountinfoEntry[] {
  const out: MountinfoEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const [pre, post] = line.split(' - ');
    if (!post) continue;
    const f = pre!.split(' ');
    const g = post.split(' ');
    out.push({ root: unescape(f[3]!), mountPoint: unescape(f[4]!), fstype: g[0]!, superOptions: (g[2] ?? '').split(',') });
  }
  return out;
}

/** /proc/self/cgroup: "id:controllers:path" → controllers key ("" for v2) → path. */
export function parseProcCgroup(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = line.match(/^(\d+):([^:]*):(.*)$/);
    if (match) m.set(match[2]!, match[3]!);
  }
  return m;
}

/** The host directory of path in a hierarchy mounted at mountPoint with this root. */
function dirIn(mountPoint: string, root: string, path: string): string {
  const rel = root === '/' ? path : path.startsWith(root) ? path.slice(root.length) : path;
  const dir = posix.join(mountPoint, rel || '/');
  return dir.length > 1 ? dir.replace(/\/+$/, '') : dir;
}

export function detectCgroupLayout(mountinfo: string, procCgroup: string, readControllers: (dir: string) => string[] = readCgroupControllers): CgroupLayout {
  const own = parseProcCgroup(procCgroup);
  const v1: Hierarchy[] = [];
  let unified: Hierarchy | undefined;
  const seen = new Set<string>();
  for (const e of parseMountinfo(mountinfo)) {
    if (e.fstype === 'cgroup') {
      const controllers = e.superOptions.filter((o) => (V1_CONTROLLERS as readonly string[]).includes(o) || o.startsWith('name='));
      if (controllers.length === 0) continue;
      const key = controllers.join(',');
      // The same hierarchy may be mounted twice (bind mounts): keep the first.
      if (seen.has(key)) continue;
      seen.add(key);
      // /proc/self/cgroup lists the same set, in the kernel's order.
      const ownPath = [...own.entries()].find(([k]) => k !== '' && sameSet(k.split(','), controllers))?.[1] ?? '/';
      v1.push({ mountPoint: e.mountPoint, controllers, ownPath, ownDir: dirIn(e.mountPoint, e.root, ownPath) });
    } else if (e.fstype === 'cgroup2' && !unified) {
      const ownPath = own.get('') ?? '/';
      const ownDir = dirIn(e.mountPoint, e.root, ownPath);
      unified = { mountPoint: e.mountPoint, ownPath, ownDir, controllers: readControllers(ownDir) };
    }
  }
  const withControllers = v1.filter((h) => h.controllers.some((c) => !c.startsWith('name=')));
  const mode = withControllers.length === 0 ? 'v2' : unified ? 'hybrid' : 'v1';
  if (mode === 'v2' && !unified) throw new Error('no cgroup filesystem is mounted (see /proc/self/mountinfo)');
  return { mode, v1: mode === 'v2' ? [] : v1, unified };
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

export function readCgroupControllers(dir: string): string[] {
  try {
    return readFileSync(posix.join(dir, 'cgroup.controllers'), 'utf8').trim().split(/\s+/).filter(Boolean);
  } catch {
    return [];
  }
}

/** The layout of the running machine. */
export function detectHostCgroups(): CgroupLayout {
  return detectCgroupLayout(readFileSync('/proc/self/mountinfo', 'utf8'), readFileSync('/proc/self/cgroup', 'utf8'));
}
