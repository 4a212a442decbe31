// The snapshot metadata file, one per snapshotter: records keyed by namespace
// then key. Updates take an exclusive flock on `lock`, read, change, write a
// temp file, fsync and rename (containerd keeps this in bolt; a JSON file is
// enough for a CLI and can be read with jq).
import * as fs from 'node:fs';
import { join } from 'node:path';
import { LOCK } from '../sys/constants.js';
import type { Sys } from '../sys/index.js';
import type { Kind } from './types.js';

const O_CLOEXEC = 0o2000000;

export interface SnapshotRecord {
  id: string;
  kind: Kind;
  parent?: string;
  labels: Record<string, string>;
  created: string;
  updated: string;
  /** Usage measured at commit time (committed snapshots do not change). */
  size?: number;
  inodes?: number;
}

export interface MetadataDb {
  version: 1;
  nextId: number;
  namespaces: Record<string, Record<string, SnapshotRecord>>;
}

function empty(): MetadataDb {
  return { version: 1, nextId: 1, namespaces: {} };
}

function readMetadata(file: string): MetadataDb {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as MetadataDb;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return empty();
    throw e;
  }
}

/** How many snapshots each snapshotter under <root>/snapshots holds for a namespace (for `namespaces rm`). */
export function countSnapshots(root: string, namespace: string): { snapshotter: string; count: number }[] {
  let names: string[] = [];
  try {
    names = fs.readdirSync(join(root, 'snapshots')).sort();
  } catch { /* no snapshots yet */ }
  const out: { snapshotter: string; count: number }[] = [];
  for (const sn of names) {
    try {
      const count = Object.keys(readMetadata(join(root, 'snapshots', sn, 'metadata.json')).namespaces?.[namespace] ?? {}).length;
      if (count > 0) out.push({ snapshotter: sn, count });
    } catch { /* not a snapshotter directory */ }
  }
  return out;
}

export class MetadataStore {
  readonly file: string;
  readonly lockFile: string;

  constructor(readonly dir: string, private readonly sys: Sys) {
    this.file = join(dir, 'metadata.json');
    this.lockFile = join(dir, 'lock');
  }

  /** A consistent snapshot of the file: writers rename, so no lock is needed to read. */
  read(): MetadataDb {
    return readMetadata(this.file);
  }

  /** Runs fn on the current data under the lock and saves what it leaves (unless it throws). */
  async update<T>(fn: (db: MetadataDb) => T): Promise<T> {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const fd = fs.openSync(this.lockFile, fs.constants.O_RDWR | fs.constants.O_CREAT | O_CLOEXEC, 0o600);
    try {
      await this.sys.flockWait(fd, LOCK.EX);
      const db = this.read();
      const out = fn(db);
      const tmp = `${this.file}.${process.pid}.tmp`;
      const wfd = fs.openSync(tmp, 'w', 0o600);
      try {
        fs.writeSync(wfd, JSON.stringify(db, null, 1));
        fs.fsyncSync(wfd);
      } finally {
        fs.closeSync(wfd);
      }
      fs.renameSync(tmp, this.file);
      return out;
    } finally {
      fs.closeSync(fd); // closing drops the lock
    }
  }
}

export function nsRecords(db: MetadataDb, ns: string): Record<string, SnapshotRecord> {
  return (db.namespaces[ns] ??= {});
}

/** What a namespace still holds in snapshots, as `namespaces rm` names it ("2 overlayfs snapshots"). */
export function snapshotsHeldBy(root: string, namespace: string): string[] {
  return countSnapshots(root, namespace).map(({ snapshotter, count }) => `${count} ${snapshotter} snapshot${count === 1 ? '' : 's'}`);
}
