// The native snapshotter (containerd plugins/snapshots/native): every
// snapshot is a full copy of its parent, mounted with a bind. Works on any
// filesystem, costs a copy per layer. Layers are applied with deletions
// instead of overlay whiteouts.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { TsctrError } from '../errors.js';
import { DirSnapshotter } from './snapshotter.js';
import type { Kind, Mount, Snapshotter } from './types.js';

export class NativeSnapshotter extends DirSnapshotter {
  readonly name = 'native' as const;

  withNamespace(ns: string): Snapshotter {
    return new NativeSnapshotter(this.dir, this.sys, ns);
  }

  protected async populate(tmp: string, _kind: Kind, parentFs: string | undefined): Promise<void> {
    const to = join(tmp, 'fs');
    if (!parentFs) {
      fs.mkdirSync(to, 0o755);
      return;
    }
    await copyTree(parentFs, to);
  }

  protected mountsOf(kind: Kind, own: string): Mount[] {
    return [{ type: 'bind', source: join(own, 'fs'), options: [kind === 'active' ? 'rw' : 'ro', 'rbind'] }];
  }

  override async layerDirs(key: string): Promise<{ upper: string; lowers: string[] }> {
    return { upper: this.fsDir(this.get(key).id), lowers: [] };
  }
}

/**
 * Copies a tree keeping everything an image carries: hardlinks, devices,
 * owners, modes, times and xattrs incl. security.capability. GNU `cp -a`
 * does all of it (with reflinks where the filesystem has them) in one exec.
 */
export async function copyTree(from: string, to: string): Promise<void> {
  const child = spawn('cp', ['-a', '--reflink=auto', '--no-target-directory', from, to], { stdio: ['ignore', 'ignore', 'pipe'] });
  const err: string[] = [];
  (child.stderr as Readable).on('data', (d) => err.push(String(d)));
  const code = await new Promise<number | null>((res, rej) => { child.on('error', rej); child.on('close', res); });
  if (code !== 0) throw new TsctrError('Internal', `cp -a ${from} ${to}: exit ${code}: ${err.join('').trim()}`);
}
