// Image unpack: layers from the content store → committed snapshots keyed
// by chain ID. A layer whose chain ID is already committed is not unpacked
// again. Each layer is applied into an `extract-*` active snapshot and
// committed under its chain ID only after its diff ID checked out, so a
// killed unpack leaves no committed snapshot; the next unpack removes the
// stale extract snapshot (its pid label names a dead process) and redoes it.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { InvalidArgumentError, isKind, wrap } from '../errors.js';
import type { Descriptor } from '../descriptor/index.js';
import { getSnapshotter, type Snapshotter, type SnapshotterName } from '../snapshot/index.js';
import type { Sys } from '../sys/index.js';
import { chainIds } from './chain-id.js';
import { applyLayer, type LayerResult } from './layer.js';
import { bulkWorkAhead } from '../util/tiering.js';

export { chainId, chainIds } from './chain-id.js';
export { applyLayer, type LayerResult } from './layer.js';

export const UNPACK_PID_LABEL = 'tsctr.io/unpack.pid';
export const UNCOMPRESSED_LABEL = 'containerd.io/uncompressed';

export interface UnpackProgress {
  index: number;
  layer: Descriptor;
  chainId: string;
  status: 'exists' | 'unpacking' | 'done';
  result?: LayerResult;
}

export interface UnpackOptions {
  root: string;
  namespace: string;
  snapshotter: SnapshotterName;
  layers: Descriptor[];
  diffIds: string[];
  sys: Sys;
  onProgress?: (e: UnpackProgress) => void;
  /** Told of each layer snapshot this unpack prepares, commits, or removes (the caller journals them; src/unpack does not). */
  onSnapshot?: OnSnapshot;
}

/** The snapshot changes an unpack makes, with the payloads the events journal has for them. */
export interface SnapshotEvents {
  '/snapshot/prepare': { key: string; parent: string; snapshotter: string };
  '/snapshot/commit': { key: string; name: string; snapshotter: string };
  '/snapshot/remove': { key: string; snapshotter: string };
}
export type OnSnapshot = <T extends keyof SnapshotEvents>(topic: T, payload: SnapshotEvents[T]) => Promise<void> | void;

export function blobPath(root: string, digest: string): string {
  const [alg, hex] = digest.split(':');
  if (!alg || !hex || !/^[a-z0-9]+$/.test(alg) || !/^[a-f0-9]+$/.test(hex)) throw new InvalidArgumentError(`invalid digest ${JSON.stringify(digest)}`);
  return join(root, 'content', 'blobs', alg, hex);
}

export async function unpackImage(opts: UnpackOptions): Promise<{ chainId: string; unpacked: number; reused: number }> {
  const { layers, diffIds, sys } = opts;
  if (layers.length !== diffIds.length) throw new InvalidArgumentError(`image has ${layers.length} layers but ${diffIds.length} diff_ids`);
  if (layers.length === 0) throw new InvalidArgumentError('image has no layers');
  const sn = getSnapshotter(opts.root, opts.snapshotter, sys, opts.namespace);
  await removeStaleExtracts(sn, opts.onSnapshot);
  const chain = chainIds(diffIds);
  let unpacked = 0;
  let reused = 0;
  for (let i = 0; i < layers.length; i++) {
    const base = { index: i, layer: layers[i], chainId: chain[i] };
    if (await isCommitted(sn, chain[i])) {
      reused++;
      opts.onProgress?.({ ...base, status: 'exists' });
      continue;
    }
    opts.onProgress?.({ ...base, status: 'unpacking' });
    bulkWorkAhead(); // TurboFan back on if the launcher turned it off (`run`): see src/util/tiering.ts
    const key = `extract-${process.pid}-${randomBytes(4).toString('hex')} ${chain[i]}`;
    await sn.prepare(key, chain[i - 1], { labels: { [UNPACK_PID_LABEL]: String(process.pid) } });
    let result: LayerResult;
    let journalled = false;
    try {
      await opts.onSnapshot?.('/snapshot/prepare', { key, parent: chain[i - 1] ?? '', snapshotter: opts.snapshotter });
      journalled = true;
      result = await applyLayer(blobPath(opts.root, layers[i].digest), await sn.layerDirs(key), sys, diffIds[i]);
      await sn.commit(chain[i], key, { labels: { [UNCOMPRESSED_LABEL]: diffIds[i] } });
    } catch (e) {
      await removeExtract(sn, key, journalled ? opts.onSnapshot : undefined);
      // Someone else committed the same layer meanwhile: theirs is as good as ours.
      if (isKind(e, 'AlreadyExists') && (await isCommitted(sn, chain[i]))) { reused++; continue; }
      throw wrap(e, `unpack layer ${i + 1}/${layers.length} ${layers[i].digest}`);
    }
    await opts.onSnapshot?.('/snapshot/commit', { key, name: chain[i], snapshotter: opts.snapshotter });
    unpacked++;
    opts.onProgress?.({ ...base, status: 'done', result });
  }
  return { chainId: chain[chain.length - 1], unpacked, reused };
}

/** Removes an extract snapshot, best effort; journals the removal through onSnapshot when it happened. */
export async function removeExtract(sn: Snapshotter, key: string, onSnapshot?: OnSnapshot): Promise<void> {
  try {
    await sn.remove(key);
  } catch {
    return;
  }
  await Promise.resolve(onSnapshot?.('/snapshot/remove', { key, snapshotter: sn.name })).catch(() => {});
}

async function isCommitted(sn: Snapshotter, key: string): Promise<boolean> {
  try {
    return (await sn.stat(key)).kind === 'committed';
  } catch (e) {
    if (isKind(e, 'NotFound')) return false;
    throw e;
  }
}

/** Extract snapshots whose unpacking process is gone (killed mid-layer), and half-built directories. */
async function removeStaleExtracts(sn: Snapshotter, onSnapshot?: OnSnapshot): Promise<void> {
  await sn.cleanup();
  for (const info of await sn.list()) {
    const pid = Number(info.labels[UNPACK_PID_LABEL]);
    if (info.kind !== 'active' || !pid || pidAlive(pid)) continue;
    await removeExtract(sn, info.name, onSnapshot);
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
