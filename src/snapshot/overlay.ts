// The overlayfs snapshotter (containerd plugins/snapshots/overlay): each
// snapshot is a directory; a committed layer's fs is a lowerdir, an active
// snapshot's fs and work are upperdir and workdir. No parent: a bind mount.
import * as fs from 'node:fs';
import { join } from 'node:path';
import type { Sys } from '../sys/index.js';
import { DirSnapshotter } from './snapshotter.js';
import type { Kind, Mount, Snapshotter } from './types.js';

export class OverlaySnapshotter extends DirSnapshotter {
  readonly name = 'overlayfs' as const;

  withNamespace(ns: string): Snapshotter {
    return new OverlaySnapshotter(this.dir, this.sys, ns);
  }

  protected async populate(tmp: string, kind: Kind): Promise<void> {
    fs.mkdirSync(join(tmp, 'fs'), 0o755);
    if (kind === 'active') fs.mkdirSync(join(tmp, 'work'), 0o711);
  }

  protected mountsOf(kind: Kind, own: string, parents: string[]): Mount[] {
    return overlayMounts(kind, own, parents);
  }
}

/** Pure: the mounts of an overlay snapshot (own = snapshots/<id>, parents = fs dirs, nearest first). */
export function overlayMounts(kind: Kind, own: string, parents: string[]): Mount[] {
  const fsDir = join(own, 'fs');
  if (parents.length === 0) {
    return [{ type: 'bind', source: fsDir, options: [kind === 'active' ? 'rw' : 'ro', 'rbind'] }];
  }
  if (kind !== 'active') {
    // One layer: a read-only bind; overlayfs needs two lowers without an upper.
    if (parents.length === 1) return [{ type: 'bind', source: parents[0], options: ['ro', 'rbind'] }];
    return [{ type: 'overlay', source: 'overlay', options: [`lowerdir=${parents.join(':')}`] }];
  }
  return [{
    type: 'overlay',
    source: 'overlay',
    options: [`lowerdir=${parents.join(':')}`, `upperdir=${fsDir}`, `workdir=${join(own, 'work')}`],
  }];
}
