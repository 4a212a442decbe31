// Applies tar entries to a snapshot directory with full fidelity: types,
// numeric owners, modes (setuid/setgid/sticky), xattrs, mtimes and OCI
// whiteouts. Names are resolved through FsView, so nothing lands outside the
// root. Order per object: create, lchown, chmod (chown clears setuid and
// security.capability), xattrs, times; directory times after the whole layer.
import * as fs from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError } from '../errors.js';
import { S_IF } from '../sys/constants.js';
import type { Sys } from '../sys/index.js';
import { FsView } from './fs-view.js';
import type { EntrySink, TarEntry, TarHandler } from './tar-reader.js';
import { OPAQUE_XATTR, classifyName, isReservedXattr, isWhiteoutStat } from './whiteout.js';

const O_NOFOLLOW = fs.constants.O_NOFOLLOW;
const CREATE_FLAGS = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | O_NOFOLLOW;

export interface ApplyStats {
  entries: number;
  files: number;
  bytes: number;
}

export class LayerApplier implements TarHandler {
  readonly stats: ApplyStats = { entries: 0, files: 0, bytes: 0 };
  /** Resolved dir → times to set once the layer is done. */
  private dirTimes = new Map<string, { atime: number; mtime: number }>();
  /** Native: paths this layer created, which an opaque marker keeps. */
  private unpacked = new Set<string>();
  /**
   * Upper was empty and has no lowers (a base layer): then nothing can be at
   * a path this applier did not create there, and `made` (every path it
   * created, removed or not) spares the lstat before each create. A wrong
   * guess cannot overwrite anything: creates use O_EXCL, mkdir and symlink
   * fail on EEXIST.
   */
  private readonly fresh: boolean;
  private readonly made = new Set<string>();

  constructor(readonly view: FsView, readonly sys: Sys) {
    this.fresh = !view.overlay && fs.readdirSync(view.upper).length === 0;
  }

  /** lstat of upper/rel, skipped (undefined) where a fresh layer has created nothing yet. */
  private lstatUpper(rel: string, path: string): fs.Stats | undefined {
    if (this.fresh && !this.made.has(rel)) return undefined;
    return fs.lstatSync(path, { throwIfNoEntry: false });
  }

  private up(rel: string): string {
    return rel ? join(this.view.upper, rel) : this.view.upper;
  }

  /** TarHandler: applies each entry as it comes, streaming file content. */
  entry(e: TarEntry): EntrySink | null {
    this.stats.entries++;
    const { dir, base } = this.view.resolveParent(e.name);
    const wh = classifyName(base);
    if (wh.kind === 'meta') return null;
    if (wh.kind === 'opaque') { this.opaque(dir); return null; }
    if (wh.kind === 'whiteout') { this.whiteout(dir, wh.target); return null; }
    if (base === '') {
      // The root itself ("./"): metadata only.
      if (e.type !== 'dir') throw new InvalidArgumentError(`layer entry ${JSON.stringify(e.name)}: the root must be a directory`);
      this.finish(this.view.upper, e, '');
      return null;
    }
    this.ensureDir(dir);
    const rel = dir ? dir + '/' + base : base;
    const path = this.up(rel);
    if (!this.view.overlay) this.markUnpacked(rel);
    if (e.type === 'dir') {
      this.makeDir(rel, path);
      this.finish(path, e, rel);
      return null;
    }
    this.clear(rel, path);
    this.made.add(rel);
    switch (e.type) {
      case 'file': return this.file(path, e);
      case 'symlink': fs.symlinkSync(e.linkname, path); this.view.invalidate(); break; // names through it now resolve elsewhere
      case 'link': this.hardlink(e, path); return null; // a link shares its target's metadata
      case 'char': this.sys.mknod(path, S_IF.CHR | 0o600, e.devmajor, e.devminor); break;
      case 'block': this.sys.mknod(path, S_IF.BLK | 0o600, e.devmajor, e.devminor); break;
      case 'fifo': this.sys.mknod(path, S_IF.IFO | 0o600, 0, 0); break;
    }
    this.finish(path, e, rel);
    return null;
  }

  /** Runs after the last entry: directory times, now that nothing more is created in them. */
  done(): void {
    for (const [rel, t] of this.dirTimes) fs.lutimesSync(this.up(rel), t.atime, t.mtime);
  }

  /** Opens a file for streamed (synchronous) writing; metadata follows at close. */
  file(path: string, e: TarEntry): EntrySink {
    const fd = fs.openSync(path, CREATE_FLAGS, 0o600);
    this.stats.files++;
    this.stats.bytes += e.size;
    return {
      write: (chunk) => {
        let off = 0;
        while (off < chunk.length) off += fs.writeSync(fd, chunk, off, chunk.length - off);
      },
      close: () => {
        fs.closeSync(fd);
        this.finish(path, e, '');
      },
    };
  }

  private finish(path: string, e: TarEntry, dirRel: string): void {
    fs.lchownSync(path, e.uid, e.gid);
    if (e.type !== 'symlink') fs.chmodSync(path, e.mode);
    for (const [k, v] of e.xattrs) {
      if (isReservedXattr(k)) continue;
      try {
        this.sys.lsetxattr(path, k, v, 0);
      } catch (err) {
        // The kernel refuses user.* xattrs on symlinks and devices (EPERM), and a
        // filesystem may not support a namespace at all: skipped, as containerd does.
        const code = (err as { code?: string }).code;
        const userOnSpecial = code === 'EPERM' && k.startsWith('user.') && e.type !== 'file' && e.type !== 'dir';
        if (!userOnSpecial && code !== 'EOPNOTSUPP' && code !== 'ENOTSUP') throw err;
      }
    }
    const atime = e.atime ?? e.mtime;
    if (e.type === 'dir') this.dirTimes.set(dirRel, { atime, mtime: e.mtime });
    else fs.lutimesSync(path, atime, e.mtime);
  }

  /** Removes whatever upper holds at rel (a non-directory replaces anything). */
  private clear(rel: string, path: string): void {
    const st = this.lstatUpper(rel, path);
    if (st) {
      fs.rmSync(path, { recursive: true, force: true });
      this.view.invalidate(); // cached resolutions may have gone through what was here
      if (st.isDirectory()) this.forgetTimes(rel);
    } else if (this.view.overlay && this.view.isCached(rel)) {
      this.view.invalidate(); // a lower directory the view knows is now hidden by a file
    }
  }

  private markUnpacked(rel: string): void {
    for (let r = rel; r && !this.unpacked.has(r); r = r.includes('/') ? r.slice(0, r.lastIndexOf('/')) : '') this.unpacked.add(r);
  }

  private forgetTimes(rel: string): void {
    for (const k of this.dirTimes.keys()) if (k === rel || k.startsWith(rel + '/')) this.dirTimes.delete(k);
  }

  private makeDir(rel: string, path: string): void {
    const st = this.lstatUpper(rel, path);
    if (st?.isDirectory()) return;
    if (st) { fs.rmSync(path, { recursive: true, force: true }); this.view.invalidate(); }
    this.made.add(rel);
    fs.mkdirSync(path, 0o755);
    this.view.noteUpperDir(rel);
    // A directory over a whiteout must not show what the whiteout hid.
    if (st && isWhiteoutStat(st) && this.view.overlay) this.sys.lsetxattr(path, OPAQUE_XATTR, Buffer.from('y'), 0);
  }

  /** Makes sure resolved directory `dir` exists in upper, copying metadata from lower layers (containerd's mkparent). */
  ensureDir(dir: string): void {
    if (dir === '' || this.view.upperDirs.has(dir)) return;
    const comps = dir.split('/');
    let rel = '';
    for (const c of comps) {
      const parent = rel;
      rel = rel ? rel + '/' + c : c;
      const path = this.up(rel);
      const st = fs.lstatSync(path, { throwIfNoEntry: false });
      if (st?.isDirectory()) continue;
      if (st && !(this.view.overlay && isWhiteoutStat(st))) throw new InvalidArgumentError(`layer entry under ${JSON.stringify(rel)}: not a directory`);
      const lower = this.view.overlay && !st ? this.view.lookupChild(parent, c) : null;
      if (st) fs.rmSync(path);
      this.made.add(rel);
      fs.mkdirSync(path, 0o755);
      this.view.noteUpperDir(rel);
      if (st) this.sys.lsetxattr(path, OPAQUE_XATTR, Buffer.from('y'), 0);
      if (lower && lower.stat.isDirectory()) {
        copyMeta(lower.path, path, lower.stat, this.sys);
        if (!this.dirTimes.has(rel)) this.dirTimes.set(rel, { atime: lower.stat.atimeMs / 1000, mtime: lower.stat.mtimeMs / 1000 });
      } else if (lower) {
        throw new InvalidArgumentError(`layer entry under ${JSON.stringify(rel)}: not a directory in a lower layer`);
      }
    }
    this.view.upperDirs.add(dir);
  }

  private whiteout(dir: string, target: string): void {
    if (target === '' || target === '.' || target === '..' || target.includes('/')) {
      throw new InvalidArgumentError(`layer has an invalid whiteout ${JSON.stringify(dir + '/.wh.' + target)}`);
    }
    const rel = dir ? dir + '/' + target : target;
    const path = this.up(rel);
    if (!this.view.overlay) {
      fs.rmSync(path, { recursive: true, force: true });
      this.forgetTimes(rel);
      this.view.invalidate();
      return;
    }
    // Only where a lower layer has something to hide: a whiteout in a directory
    // overlayfs does not merge would show up in readdir.
    const below = this.view.existsBelow(dir, target);
    if (below) this.ensureDir(dir);
    fs.rmSync(path, { recursive: true, force: true });
    if (below) this.sys.mknod(path, S_IF.CHR, 0, 0);
    this.forgetTimes(rel);
    this.view.invalidate();
  }

  private opaque(dir: string): void {
    if (this.view.overlay) {
      this.ensureDir(dir);
      this.sys.lsetxattr(this.up(dir), OPAQUE_XATTR, Buffer.from('y'), 0);
      this.view.invalidate();
      return;
    }
    // Native: drop what lower layers put in dir, keep what this layer unpacked (containerd archive/tar.go).
    this.removeNotUnpacked(dir);
  }

  private removeNotUnpacked(dir: string): void {
    const path = this.up(dir);
    let names: string[];
    try { names = fs.readdirSync(path); } catch { return; }
    for (const n of names) {
      const rel = dir ? dir + '/' + n : n;
      if (!this.unpacked.has(rel)) { fs.rmSync(join(path, n), { recursive: true, force: true }); this.forgetTimes(rel); this.view.invalidate(); }
      else if (fs.lstatSync(join(path, n)).isDirectory()) this.removeNotUnpacked(rel);
    }
  }

  private hardlink(e: TarEntry, path: string): void {
    const { dir, base } = this.view.resolveParent(e.linkname);
    if (base === '') throw new InvalidArgumentError(`hardlink ${JSON.stringify(e.name)} → the root directory`);
    const found = this.view.lookupChild(dir, base);
    if (!found) throw new InvalidArgumentError(`hardlink ${JSON.stringify(e.name)}: target ${JSON.stringify(e.linkname)} does not exist`);
    if (found.stat.isDirectory()) throw new InvalidArgumentError(`hardlink ${JSON.stringify(e.name)}: target ${JSON.stringify(e.linkname)} is a directory`);
    let source = found.path;
    if (found.layer > 0) {
      // overlayfs cannot link across layers: copy the target up first, as containerd does.
      this.ensureDir(dir);
      const rel = dir ? dir + '/' + base : base;
      source = this.up(rel);
      copyUp(found.path, source, found.stat, this.sys);
    }
    fs.linkSync(source, path);
  }
}

/** Owner, mode and xattrs of `from` onto `to` (times are the caller's). */
export function copyMeta(from: string, to: string, st: fs.Stats, sys: Sys): void {
  fs.lchownSync(to, st.uid, st.gid);
  if (!st.isSymbolicLink()) fs.chmodSync(to, st.mode & 0o7777);
  for (const k of sys.llistxattr(from)) {
    if (isReservedXattr(k)) continue;
    const v = sys.lgetxattr(from, k);
    if (v !== null) sys.lsetxattr(to, k, v, 0);
  }
}

/** Copies one non-directory from a lower layer into upper with its metadata. */
export function copyUp(from: string, to: string, st: fs.Stats, sys: Sys): void {
  if (st.isFile()) fs.copyFileSync(from, to, fs.constants.COPYFILE_EXCL);
  else if (st.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(from), to);
  else sys.mknod(to, st.mode & S_IF.MT | 0o600, Math.floor(st.rdev / 256) & 0xfff, (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00));
  copyMeta(from, to, st, sys);
  fs.lutimesSync(to, st.atimeMs / 1000, st.mtimeMs / 1000);
}
