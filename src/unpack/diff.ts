// The changes a snapshot makes to its parent, as a list (A/M/D) or as an OCI
// layer tar (whiteouts for deletions, an opaque marker for directories that
// hide their lower contents). overlayfs: the upper directory is the change
// set. native: both trees are walked side by side (containerd fs.Changes).
import * as fs from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import type { Sys } from '../sys/index.js';
import { encodeEntry, type WriteEntry } from './tar-writer.js';
import { FsView } from './fs-view.js';
import { OPAQUE_MARKER, OPAQUE_XATTR, WHITEOUT_PREFIX, isReservedXattr, isWhiteoutStat } from './whiteout.js';
import type { Snapshotter } from '../snapshot/types.js';

export interface Change {
  kind: 'A' | 'M' | 'D';
  path: string;
  /** Where the new version is (A/M). */
  source?: string;
  /** overlayfs: the directory hides everything below it in the parent. */
  opaque?: boolean;
}

export async function snapshotChanges(sn: Snapshotter, key: string, sys: Sys): Promise<Change[]> {
  const info = await sn.stat(key);
  const dirs = await sn.layerDirs(key);
  if (sn.name === 'overlayfs') return upperChanges(dirs.upper, dirs.lowers, sys);
  const parent = info.parent ? (await sn.layerDirs(info.parent)).upper : null;
  return treeChanges(dirs.upper, parent, sys);
}

function upperChanges(upper: string, lowers: string[], sys: Sys): Change[] {
  const below = new FsView(upper, lowers, sys);
  const out: Change[] = [];
  const walk = (rel: string) => {
    for (const n of fs.readdirSync(rel ? join(upper, rel) : upper).sort()) {
      const r = rel ? `${rel}/${n}` : n;
      const p = join(upper, r);
      const st = fs.lstatSync(p);
      if (isWhiteoutStat(st)) { out.push({ kind: 'D', path: r }); continue; }
      const existed = below.existsBelow(rel, n);
      const opaque = st.isDirectory() && below.isOpaque(p);
      out.push({ kind: existed ? 'M' : 'A', path: r, source: p, opaque });
      if (st.isDirectory()) walk(r);
    }
  };
  walk('');
  return out;
}

function sameMeta(a: fs.Stats, b: fs.Stats, pa: string, pb: string, sys: Sys): boolean {
  if ((a.mode !== b.mode) || a.uid !== b.uid || a.gid !== b.gid || a.rdev !== b.rdev) return false;
  if (!a.isDirectory() && (a.size !== b.size || a.mtimeMs !== b.mtimeMs)) return false;
  if (a.isSymbolicLink() && fs.readlinkSync(pa) !== fs.readlinkSync(pb)) return false;
  const xa = sys.llistxattr(pa).sort();
  const xb = sys.llistxattr(pb).sort();
  if (xa.join('\0') !== xb.join('\0')) return false;
  return xa.every((k) => sys.lgetxattr(pa, k)?.equals(sys.lgetxattr(pb, k) ?? Buffer.alloc(0)) ?? false);
}

function treeChanges(child: string, parent: string | null, sys: Sys): Change[] {
  const out: Change[] = [];
  const walk = (rel: string) => {
    const c = rel ? join(child, rel) : child;
    const p = parent ? (rel ? join(parent, rel) : parent) : null;
    const names = new Set(fs.readdirSync(c));
    const old = p && fs.lstatSync(p, { throwIfNoEntry: false })?.isDirectory() ? fs.readdirSync(p) : [];
    for (const n of old) if (!names.has(n)) out.push({ kind: 'D', path: rel ? `${rel}/${n}` : n });
    for (const n of [...names].sort()) {
      const r = rel ? `${rel}/${n}` : n;
      const cs = fs.lstatSync(join(c, n));
      const ps = p ? fs.lstatSync(join(p, n), { throwIfNoEntry: false }) : undefined;
      if (!ps) out.push({ kind: 'A', path: r, source: join(c, n) });
      else if (!sameMeta(cs, ps, join(c, n), join(p!, n), sys)) out.push({ kind: 'M', path: r, source: join(c, n) });
      if (cs.isDirectory()) walk(r);
    }
  };
  walk('');
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

/** Writes the changes as an uncompressed OCI layer tar. */
export async function writeChangesTar(changes: Change[], out: Writable, sys: Sys): Promise<void> {
  const links = new Map<string, string>();
  const write = (bufs: Buffer[]) => new Promise<void>((res, rej) => out.write(Buffer.concat(bufs), (e) => (e ? rej(e) : res())));
  for (const c of changes) {
    const slash = c.path.lastIndexOf('/');
    const dir = slash < 0 ? '' : c.path.slice(0, slash + 1);
    if (c.kind === 'D') { await write(encodeEntry({ name: dir + WHITEOUT_PREFIX + c.path.slice(slash + 1), type: 'file' })); continue; }
    const st = fs.lstatSync(c.source!);
    const e: WriteEntry = { name: c.path, type: 'file', mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: Math.floor(st.mtimeMs / 1000), xattrs: {} };
    for (const k of sys.llistxattr(c.source!)) if (!isReservedXattr(k) && k !== OPAQUE_XATTR) e.xattrs![k] = sys.lgetxattr(c.source!, k) ?? Buffer.alloc(0);
    const ino = `${st.dev}:${st.ino}`;
    if (st.isDirectory()) e.type = 'dir';
    else if (st.isSymbolicLink()) { e.type = 'symlink'; e.linkname = fs.readlinkSync(c.source!); }
    else if (st.nlink > 1 && links.has(ino)) { e.type = 'link'; e.linkname = links.get(ino); }
    else if (st.isFile()) { e.data = fs.readFileSync(c.source!); if (st.nlink > 1) links.set(ino, c.path); }
    else if (st.isCharacterDevice() || st.isBlockDevice()) {
      e.type = st.isCharacterDevice() ? 'char' : 'block';
      e.devmajor = (st.rdev >> 8) & 0xfff;
      e.devminor = (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00);
    } else if (st.isFIFO()) e.type = 'fifo';
    else continue; // sockets are not carried in layers
    await write(encodeEntry(e));
    if (c.opaque) await write(encodeEntry({ name: `${c.path}/${OPAQUE_MARKER}`, type: 'file' }));
  }
  await write([Buffer.alloc(1024)]);
}
