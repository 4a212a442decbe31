// The container's root filesystem: an active snapshot on top of the image's
// committed layers (unpacked first when they are not), mounted under the
// task's state directory; or, with --rootfs, a directory the user gives.
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { InvalidArgumentError, NotFoundError } from '../errors.js';
import type { ImageConfig } from '../image/manifest.js';
import type { Sys } from '../sys/index.js';

export interface PreparedRootfs {
  /** The host path the container's root will be. */
  path: string;
  imageConfig?: ImageConfig['config'];
  snapshotter: string | null;
  snapshotKey: string | null;
  /** The committed snapshot the active one is prepared on (the image's chain ID), once mounted. */
  parent?: string;
  /** Creates the active snapshot and mounts it at path; false when there was nothing to mount. */
  mount(): Promise<boolean>;
  /** Removes the active snapshot (run --rm, containers rm). */
  remove(): Promise<void>;
  mounted: boolean;
}

export interface RootfsRequest {
  root: string;
  namespace: string;
  image?: string;
  rootfsDir?: string;
  snapshotter: string;
  id: string;
  sys: Sys;
  target: string;
  dryRun: boolean;
}

export async function prepareRootfs(req: RootfsRequest): Promise<PreparedRootfs> {
  if (req.rootfsDir) {
    let st;
    try { st = statSync(req.rootfsDir); } catch { throw new NotFoundError(`--rootfs "${req.rootfsDir}": no such directory`); }
    if (!st.isDirectory()) throw new InvalidArgumentError(`--rootfs "${req.rootfsDir}": not a directory`);
    return { path: req.rootfsDir, snapshotter: null, snapshotKey: null, mount: async () => false, remove: async () => {}, mounted: false };
  }
  if (!req.image) throw new InvalidArgumentError('name an image, or give --rootfs DIR');
  const { loadImage } = await import('../image/image.js');
  const { getSnapshotter, mountAll, unmountAll } = await import('../snapshot/index.js');
  const { unpackImage } = await import('../unpack/index.js');
  const image = await loadImage(req.root, req.namespace, req.image);
  const sn = getSnapshotter(req.root, req.snapshotter, req.sys).withNamespace(req.namespace);
  const r: PreparedRootfs = {
    path: req.target,
    imageConfig: image.config.config,
    snapshotter: req.snapshotter,
    snapshotKey: req.id,
    mounted: false,
    async mount() {
      const { chainId } = await unpackImage({ root: req.root, namespace: req.namespace, snapshotter: req.snapshotter as 'overlayfs' | 'native', layers: image.layers, diffIds: image.config.rootfs.diff_ids, sys: req.sys });
      const mounts = await sn.prepare(req.id, chainId, { labels: { 'tsctr/container': req.id } });
      r.parent = chainId;
      try {
        mkdirSync(req.target, { recursive: true });
        mountAll(mounts, req.target, req.sys);
      } catch (e) {
        // The snapshot is ours (prepare made it): a failed mount leaves neither a mount nor it behind.
        try { if (existsSync(req.target)) unmountAll(req.target, req.sys); } catch { /* nothing was mounted */ }
        await sn.remove(req.id).catch(() => undefined);
        throw e;
      }
      r.mounted = true;
      return true;
    },
    async remove() {
      await sn.remove(req.id);
    },
  };
  return r;
}

/** Unmounts the rootfs when we mounted it. A rootfs that is not mounted any more is fine. */
export async function releaseRootfs(r: { path: string; mounted: boolean }, sys: Sys): Promise<void> {
  if (!r.mounted) return;
  const { unmountAll } = await import('../snapshot/index.js');
  if (existsSync(r.path)) unmountAll(r.path, sys);
  r.mounted = false;
}
