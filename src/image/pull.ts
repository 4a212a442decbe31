// Pull: resolve → fetch the index/manifest → pick platforms → fetch config
// and layers (a few at a time) into the content store → record the image.
// Blobs in the store are skipped; a dropped connection resumes from the
// writer's offset; a process killed at any point leaves ingests that the
// next pull resumes (content/writer.ts). Concurrent pulls of one image wait
// on each other's ingest locks and find the blobs there ("exists").
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DigestMismatchError, FailedPreconditionError, isKind, NotFoundError } from '../errors.js';
import type { ContentStore } from '../content/store.js';
import type { Writer } from '../content/writer.js';
import { parseReference, type Reference } from '../reference/index.js';
import type { RegistryClient } from '../remote/index.js';
import { isIndexType, isManifestType, type Descriptor, type Platform } from '../descriptor/index.js';
import { mapLimit } from './limit.js';
import { parseIndex, parseManifest, type Manifest } from './manifest.js';
import { formatPlatform, hostPlatform, isAttestation, selectManifests } from './platform.js';
import type { ImageStore } from './store.js';

export type BlobKind = 'index' | 'manifest' | 'config' | 'layer';
export type BlobStatus = 'waiting' | 'downloading' | 'resuming' | 'verifying' | 'done' | 'exists' | 'failed';

export interface ProgressEvent {
  digest: string;
  kind: BlobKind;
  status: BlobStatus;
  offset: number;
  total: number;
}

export interface PullOptions {
  store: ContentStore;
  images: ImageStore;
  namespace: string;
  ref: string | Reference;
  client: RegistryClient;
  /** Default: this host. 'all': every platform in the index (attestations left out). */
  platforms?: Platform[] | 'all';
  maxConcurrent?: number;
  /** Resume attempts per blob after a stream error (default 5). */
  maxResume?: number;
  /** Record the image name (default true; `content fetch` only fetches). */
  record?: boolean;
  onProgress?: (e: ProgressEvent) => void;
  /** Called once the reference is resolved, before any blob is fetched. */
  onResolved?: (name: string, target: Descriptor) => void;
  /** Called with each platform manifest before its blobs are fetched. */
  onManifest?: (desc: Descriptor, manifest: Manifest) => void;
  /** Asked when a layer's download starts from its first byte: somewhere to send its bytes as they arrive (unpack/stream.ts). */
  layerSink?: (d: Descriptor) => LayerSink | undefined;
  log?: (line: string) => void;
}

/**
 * A layer's bytes as they arrive. `stream` ends when the download has ended
 * and is destroyed when it broke off (a resumed download is not sent again);
 * `settle` then says whether the blob was verified and committed to the store:
 * only then may what was built from the bytes be kept.
 */
export interface LayerSink {
  stream: NodeJS.WritableStream & { destroy(err?: Error): void; destroyed: boolean; writableEnded: boolean };
  settle(committed: boolean): void;
}

export interface PullResult {
  name: string;
  target: Descriptor;
  /** The platform manifests fetched. */
  manifests: Descriptor[];
  fetched: number;
  existed: number;
  bytes: number;
}

export async function pullImage(opts: PullOptions): Promise<PullResult> {
  const ref = typeof opts.ref === 'string' ? parseReference(opts.ref) : opts.ref;
  const emit = opts.onProgress ?? (() => {});
  const result: PullResult = { name: ref.toString(), target: undefined as unknown as Descriptor, manifests: [], fetched: 0, existed: 0, bytes: 0 };
  const lease = await opts.store.lease();
  const dirSync = opts.store.deferDirSync();
  try {
    const target = await opts.client.resolve(ref);
    result.target = target;
    opts.onResolved?.(result.name, target);
    const fetchJson = async (d: Descriptor, kind: BlobKind): Promise<Buffer> => {
      if (await opts.store.has(d.digest)) {
        emit({ digest: d.digest, kind, status: 'exists', offset: d.size, total: d.size });
        result.existed++;
        return opts.store.readBlob(d.digest);
      }
      emit({ digest: d.digest, kind, status: 'downloading', offset: 0, total: d.size });
      const body = await opts.client.fetchManifest(ref, d);
      const r = await opts.store.writeBlob(body, { digest: d.digest, size: d.size });
      if (r.existed) result.existed++;
      else result.fetched++;
      emit({ digest: d.digest, kind, status: r.existed ? 'exists' : 'done', offset: d.size, total: d.size });
      return body;
    };

    let manifests: Descriptor[];
    if (isIndexType(target.mediaType)) {
      const index = parseIndex(await fetchJson(target, 'index'), `index of ${ref}`);
      const want = opts.platforms ?? [hostPlatform()];
      manifests = selectManifests(index.manifests.filter((m) => isManifestType(m.mediaType)), want);
      if (manifests.length === 0) {
        const have = index.manifests.filter((m) => m.platform && !isAttestation(m)).map((m) => formatPlatform(m.platform!));
        throw new NotFoundError(`${ref}: no manifest for ${want === 'all' ? 'any platform' : want.map(formatPlatform).join(', ')} (image has ${have.join(', ') || 'none'})`, { hint: 'choose one with --platform, or use --all-platforms' });
      }
    } else if (isManifestType(target.mediaType)) {
      manifests = [target];
    } else {
      throw new FailedPreconditionError(`${ref}: ${target.mediaType} is not an image`, { hint: 'only image manifests and indexes can be pulled' });
    }

    const blobs = new Map<string, { d: Descriptor; kind: BlobKind }>();
    for (const md of manifests) {
      const m = parseManifest(await fetchJson(md, 'manifest'), `manifest ${md.digest}`);
      result.manifests.push(md);
      opts.onManifest?.(md, m);
      if (!blobs.has(m.config.digest)) blobs.set(m.config.digest, { d: m.config, kind: 'config' });
      for (const l of m.layers) if (!blobs.has(l.digest)) blobs.set(l.digest, { d: l, kind: 'layer' });
    }
    const list = [...blobs.values()];
    for (const b of list) emit({ digest: b.d.digest, kind: b.kind, status: 'waiting', offset: 0, total: b.d.size });
    await mapLimit(list, opts.maxConcurrent ?? 3, async (b) => {
      try {
        const r = await fetchBlob(opts, ref, b.d, b.kind, emit);
        if (r === 'exists') result.existed++;
        else {
          result.fetched++;
          result.bytes += b.d.size;
        }
      } catch (err) {
        emit({ digest: b.d.digest, kind: b.kind, status: 'failed', offset: 0, total: b.d.size });
        throw err;
      }
    });
    dirSync.flush();
    if (opts.record !== false) await opts.images.put(opts.namespace, result.name, target);
    return result;
  } finally {
    dirSync.flush();
    lease.release();
  }
}

function isStreamError(err: unknown): boolean {
  if (isKind(err, 'DigestMismatch') || isKind(err, 'FailedPrecondition') || isKind(err, 'NotFound') || isKind(err, 'PermissionDenied') || isKind(err, 'InvalidArgument')) return false;
  return true;
}

/** Download one blob into the store, resuming from the ingest's offset after stream errors. */
export async function fetchBlob(opts: Pick<PullOptions, 'store' | 'client' | 'maxResume' | 'log' | 'layerSink'>, ref: Reference, d: Descriptor, kind: BlobKind, emit: (e: ProgressEvent) => void): Promise<'exists' | 'done'> {
  const maxResume = opts.maxResume ?? 5;
  let sink: LayerSink | undefined;
  /** The sink sees one download from byte 0, or nothing that counts. */
  const dropSink = (err: Error) => {
    if (!sink) return;
    if (!sink.stream.destroyed) sink.stream.destroy(err);
    sink.settle(false);
    sink = undefined;
  };
  try {
    // A second round starts from byte 0 when resumed bytes turn out to be bad.
    for (let round = 0; ; round++) {
      const w = await opts.store.openWriter(d.digest, { digest: d.digest, size: d.size });
      if (!w) {
        emit({ digest: d.digest, kind, status: 'exists', offset: d.size, total: d.size });
        return 'exists';
      }
      if (round === 0 && w.offset === 0 && kind === 'layer') sink = opts.layerSink?.(d);
      const r = await fetchRound(opts, ref, d, kind, w, emit, maxResume, round, () => sink, dropSink);
      if (r === 'again') continue;
      sink?.settle(true);
      sink = undefined;
      return r;
    }
  } catch (err) {
    dropSink(err as Error);
    throw err;
  }
}

async function fetchRound(opts: Pick<PullOptions, 'log'> & Pick<PullOptions, 'client'>, ref: Reference, d: Descriptor, kind: BlobKind, w: Writer, emit: (e: ProgressEvent) => void, maxResume: number, round: number, sink: () => LayerSink | undefined, dropSink: (err: Error) => void): Promise<'done' | 'again'> {
  {
    let resumed = w.offset > 0;
    try {
      for (let attempt = 0; w.offset < d.size; attempt++) {
        try {
          if (w.offset > 0) dropSink(new Error('download resumed'));
          await download(opts.client, ref, d, kind, w, emit, sink());
        } catch (err) {
          dropSink(err as Error);
          if (!isStreamError(err) || attempt >= maxResume) throw err;
          resumed = true;
          opts.log?.(`${d.digest}: ${(err as Error).message}; resuming at ${w.offset} of ${d.size} bytes`);
          emit({ digest: d.digest, kind, status: 'resuming', offset: w.offset, total: d.size });
          await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** attempt)));
        }
      }
      emit({ digest: d.digest, kind, status: 'verifying', offset: w.offset, total: d.size });
      await w.commit();
      emit({ digest: d.digest, kind, status: 'done', offset: d.size, total: d.size });
      return 'done';
    } catch (err) {
      if (err instanceof DigestMismatchError) {
        dropSink(err);
        // commit() has dropped the bad bytes already.
        if (resumed && round === 0) return 'again';
        throw err;
      }
      if (isKind(err, 'FailedPrecondition')) await w.abort();
      else await w.close();
      throw err;
    }
  }
}

async function download(client: RegistryClient, ref: Reference, d: Descriptor, kind: BlobKind, w: Writer, emit: (e: ProgressEvent) => void, sink?: LayerSink): Promise<void> {
  await w.settled();
  const { stream, offset } = await client.fetchBlob(ref, d, w.offset);
  if (offset !== w.offset) {
    if (offset !== 0) throw new FailedPreconditionError(`${d.digest}: registry answered from byte ${offset}, asked for ${w.offset}`);
    await w.reset(); // Range ignored: start over
  }
  let last = 0;
  emit({ digest: d.digest, kind, status: 'downloading', offset: w.offset, total: d.size });
  // The sink gets each chunk as it passes (and slows the download down when it
  // lags); if it fails, the download goes on without it.
  const tap = sink?.stream;
  let waiting: (() => void) | undefined;
  const release = () => { const f = waiting; waiting = undefined; f?.(); };
  tap?.on('drain', release).on('close', release);
  const count = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      const now = Date.now();
      if (now - last > 100) {
        last = now;
        emit({ digest: d.digest, kind, status: 'downloading', offset: w.offset + chunk.length, total: d.size });
      }
      if (tap && !tap.destroyed && !tap.write(chunk)) {
        waiting = () => cb(null, chunk);
        return;
      }
      cb(null, chunk);
    },
    flush(cb) {
      if (tap && !tap.destroyed) tap.end();
      cb();
    },
  });
  await pipeline(stream as NodeJS.ReadableStream, count, w.stream());
}
