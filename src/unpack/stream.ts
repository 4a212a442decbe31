// Unpacking while a pull downloads. pullImage asks for a sink when a layer's
// download starts; when that layer is the next one to unpack (its parents are
// committed), its bytes are decompressed and applied into an extract snapshot
// as they arrive. The snapshot is committed only when both checks passed: the
// diff_id of the tar stream (here, at its end) and the blob's digest (the
// content store's, reported through settle()). Anything else removes the
// extract snapshot and commits nothing; unpackImage, which the caller runs
// after the pull in any case, then unpacks what is left from the stored blobs
// and reports any error. So this path only ever saves time: the stored blob
// stays the authority.
//
// Layers are applied in order, one at a time, while the downloads (a few at a
// time) go on: applying a layer reads its parents, as overlayfs would show
// them (a parent directory that is a symlink in a lower layer, whiteouts only
// where a lower layer has something, hardlinks to lower files, the metadata of
// directories copied up), and the native snapshotter copies the parent first.
// A layer whose download started while another was being applied gets no
// stream; it is applied from the store as soon as its blob is committed there
// and its parent is, still during the pull, instead of after it.
//
//   download ──► content store ingest ──► verify digest ──► commit blob ─┐
//        └────► gunzip ──► tar ──► extract snapshot ──► diff_id ok ──────┴─► commit snapshot
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import type { Descriptor } from '../descriptor/index.js';
import type { LayerSink } from '../image/pull.js';
import { getSnapshotter, type Snapshotter, type SnapshotterName } from '../snapshot/index.js';
import type { Sys } from '../sys/index.js';
import { chainIds } from './chain-id.js';
import { blobPath, removeExtract, UNCOMPRESSED_LABEL, UNPACK_PID_LABEL, type OnSnapshot } from './index.js';
import { applyLayer, applyLayerStream } from './layer.js';

type ApplyTo = (dirs: { upper: string; lowers: string[] }, name: string, diffId: string) => Promise<unknown>;

export interface StreamingUnpackOptions {
  root: string;
  namespace: string;
  snapshotter: SnapshotterName;
  sys: Sys;
  /** The image config's rootfs.diff_ids, once the config is in the store. */
  diffIds: Promise<string[]>;
  layers: Descriptor[];
  log?: (line: string) => void;
  /** Told of each layer snapshot prepared, committed or removed here (as UnpackOptions.onSnapshot). */
  onSnapshot?: OnSnapshot;
}

export class StreamingUnpacker {
  private next = 0;
  private busy = false;
  /** A layer failed here: the rest is left to unpackImage, which reports the error. */
  private stopped = false;
  private readonly work: Promise<void>[] = [];
  /** Layer blobs committed to the content store during this pull. */
  private readonly stored = new Set<string>();
  private readonly sn: Snapshotter;
  /** Layers applied from the stream and committed. */
  streamed = 0;
  /** Layers applied from the store during the pull and committed. */
  fromStore = 0;

  constructor(private readonly opts: StreamingUnpackOptions) {
    this.sn = getSnapshotter(opts.root, opts.snapshotter, opts.sys, opts.namespace);
    // A failed pull leaves diffIds rejected; what waits on it gives up quietly.
    opts.diffIds.catch(() => {});
  }

  /** For PullOptions.layerSink: a sink when d is the next layer to unpack and no other is being applied. */
  sinkFor = (d: Descriptor): LayerSink | undefined => {
    const i = this.next;
    if (this.busy || this.stopped || i >= this.opts.layers.length || this.opts.layers[i]!.digest !== d.digest) return undefined;
    const stream = new PassThrough({ highWaterMark: 1 << 20 });
    // A broken download destroys the stream with its error, which the pull
    // reports; the apply sees the stream end early. Without a listener here,
    // a drop while the apply still waits for the config would crash the process.
    stream.on('error', () => {});
    let settle!: (ok: boolean) => void;
    const committed = new Promise<boolean>((r) => { settle = r; });
    this.start(i, 'while downloading', (dirs, name, diffId) => applyLayerStream(stream, name, dirs, this.opts.sys, diffId), committed, {
      fail: () => stream.destroy(),
      done: () => this.streamed++,
      // Whatever happened, the download must not wait on a stream nobody reads.
      always: () => stream.resume(),
    });
    return { stream, settle: (ok) => settle(ok) };
  };

  /** For the pull's progress: a layer blob is committed to the store (done, or there already). */
  blobStored(digest: string): void {
    this.stored.add(digest);
    this.kick();
  }

  /** Waits for the layers being applied (and those they start); what they did not commit is left to unpackImage. */
  async finish(): Promise<void> {
    for (let n = 0; n !== this.work.length;) {
      n = this.work.length;
      await Promise.all(this.work);
    }
  }

  /** The next layer, from the store, when it is there and nothing is being applied. */
  private kick(): void {
    const i = this.next;
    if (this.busy || this.stopped || i >= this.opts.layers.length || !this.stored.has(this.opts.layers[i]!.digest)) return;
    const path = blobPath(this.opts.root, this.opts.layers[i]!.digest);
    this.start(i, 'from the store, during the pull', (dirs, _name, diffId) => applyLayer(path, dirs, this.opts.sys, diffId), Promise.resolve(true), { done: () => this.fromStore++ });
  }

  private start(i: number, how: string, applyTo: ApplyTo, committed: Promise<boolean>, on: { fail?: () => void; done: () => void; always?: () => void }): void {
    this.busy = true;
    this.work.push(
      this.apply(i, how, applyTo, committed, on.fail ?? (() => {}))
        .then((applied) => { this.next = i + 1; if (applied) on.done(); })
        .catch((e: unknown) => { this.stopped = true; this.opts.log?.(`unpack layer ${i + 1} ${how}: ${(e as Error).message}; unpacking from the store instead`); })
        .finally(() => { this.busy = false; on.always?.(); this.kick(); }),
    );
  }

  /** Applies layer i into an extract snapshot and commits it once `committed` says the blob verified; false: it was committed already. */
  private async apply(i: number, how: string, applyTo: ApplyTo, committed: Promise<boolean>, onFail: () => void): Promise<boolean> {
    const diffIds = await this.opts.diffIds;
    const layers = this.opts.layers;
    if (diffIds.length !== layers.length) throw new Error(`image has ${layers.length} layers but ${diffIds.length} diff_ids`);
    const chain = chainIds(diffIds);
    if (await this.isCommitted(chain[i]!)) return false;
    const key = `extract-${process.pid}-${randomBytes(4).toString('hex')} ${chain[i]}`;
    await this.sn.prepare(key, chain[i - 1], { labels: { [UNPACK_PID_LABEL]: String(process.pid) } });
    const onSnapshot = this.opts.onSnapshot;
    let journalled = false;
    try {
      await onSnapshot?.('/snapshot/prepare', { key, parent: chain[i - 1] ?? '', snapshotter: this.sn.name });
      journalled = true;
      await applyTo(await this.sn.layerDirs(key), `layer ${i + 1}/${layers.length} ${layers[i]!.digest} (${how})`, diffIds[i]!);
      if (!(await committed)) throw new Error('the download did not complete or did not verify');
      await this.sn.commit(chain[i]!, key, { labels: { [UNCOMPRESSED_LABEL]: diffIds[i]! } });
    } catch (e) {
      onFail();
      await removeExtract(this.sn, key, journalled ? onSnapshot : undefined);
      throw e;
    }
    await onSnapshot?.('/snapshot/commit', { key, name: chain[i]!, snapshotter: this.sn.name });
    return true;
  }

  private async isCommitted(key: string): Promise<boolean> {
    try {
      return (await this.sn.stat(key)).kind === 'committed';
    } catch {
      return false;
    }
  }
}

export interface PullUnpackHooks {
  onManifest: (desc: Descriptor, manifest: { config: Descriptor; layers: Descriptor[] }) => void;
  onProgress: (e: { digest: string; kind: string; status: string }) => void;
  layerSink: (d: Descriptor) => LayerSink | undefined;
  /** After the pull: waits for the layers being applied. */
  finish: () => Promise<void>;
  /** The pull failed: nothing more will arrive. */
  abort: (err: Error) => void;
  streamed: () => number;
}

/**
 * The hooks that make a pull of one platform's image unpack while it downloads.
 * `readBlob` reads the config from the store once the pull reports it there.
 */
export function unpackWhilePulling(opts: Omit<StreamingUnpackOptions, 'diffIds' | 'layers'> & { readBlob: (digest: string) => Promise<Buffer> }): PullUnpackHooks {
  let unpacker: StreamingUnpacker | undefined;
  let config: string | undefined;
  let resolveIds!: (ids: string[]) => void;
  let rejectIds!: (err: Error) => void;
  const diffIds = new Promise<string[]>((res, rej) => { resolveIds = res; rejectIds = rej; });
  return {
    onManifest: (_desc, m) => {
      if (unpacker) return; // one platform only: the first manifest
      config = m.config.digest;
      unpacker = new StreamingUnpacker({ ...opts, layers: m.layers, diffIds });
    },
    onProgress: (e) => {
      if (e.kind === 'layer' && (e.status === 'done' || e.status === 'exists')) unpacker?.blobStored(e.digest);
      if (e.kind !== 'config' || e.digest !== config || (e.status !== 'done' && e.status !== 'exists')) return;
      config = undefined;
      opts.readBlob(e.digest).then((b) => {
        const ids = (JSON.parse(b.toString('utf8')) as { rootfs?: { diff_ids?: unknown } }).rootfs?.diff_ids;
        if (!Array.isArray(ids) || !ids.every((x) => typeof x === 'string')) throw new Error('image config has no rootfs.diff_ids');
        resolveIds(ids as string[]);
      }).catch(rejectIds);
    },
    layerSink: (d) => unpacker?.sinkFor(d),
    finish: async () => { await unpacker?.finish(); },
    abort: (err) => rejectIds(err),
    streamed: () => (unpacker?.streamed ?? 0) + (unpacker?.fromStore ?? 0),
  };
}
