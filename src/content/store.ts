// The blob store: content/blobs/sha256/<hex> of an OCI image layout, written
// only through ingests (writer.ts). Safe for concurrent tsctr processes: one
// flock per ingest key, so two pulls of one blob download it once.
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, statSync, type ReadStream } from 'node:fs';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DigestMismatchError, NotFoundError } from '../errors.js';
import { blobPathOf, blobsDir, ensureLayout, fsyncDir, gcLockPath, ingestDir } from './layout.js';
import { acquireLock, defaultSys, type Lock, type SysProvider } from './lock.js';
import { sha256Hex } from '../util/sha256.js';
import { Writer, type Expected, type IngestRecord } from './writer.js';

export interface BlobInfo {
  digest: string;
  size: number;
  createdAt: Date;
}

export interface IngestStatus {
  ref: string;
  key: string;
  offset: number;
  expected?: Expected;
  startedAt?: string;
  updatedAt: Date;
  /** True while a process holds the ingest. */
  active: boolean;
}

/** Ingest keys are file names: keep safe characters, and hash what would be too long. */
export function ingestKey(ref: string): string {
  const k = ref.replace(/[^A-Za-z0-9._-]/g, '-');
  return k.length <= 120 ? k : k.slice(0, 40) + '-' + createHash('sha256').update(ref).digest('hex').slice(0, 32);
}

export class ContentStore {
  private ready: Promise<void> | undefined;
  /** deferDirSync() scopes open, and the blob directories renamed into since the last sync. */
  private deferred = 0;
  private readonly unsynced = new Set<string>();
  private readonly syncDir = (dir: string): void => {
    if (this.deferred > 0) this.unsynced.add(dir);
    else fsyncDir(dir);
  };

  constructor(readonly root: string, readonly sys: SysProvider = defaultSys) {}

  /** Create the layout on first use. */
  init(): Promise<void> {
    this.ready ??= ensureLayout(this.root);
    return this.ready;
  }

  /** The path of a committed blob, for readers that want the file (unpack, export). */
  blobPath(digest: string): string {
    return blobPathOf(this.root, digest);
  }

  // info and readBlob are synchronous underneath: one stat, one small file (a
  // manifest, a config), cheaper than a thread-pool round trip, and a listing
  // (`images ls`) then never loads fs/promises (~5 ms of its start-up).
  async info(digest: string): Promise<BlobInfo | undefined> {
    try {
      const s = statSync(this.blobPath(digest));
      return { digest, size: s.size, createdAt: s.mtime };
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async has(digest: string): Promise<boolean> {
    return (await this.info(digest)) !== undefined;
  }

  /** Read a whole blob (manifests, configs) and check its digest: a corrupt file is never trusted. */
  async readBlob(digest: string): Promise<Buffer> {
    let buf: Buffer;
    try {
      buf = readFileSync(this.blobPath(digest));
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') throw new NotFoundError(`content ${digest} not found`, { hint: 'pull the image again, or see `tsctr images check`' });
      throw err;
    }
    const actual = 'sha256:' + sha256Hex(buf); // small blobs without node:crypto: see src/util/sha256.ts
    if (digest.startsWith('sha256:') && actual !== digest) throw new DigestMismatchError(`blob ${digest}`, digest, actual, { hint: 'the store is corrupt: `tsctr content rm` it and pull again' });
    return buf;
  }

  /**
   * Re-hash a committed blob from disk with its digest's algorithm: the
   * digest its bytes have now (equal to `digest` unless the file is
   * corrupt), or undefined when it is not there.
   */
  async hashBlob(digest: string): Promise<string | undefined> {
    const alg = digest.split(':')[0]!;
    const h = createHash(alg);
    try {
      for await (const chunk of createReadStream(this.blobPath(digest))) h.update(chunk as Buffer);
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return undefined;
      throw err;
    }
    return `${alg}:${h.digest('hex')}`;
  }

  /** Stream a blob (layers); the caller verifies if it needs to. */
  openBlob(digest: string, start = 0): ReadStream {
    return createReadStream(this.blobPath(digest), { start });
  }

  async list(): Promise<BlobInfo[]> {
    const out: BlobInfo[] = [];
    let names: string[] = [];
    try {
      names = await readdir(blobsDir(this.root));
    } catch {
      return out;
    }
    for (const hex of names.sort()) {
      if (!/^[a-f0-9]{64}$/.test(hex)) continue;
      const info = await this.info('sha256:' + hex);
      if (info) out.push(info);
    }
    return out;
  }

  async delete(digest: string): Promise<void> {
    const p = this.blobPath(digest);
    try {
      await stat(p);
    } catch {
      throw new NotFoundError(`content ${digest} not found`);
    }
    await rm(p, { force: true });
  }

  /**
   * Open an ingest for `ref`. Waits while another process writes the same
   * key; returns undefined when the expected blob is already committed.
   */
  async openWriter(ref: string, expected?: Expected): Promise<Writer | undefined> {
    await this.init();
    const key = ingestKey(ref);
    const lock = (await acquireLock(join(ingestDir(this.root), key + '.lock'), { sys: this.sys }))!;
    try {
      if (expected && (await this.has(expected.digest))) {
        // Keep any stale partial data out of `content active`.
        await rm(join(ingestDir(this.root), key), { recursive: true, force: true });
        lock.release(true);
        return undefined;
      }
      return await new Writer(this.root, ref, join(ingestDir(this.root), key), expected, lock, this.syncDir).open();
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  /** Store a small blob held in memory (manifests, configs, index). */
  async writeBlob(data: Buffer, expected?: Expected, ref?: string): Promise<{ digest: string; size: number; existed: boolean }> {
    const exp = expected ?? { digest: 'sha256:' + createHash('sha256').update(data).digest('hex'), size: data.length };
    const w = await this.openWriter(ref ?? exp.digest, exp);
    if (!w) return { ...exp, existed: true };
    try {
      if (w.offset > 0) await w.reset();
      await w.write(data);
      return await w.commit();
    } catch (err) {
      await w.abort();
      throw err;
    }
  }

  /** Ingests on disk: in progress (locked) or left behind by an interrupted pull. */
  async ingests(): Promise<IngestStatus[]> {
    const dir = ingestDir(this.root);
    let names: string[] = [];
    try {
      names = await readdir(dir);
    } catch {
      return [];
    }
    const out: IngestStatus[] = [];
    for (const key of names.sort()) {
      if (key.endsWith('.lock')) continue;
      let rec: IngestRecord | undefined;
      try {
        rec = JSON.parse(await readFile(join(dir, key, 'ref.json'), 'utf8')) as IngestRecord;
      } catch {
        rec = undefined;
      }
      const s = await stat(join(dir, key, 'data')).catch(() => undefined);
      const probe = await acquireLock(join(dir, key + '.lock'), { tryOnly: true, sys: this.sys });
      probe?.release();
      out.push({ ref: rec?.ref ?? key, key, offset: s?.size ?? 0, expected: rec?.expected, startedAt: rec?.startedAt, updatedAt: s?.mtime ?? new Date(0), active: probe === undefined });
    }
    return out;
  }

  /** Remove an ingest nobody holds. Returns false when it is in use. */
  async abortIngest(key: string): Promise<boolean> {
    const lock = await acquireLock(join(ingestDir(this.root), key + '.lock'), { tryOnly: true, sys: this.sys });
    if (!lock) return false;
    await rm(join(ingestDir(this.root), key), { recursive: true, force: true });
    lock.release(true);
    return true;
  }

  /**
   * Until flush(), committed blobs do not fsync their directory one by one:
   * flush() syncs each directory once. A pull flushes before it records the
   * image, so a name never outlives its blobs in a crash; a blob whose rename
   * a crash undid is only fetched again.
   */
  /** Blob directories renamed into and not yet synced (inside deferDirSync scopes). */
  get unsyncedDirs(): number {
    return this.unsynced.size;
  }

  deferDirSync(): { flush(): void } {
    this.deferred++;
    let open = true;
    return {
      flush: () => {
        if (open) { open = false; this.deferred--; }
        for (const d of this.unsynced) fsyncDir(d);
        this.unsynced.clear();
      },
    };
  }

  /**
   * A lease: held (shared) by every pull, import and fetch from before its
   * first blob until its image is recorded, so garbage collection (which
   * takes it exclusively) never removes blobs that are about to be named.
   */
  async lease(): Promise<Lock> {
    await this.init();
    return (await acquireLock(gcLockPath(this.root), { shared: true, sys: this.sys }))!;
  }
}
