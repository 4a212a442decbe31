// What overlayfs and native share: the on-disk layout and the metadata
// life cycle. Layout under <root>/snapshots/<name>/:
//   metadata.json, lock      records per namespace (metadata.ts)
//   snapshots/<id>/fs        the snapshot's files (overlay: its upper dir)
//   snapshots/<id>/work      overlay workdir (active snapshots)
//   snapshots/new-*, rm-*    being built / being removed
// A snapshot directory is built under new-* and renamed to its numeric id in
// the same locked metadata update that records it (containerd overlay.go), so
// a crash leaves at worst an orphan directory, never a record without files.
import * as fs from 'node:fs';
import { join } from 'node:path';
import { AlreadyExistsError, FailedPreconditionError, InvalidArgumentError, NotFoundError } from '../errors.js';
import type { Sys } from '../sys/index.js';
import { MetadataStore, nsRecords, type SnapshotRecord } from './metadata.js';
import { diskUsage } from './usage.js';
import type { Info, Kind, Mount, SnapshotOptions, Snapshotter, SnapshotterName, Usage } from './types.js';
import { isoString } from '../util/iso-time.js';

export class SnapshotHasChildrenError extends FailedPreconditionError {
  constructor(key: string, readonly children: string[]) {
    super(`snapshot ${JSON.stringify(key)} has ${children.length} child snapshot(s): ${children.join(', ')}`, {
      hint: 'remove the children first (`tsctr snapshots tree` shows them)',
    });
  }
}

export abstract class DirSnapshotter implements Snapshotter {
  abstract readonly name: SnapshotterName;
  readonly meta: MetadataStore;
  readonly snapDir: string;

  constructor(readonly dir: string, readonly sys: Sys, readonly namespace = 'default') {
    this.meta = new MetadataStore(dir, sys);
    this.snapDir = join(dir, 'snapshots');
  }

  abstract withNamespace(ns: string): Snapshotter;
  /** Fills a new snapshot directory (overlay: empty fs + work; native: a copy of the parent). */
  protected abstract populate(tmp: string, kind: Kind, parentFs: string | undefined): Promise<void>;
  /** The mounts of a snapshot, given its own dir and its parents' fs dirs (top first). */
  protected abstract mountsOf(kind: Kind, own: string, parents: string[]): Mount[];

  fsDir(id: string): string {
    return join(this.snapDir, id, 'fs');
  }

  prepare(key: string, parent?: string, opts?: SnapshotOptions): Promise<Mount[]> {
    return this.create('active', key, parent, opts);
  }

  view(key: string, parent?: string, opts?: SnapshotOptions): Promise<Mount[]> {
    return this.create('view', key, parent, opts);
  }

  private async create(kind: Kind, key: string, parent: string | undefined, opts: SnapshotOptions = {}): Promise<Mount[]> {
    if (!key) throw new InvalidArgumentError('a snapshot key must not be empty');
    const pre = nsRecords(this.meta.read(), this.namespace);
    if (pre[key]) throw new AlreadyExistsError(`snapshot ${JSON.stringify(key)} already exists`);
    const parentRec = parent ? pre[parent] : undefined;
    if (parent && !parentRec) throw new NotFoundError(`parent snapshot ${JSON.stringify(parent)} does not exist`, { hint: 'pull or unpack the image first, or see `tsctr snapshots ls`' });
    if (parentRec && parentRec.kind !== 'committed') throw new FailedPreconditionError(`parent ${JSON.stringify(parent)} is ${parentRec.kind}, not committed`, { hint: 'commit it first: `tsctr snapshots commit <name> <key>`' });
    fs.mkdirSync(this.snapDir, { recursive: true, mode: 0o700 });
    const tmp = fs.mkdtempSync(join(this.snapDir, 'new-'));
    try {
      await this.populate(tmp, kind, parentRec ? this.fsDir(parentRec.id) : undefined);
      await this.meta.update((db) => {
        const recs = nsRecords(db, this.namespace);
        if (recs[key]) throw new AlreadyExistsError(`snapshot ${JSON.stringify(key)} already exists`);
        if (parent && recs[parent]?.kind !== 'committed') throw new NotFoundError(`parent snapshot ${JSON.stringify(parent)} does not exist`);
        const id = String(db.nextId++);
        fs.renameSync(tmp, join(this.snapDir, id));
        const now = isoString();
        recs[key] = { id, kind, parent, labels: { ...(opts.labels ?? {}) }, created: now, updated: now };
      });
    } catch (e) {
      fs.rmSync(tmp, { recursive: true, force: true });
      throw e;
    }
    return this.mounts(key);
  }

  async commit(name: string, key: string, opts: SnapshotOptions = {}): Promise<void> {
    const rec = this.get(key);
    if (rec.kind !== 'active') throw new FailedPreconditionError(`snapshot ${JSON.stringify(key)} is ${rec.kind}: only active snapshots can be committed`);
    const usage = diskUsage(this.fsDir(rec.id));
    await this.meta.update((db) => {
      const recs = nsRecords(db, this.namespace);
      const cur = recs[key];
      if (!cur || cur.kind !== 'active') throw new NotFoundError(`active snapshot ${JSON.stringify(key)} does not exist`);
      if (recs[name]) throw new AlreadyExistsError(`snapshot ${JSON.stringify(name)} already exists`);
      delete recs[key];
      recs[name] = { ...cur, kind: 'committed', labels: { ...cur.labels, ...(opts.labels ?? {}) }, updated: isoString(), size: usage.size, inodes: usage.inodes };
    });
  }

  async remove(key: string): Promise<void> {
    const gone = await this.meta.update((db) => {
      const recs = nsRecords(db, this.namespace);
      const rec = recs[key];
      if (!rec) throw new NotFoundError(`snapshot ${JSON.stringify(key)} does not exist`);
      const children = Object.entries(recs).filter(([, r]) => r.parent === key).map(([k]) => k);
      if (children.length) throw new SnapshotHasChildrenError(key, children);
      delete recs[key];
      const to = join(this.snapDir, `rm-${rec.id}`);
      try { fs.renameSync(join(this.snapDir, rec.id), to); } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; }
      return to;
    });
    fs.rmSync(gone, { recursive: true, force: true });
  }

  async mounts(key: string): Promise<Mount[]> {
    const rec = this.get(key);
    return this.mountsOf(rec.kind, join(this.snapDir, rec.id), this.parentDirs(rec));
  }

  async layerDirs(key: string): Promise<{ upper: string; lowers: string[] }> {
    const rec = this.get(key);
    return { upper: this.fsDir(rec.id), lowers: this.parentDirs(rec) };
  }

  async stat(key: string): Promise<Info> {
    return toInfo(key, this.get(key));
  }

  async list(): Promise<Info[]> {
    const recs = nsRecords(this.meta.read(), this.namespace);
    return Object.entries(recs).map(([k, r]) => toInfo(k, r)).sort((a, b) => a.name.localeCompare(b.name));
  }

  async usage(key: string): Promise<Usage> {
    const rec = this.get(key);
    if (rec.kind === 'committed' && rec.size !== undefined) return { size: rec.size, inodes: rec.inodes ?? 0 };
    return diskUsage(this.fsDir(rec.id));
  }

  async update(key: string, labels: Record<string, string>): Promise<Info> {
    return this.meta.update((db) => {
      const rec = nsRecords(db, this.namespace)[key];
      if (!rec) throw new NotFoundError(`snapshot ${JSON.stringify(key)} does not exist`);
      for (const [k, v] of Object.entries(labels)) {
        if (v === '') delete rec.labels[k];
        else rec.labels[k] = v;
      }
      rec.updated = isoString();
      return toInfo(key, rec);
    });
  }

  async cleanup(maxAgeMs = 3600_000): Promise<number> {
    let names: string[];
    try { names = fs.readdirSync(this.snapDir); } catch { return 0; }
    let n = 0;
    for (const name of names) {
      const p = join(this.snapDir, name);
      // new-* may belong to a prepare still running in another process: only old ones go.
      const stale = name.startsWith('rm-') || (name.startsWith('new-') && Date.now() - fs.statSync(p).mtimeMs > maxAgeMs);
      if (!stale) continue;
      fs.rmSync(p, { recursive: true, force: true });
      n++;
    }
    return n;
  }

  protected get(key: string): SnapshotRecord {
    const rec = nsRecords(this.meta.read(), this.namespace)[key];
    if (!rec) throw new NotFoundError(`snapshot ${JSON.stringify(key)} does not exist`, { hint: 'see `tsctr snapshots ls`' });
    return rec;
  }

  /** fs dirs of the parent chain, nearest first. */
  protected parentDirs(rec: SnapshotRecord): string[] {
    const recs = nsRecords(this.meta.read(), this.namespace);
    const out: string[] = [];
    for (let p = rec.parent; p; p = recs[p]?.parent) {
      const r = recs[p];
      if (!r) throw new NotFoundError(`parent snapshot ${JSON.stringify(p)} is missing from the metadata`);
      out.push(this.fsDir(r.id));
    }
    return out;
  }
}

function toInfo(name: string, r: SnapshotRecord): Info {
  return { name, parent: r.parent, kind: r.kind, labels: r.labels, created: r.created, updated: r.updated, id: r.id };
}
