// One ingest: bytes go to content/ingest/<key>/data, hashed as they are
// written. commit() fsyncs, checks size and digest, renames the file into
// blobs/ (containerd content/local/writer.go) and has the directory synced:
// at once, or once for a whole pull (ContentStore.deferDirSync) before the
// image that names the blobs is recorded. ref.json is written without an
// fsync: after a crash a torn or missing one only means starting over.
// A writer that is closed without commit leaves its data for a later resume;
// a mismatch removes it and commits nothing.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { DigestMismatchError, FailedPreconditionError } from '../errors.js';
import { blobPathOf, fsyncDir, writeFileAtomic } from './layout.js';
import type { Lock } from './lock.js';

export interface Expected {
  digest: string;
  size: number;
}

/** content/ingest/<key>/ref.json: what the ingest is for, so `content active` can show it. */
export interface IngestRecord {
  ref: string;
  expected?: Expected;
  startedAt: string;
}

export class Writer {
  private hash: Hash = createHash('sha256');
  private fh: FileHandle | undefined;
  private done = false;
  /** Bytes written so far, including those kept from an earlier attempt. */
  offset = 0;
  /** Bytes found on disk from an earlier attempt when the writer opened. */
  resumedFrom = 0;

  constructor(readonly root: string, readonly ref: string, readonly dir: string, readonly expected: Expected | undefined, private readonly lock: Lock, private readonly syncDir: (dir: string) => void = fsyncDir) {}

  get dataPath(): string {
    return join(this.dir, 'data');
  }

  /** Open the ingest, keeping earlier bytes when they were for the same digest (re-hashed, since a hash state cannot be saved). */
  async open(): Promise<this> {
    await mkdir(this.dir, { recursive: true });
    const recPath = join(this.dir, 'ref.json');
    let keep = false;
    try {
      const rec = JSON.parse(await readFile(recPath, 'utf8')) as IngestRecord;
      keep = rec.expected !== undefined && this.expected !== undefined && rec.expected.digest === this.expected.digest;
    } catch {
      keep = false;
    }
    if (keep) {
      const size = await stat(this.dataPath).then((s) => s.size, () => 0);
      if (size > this.expected!.size) keep = false;
    }
    if (!keep) {
      const rec: IngestRecord = { ref: this.ref, expected: this.expected, startedAt: new Date().toISOString() };
      await writeFileAtomic(recPath, JSON.stringify(rec) + '\n', 0o644, false);
      this.fh = await open(this.dataPath, 'w', 0o644);
      return this;
    }
    for await (const chunk of createReadStream(this.dataPath)) {
      this.hash.update(chunk as Buffer);
      this.offset += (chunk as Buffer).length;
    }
    this.resumedFrom = this.offset;
    this.fh = await open(this.dataPath, 'r+');
    return this;
  }

  private pending: Promise<void> = Promise.resolve();

  /** Writes run one after another, so offset is exact once settled() resolves. */
  write(chunk: Buffer): Promise<void> {
    const p = this.pending.then(() => this.writeNow(chunk));
    this.pending = p.catch(() => undefined);
    return p;
  }

  /** Wait for writes in flight (a source that failed mid-stream may leave one). */
  async settled(): Promise<void> {
    await this.pending;
  }

  private async writeNow(chunk: Buffer): Promise<void> {
    if (this.done || !this.fh) throw new FailedPreconditionError(`ingest ${this.ref} is closed`);
    let off = 0;
    while (off < chunk.length) {
      const { bytesWritten } = await this.fh.write(chunk, off, chunk.length - off, this.offset + off);
      off += bytesWritten;
    }
    this.hash.update(chunk);
    this.offset += chunk.length;
    if (this.expected && this.offset > this.expected.size) {
      throw new FailedPreconditionError(`ingest ${this.ref}: got more than the expected ${this.expected.size} bytes`, { hint: 'the source sent a different blob than its descriptor says' });
    }
  }

  /** Start over from byte 0 (the source ignored a Range request, or resumed data was bad). */
  async reset(): Promise<void> {
    await this.settled();
    if (!this.fh) throw new FailedPreconditionError(`ingest ${this.ref} is closed`);
    await this.fh.truncate(0);
    this.hash = createHash('sha256');
    this.offset = 0;
    this.resumedFrom = 0;
  }

  /** A Writable for stream.pipeline(); it writes through this writer with backpressure. */
  stream(): Writable {
    return new Writable({
      highWaterMark: 1 << 20,
      write: (chunk: Buffer, _enc, cb) => {
        this.write(chunk).then(() => cb(), cb);
      },
    });
  }

  /**
   * Verify and move into blobs/. Returns the digest and size; `existed` when
   * another writer committed the same blob first (then this data is dropped).
   */
  async commit(): Promise<{ digest: string; size: number; existed: boolean }> {
    await this.settled();
    if (this.done || !this.fh) throw new FailedPreconditionError(`ingest ${this.ref} is closed`);
    await this.fh.sync();
    await this.fh.close();
    this.fh = undefined;
    const digest = 'sha256:' + this.hash.digest('hex');
    const size = this.offset;
    try {
      if (this.expected && size !== this.expected.size) {
        await this.discard();
        throw new DigestMismatchError(this.ref, `${this.expected.size} bytes`, `${size} bytes`, { hint: 'the download was cut short or the source is corrupt; pull again' });
      }
      if (this.expected && digest !== this.expected.digest) {
        await this.discard();
        throw new DigestMismatchError(this.ref, this.expected.digest, digest, { hint: 'the registry or archive served corrupt data; nothing was stored' });
      }
      const target = blobPathOf(this.root, digest);
      const existed = await stat(target).then(() => true, () => false);
      if (!existed) {
        await mkdir(dirname(target), { recursive: true });
        await rename(this.dataPath, target);
        this.syncDir(dirname(target));
      }
      await this.discard();
      return { digest, size, existed };
    } finally {
      this.done = true;
      this.lock.release(true);
    }
  }

  /** Release the ingest and keep its bytes for a later resume. */
  async close(): Promise<void> {
    if (this.done) return;
    await this.settled();
    this.done = true;
    if (this.fh) {
      await this.fh.close().catch(() => undefined);
      this.fh = undefined;
    }
    this.lock.release(false);
  }

  /** Drop the ingest and its bytes. */
  async abort(): Promise<void> {
    if (this.done) return;
    await this.settled();
    if (this.fh) {
      await this.fh.close().catch(() => undefined);
      this.fh = undefined;
    }
    await this.discard();
    this.done = true;
    this.lock.release(true);
  }

  private async discard(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
