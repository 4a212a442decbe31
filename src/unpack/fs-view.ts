// The filesystem a layer is applied to, and path resolution inside it.
//
// A layer is applied to `upper` (the snapshot's fs directory). With overlayfs
// the visible tree is upper merged over `lowers` (the parent chain, top
// first), read here the way overlayfs reads it (whiteouts are 0:0 character
// devices, `trusted.overlay.opaque=y` cuts the merge), without mounting.
//
// Every name from a tar is resolved like openat2(RESOLVE_IN_ROOT): component by
// component against the merged tree, following symlinks ourselves, with
// absolute targets and `..` clamped at the root. The result is a list of
// plain directory names, so a write to `upper/<resolved>` can only land inside
// upper, whatever links earlier entries or lower layers planted.
import * as fs from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError } from '../errors.js';
import type { Sys } from '../sys/index.js';
import { OPAQUE_XATTR, isWhiteoutStat } from './whiteout.js';

const MAX_LINKS = 255;

/** Lexical clean of a tar name: components below the root, `..` clamped at the root. */
export function cleanPath(name: string): string[] {
  const out: string[] = [];
  for (const c of name.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') out.pop();
    else out.push(c);
  }
  return out;
}

export interface Found {
  /** Index in layers(): 0 is upper. */
  layer: number;
  path: string;
  stat: fs.Stats;
}

export class FsView {
  readonly layers: string[];
  /** Resolved directory → layers (indices) holding it, top first. */
  private dirs = new Map<string, number[]>();
  /** Directory part of a name → its resolution (most entries share their parent with the previous one). */
  private resolved = new Map<string, string>();
  /** Directories known to exist in upper. */
  readonly upperDirs = new Set<string>();

  constructor(readonly upper: string, readonly lowers: string[], readonly sys: Sys) {
    this.layers = [upper, ...lowers];
    this.dirs.set('', this.layers.map((_, i) => i));
  }

  get overlay(): boolean {
    return this.lowers.length > 0;
  }

  /** Forget cached directories after something was replaced or hidden. */
  invalidate(): void {
    this.resolved.clear();
    this.upperDirs.clear();
    this.dirs.clear();
    this.dirs.set('', this.layers.map((_, i) => i));
  }

  isCached(rel: string): boolean {
    return this.dirs.has(rel);
  }

  /** Note that `rel` now exists as a directory in upper. */
  noteUpperDir(rel: string): void {
    const c = this.dirs.get(rel);
    if (c && c[0] !== 0) c.unshift(0);
  }

  /** The topmost visible entry `name` in resolved directory `dir`, or null. */
  lookupChild(dir: string, name: string): Found | null {
    const layers = this.dirLayers(dir);
    const rel = dir ? dir + '/' + name : name;
    for (const i of layers) {
      const p = join(this.layers[i], rel);
      const st = fs.lstatSync(p, { throwIfNoEntry: false });
      if (!st) continue;
      if (i > 0 || this.overlay) {
        if (isWhiteoutStat(st)) return null;
      }
      return { layer: i, path: p, stat: st };
    }
    return null;
  }

  /** Whether a lower layer shows `name` in resolved directory `dir` (what a whiteout would hide). */
  existsBelow(dir: string, name: string): boolean {
    const rel = dir ? dir + '/' + name : name;
    for (const i of this.dirLayers(dir)) {
      if (i === 0) continue;
      const st = fs.lstatSync(join(this.layers[i], rel), { throwIfNoEntry: false });
      if (st) return !isWhiteoutStat(st);
    }
    return false;
  }

  /** Layers that hold directory `dir` (resolved), merging down to the first opaque one. */
  private dirLayers(dir: string): number[] {
    const hit = this.dirs.get(dir);
    if (hit) return hit;
    const slash = dir.lastIndexOf('/');
    const parent = slash < 0 ? '' : dir.slice(0, slash);
    const out: number[] = [];
    for (const i of this.dirLayers(parent)) {
      const p = join(this.layers[i], dir);
      const st = fs.lstatSync(p, { throwIfNoEntry: false });
      if (!st) continue;
      if (!st.isDirectory()) break; // a file or whiteout hides everything below
      out.push(i);
      if (this.overlay && this.isOpaque(p)) break;
    }
    this.dirs.set(dir, out);
    return out;
  }

  isOpaque(p: string): boolean {
    const v = this.sys.lgetxattr(p, OPAQUE_XATTR);
    return v !== null && v.toString() === 'y';
  }

  /**
   * Resolves the directory part of a name inside the root, following symlinks
   * in the merged tree. Returns the resolved parent (no symlinks, may not exist
   * yet: missing components are created by the caller) and the final name
   * (never followed). An empty final name means the root itself.
   */
  resolveParent(name: string): { dir: string; base: string } {
    const comps = cleanPath(name);
    if (comps.length === 0) return { dir: '', base: '' };
    const base = comps.pop()!;
    const key = comps.join('/');
    let dir = this.resolved.get(key);
    if (dir === undefined) {
      dir = this.resolveDir(comps);
      this.resolved.set(key, dir);
    }
    return { dir, base };
  }

  /** Resolves a list of components that must end up as a directory path. */
  resolveDir(input: string[]): string {
    const stack: string[] = [];
    let todo = [...input];
    let links = 0;
    let missing = false;
    while (todo.length) {
      const c = todo.shift()!;
      if (c === '..') { stack.pop(); missing = false; continue; }
      if (c === '.' || c === '') continue;
      if (missing) { stack.push(c); continue; }
      const f = this.lookupChild(stack.join('/'), c);
      if (f && f.stat.isSymbolicLink()) {
        if (++links > MAX_LINKS) throw new InvalidArgumentError(`resolving ${JSON.stringify(input.join('/'))}: too many levels of symbolic links`);
        const target = fs.readlinkSync(f.path);
        if (target.startsWith('/')) stack.length = 0;
        todo = [...target.split('/'), ...todo];
        continue;
      }
      // A missing component (or a non-directory the caller will replace) is created as a directory.
      if (!f || !f.stat.isDirectory()) missing = true;
      stack.push(c);
    }
    return stack.join('/');
  }
}
