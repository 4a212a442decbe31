// The container's root filesystem: an active snapshot on top of the image's
// committed layers (unpacked first when they are not), prepared when the
// container is created and mounted into the task's bundle when it starts;
// or, with --rootfs, a directory the user gives.
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { InvalidArgumentError, NotFoundError } from '../errors.js';
import type { Sys } from '../sys/index.js';
import { phase } from '../util/phases.js';
import type { LoadedImage } from '../image/image.js';

export function checkRootfsDir(dir: string): void {
  let st;
  try { st = statSync(dir); } catch { throw new NotFoundError(`--rootfs "${dir}": no such directory`); }
  if (!st.isDirectory()) throw new InvalidArgumentError(`--rootfs "${dir}": not a directory`);
}

export interface SnapshotRequest {
  root: string;
  namespace: string;
  sys: Sys;
  image: string;
  snapshotter: string;
  key: string;
}

/**
 * Unpacks the image when needed and prepares the active snapshot `key` on it; returns its parent (the image's chain ID).
 * `loaded`: the image as the caller already loaded it (create does), so its index, manifest and config are not read twice.
 */
export async function prepareSnapshot(req: SnapshotRequest, loaded?: LoadedImage): Promise<string> {
  const { loadImage } = await import('../image/image.js');
  const { getSnapshotter } = await import('../snapshot/index.js');
  const { unpackImage } = await import('../unpack/index.js');
  const { journalSnapshots } = await import('./events/index.js');
  const image = loaded ?? await phase('image lookup', () => loadImage(req.root, req.namespace, req.image), req.image);
  const { chainId } = await phase('layers unpacked', () => unpackImage({ root: req.root, namespace: req.namespace, snapshotter: req.snapshotter as 'overlayfs' | 'native', layers: image.layers, diffIds: image.config.rootfs.diff_ids, sys: req.sys, onSnapshot: journalSnapshots(req.root, req.namespace) }), 'each layer checked');
  const sn = getSnapshotter(req.root, req.snapshotter, req.sys).withNamespace(req.namespace);
  await phase('snapshotter prepare', () => sn.prepare(req.key, chainId, { labels: { 'tsctr/container': req.key } }), req.key);
  return chainId;
}

/**
 * Mounts the active snapshot at target. A container whose create was killed
 * before its snapshot was prepared gets it prepared now.
 */
export async function mountSnapshot(req: SnapshotRequest & { target: string }): Promise<void> {
  const { getSnapshotter, mountAll, unmountAll } = await import('../snapshot/index.js');
  const sn = getSnapshotter(req.root, req.snapshotter, req.sys).withNamespace(req.namespace);
  let mounts;
  try {
    mounts = await sn.mounts(req.key);
  } catch (e) {
    if (!(e instanceof NotFoundError) && !/not found|does not exist/i.test((e as Error).message)) throw e;
    await prepareSnapshot(req);
    mounts = await sn.mounts(req.key);
  }
  mkdirSync(req.target, { recursive: true });
  try {
    mountAll(mounts, req.target, req.sys);
  } catch (e) {
    try { if (existsSync(req.target)) unmountAll(req.target, req.sys); } catch { /* nothing was mounted */ }
    throw e;
  }
}

/** Unmounts the rootfs when we mounted it. A rootfs that is not mounted any more is fine. */
export async function releaseRootfs(r: { path: string; mounted: boolean }, sys: Sys): Promise<void> {
  if (!r.mounted) return;
  const { unmountAll } = await import('../snapshot/index.js');
  if (existsSync(r.path)) unmountAll(r.path, sys);
  r.mounted = false;
}
