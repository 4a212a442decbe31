// Performs Mount[] data. Overlay option strings longer than a page are
// refused by mount(2) (the data argument is copied into one page), so deep
// chains are mounted from the snapshots directory with relative lowerdirs, as
// containerd's mount_linux.go does. containerd forks a helper to chdir; here
// the parent chdirs around the one synchronous mount call (no JS runs in a
// forked child, and nothing else runs on the main thread meanwhile).
import { dirname, relative } from 'node:path';
import { InvalidArgumentError } from '../errors.js';
import { MNT, MS } from '../sys/constants.js';
import type { Sys } from '../sys/index.js';
import type { Mount } from './types.js';

export const PAGE_SIZE = 4096;

const FLAG_OPTS: Record<string, number> = { ro: MS.RDONLY, nosuid: MS.NOSUID, nodev: MS.NODEV, noexec: MS.NOEXEC, rbind: MS.BIND | MS.REC, bind: MS.BIND, noatime: MS.NOATIME, relatime: MS.RELATIME };

export function parseOptions(options: string[]): { flags: number; data: string[] } {
  let flags = 0;
  const data: string[] = [];
  for (const o of options) {
    if (o === 'rw') continue;
    if (o in FLAG_OPTS) flags |= FLAG_OPTS[o];
    else data.push(o);
  }
  return { flags, data };
}

const PATH_KEYS = ['lowerdir', 'upperdir', 'workdir'];

/** Overlay data relative to the deepest directory common to every path, or null if none is needed. */
export function compactOverlayData(data: string[]): { cwd: string; data: string[] } | null {
  const paths: string[] = [];
  for (const o of data) {
    const [k, v] = splitOpt(o);
    if (PATH_KEYS.includes(k)) paths.push(...v.split(':'));
  }
  if (paths.length === 0) return null;
  // Common parent of the snapshot dirs: <dir>/snapshots for <dir>/snapshots/<id>/fs.
  let cwd = dirname(paths[0]);
  while (!paths.every((p) => p.startsWith(cwd + '/'))) cwd = dirname(cwd);
  const rel = data.map((o) => {
    const [k, v] = splitOpt(o);
    return PATH_KEYS.includes(k) ? `${k}=${v.split(':').map((p) => relative(cwd, p)).join(':')}` : o;
  });
  return { cwd, data: rel };
}

function splitOpt(o: string): [string, string] {
  const i = o.indexOf('=');
  return i < 0 ? [o, ''] : [o.slice(0, i), o.slice(i + 1)];
}

/** Mounts each mount on target, in order. */
export function mountAll(mounts: Mount[], target: string, sys: Sys): void {
  for (const m of mounts) {
    const { flags, data } = parseOptions(m.options);
    if (m.type === 'bind' || (flags & MS.BIND) !== 0) {
      sys.mount(m.source, target, null, flags & (MS.BIND | MS.REC) | MS.BIND, null);
      // A bind ignores MS_RDONLY; it takes a remount (mount(2) "Creating a bind mount").
      const rest = flags & ~(MS.BIND | MS.REC);
      if (rest) sys.mount(null, target, null, MS.REMOUNT | MS.BIND | rest, null);
      continue;
    }
    let joined = data.join(',');
    if (joined.length < PAGE_SIZE) {
      sys.mount(m.source, target, m.type, flags, joined || null);
      continue;
    }
    const c = compactOverlayData(data);
    joined = c ? c.data.join(',') : joined;
    if (!c || joined.length >= PAGE_SIZE) throw new InvalidArgumentError(`mount options for ${target} are ${joined.length} bytes, over the ${PAGE_SIZE}-byte page limit`, { hint: 'the image has too many layers to mount' });
    const old = process.cwd();
    process.chdir(c.cwd);
    try {
      sys.mount(m.source, target.startsWith('/') ? target : `${old}/${target}`, m.type, flags, joined);
    } finally {
      process.chdir(old);
    }
  }
}

/** Unmounts target; lazily (MNT_DETACH) when asked. */
export function unmount(target: string, sys: Sys, opts: { detach?: boolean } = {}): void {
  sys.umount2(target, opts.detach ? MNT.DETACH : 0);
}

/** Unmounts everything stacked on target (binds can stack); stops at the first EINVAL (not a mount point). */
export function unmountAll(target: string, sys: Sys, opts: { detach?: boolean } = {}): number {
  for (let n = 0; n < 64; n++) {
    try {
      sys.umount2(target, opts.detach ? MNT.DETACH : 0);
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'EINVAL' || code === 'ENOENT') return n;
      throw e;
    }
  }
  return 64;
}

/** `mount` command lines a person can paste into a shell (ctr's printMounts). */
export function mountCommands(mounts: Mount[], target: string): string[] {
  return mounts.map((m) => {
    const joined = m.options.join(',');
    if (m.type === 'overlay' && joined.length >= PAGE_SIZE) {
      const { flags, data } = parseOptions(m.options);
      const c = compactOverlayData(data);
      if (c) return `(cd ${c.cwd} && mount -t overlay overlay -o ${[...(flags & MS.RDONLY ? ['ro'] : []), ...c.data].join(',')} ${target})`;
    }
    return `mount -t ${m.type} ${m.source} -o ${joined} ${target}`;
  });
}
