// Describes a directory tree for comparisons: every path below the root with
// its type, mode, owner, size, content hash, link target, device numbers,
// xattrs, mtime and hardlink group.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { join } from 'node:path';
import type { Sys } from '../../../src/sys/index.js';

export interface Node {
  type: string;
  mode: string;
  owner: string;
  size?: number;
  sha256?: string;
  link?: string;
  dev?: string;
  xattrs: Record<string, string>;
  mtime: number;
  nlink: number;
  /** The first path (sorted) of this inode, for hardlink groups. */
  inode: string;
}

function typeOf(st: fs.Stats): string {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  if (st.isFIFO()) return 'fifo';
  return 'socket';
}

export function scanTree(root: string, sys: Sys, ignoreXattr: (name: string) => boolean = () => false): Map<string, Node> {
  const out = new Map<string, Node>();
  const inodes = new Map<string, string>();
  const walk = (rel: string) => {
    const p = rel ? join(root, rel) : root;
    for (const name of fs.readdirSync(p).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const full = join(root, r);
      const st = fs.lstatSync(full);
      const key = `${st.dev}:${st.ino}`;
      if (!inodes.has(key)) inodes.set(key, r);
      const xattrs: Record<string, string> = {};
      for (const k of sys.llistxattr(full).sort()) if (!ignoreXattr(k)) xattrs[k] = sys.lgetxattr(full, k)?.toString('hex') ?? '';
      const n: Node = {
        type: typeOf(st),
        mode: (st.mode & 0o7777).toString(8),
        owner: `${st.uid}:${st.gid}`,
        xattrs,
        mtime: Math.floor(st.mtimeMs / 1000),
        nlink: st.nlink,
        inode: inodes.get(key)!,
      };
      if (n.type === 'symlink') { n.link = fs.readlinkSync(full); n.mode = ''; }
      if (n.type === 'file') { n.size = st.size; n.sha256 = createHash('sha256').update(fs.readFileSync(full)).digest('hex'); }
      if (n.type === 'char' || n.type === 'block') n.dev = `${(st.rdev >> 8) & 0xfff}:${(st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00)}`;
      out.set(r, n);
      if (n.type === 'dir') walk(r);
    }
  };
  walk('');
  return out;
}

/** Human-readable differences between two scans (empty when equal). */
export function diffTrees(a: Map<string, Node>, b: Map<string, Node>, opts: { aName: string; bName: string; skip?: (k: keyof Node, path: string) => boolean }): string[] {
  const out: string[] = [];
  for (const p of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(p);
    const y = b.get(p);
    if (!x) { out.push(`${p}: only in ${opts.bName}`); continue; }
    if (!y) { out.push(`${p}: only in ${opts.aName}`); continue; }
    for (const k of Object.keys({ ...x, ...y }) as (keyof Node)[]) {
      if (opts.skip?.(k, p)) continue;
      const vx = JSON.stringify(x[k]);
      const vy = JSON.stringify(y[k]);
      if (vx !== vy) out.push(`${p}: ${k} ${opts.aName}=${vx} ${opts.bName}=${vy}`);
    }
  }
  return out.sort();
}
