// `containers create` (and the first half of `run`): the image's config and
// the flags become an OCI spec, recorded with the container; its snapshot is
// prepared (unpacked first when needed). Nothing runs and nothing is
// mounted: `tasks start` does that.
import { InvalidArgumentError } from '../errors.js';
import type { Sys } from '../sys/index.js';
import { listCapabilities } from '../oci/spec/index.js';
import { ownCapabilities } from '../oci/host-caps.js';
import { buildSpec, type ImageProcessConfig, type RunFlags } from './spec-builder.js';
import { applySeccompFlags } from './process-options.js';
import { parseNetworkFlags, type NetworkFlags } from './network/attach.js';
import { ContainerStore, type ContainerRecord } from './store.js';
import { recordEvent } from './events/index.js';
import { phase, setPhaseSink } from '../util/phases.js';
import { isoString } from '../util/iso-time.js';
import type { LoadedImage } from '../image/image.js';

export interface CreateRequest {
  root: string;
  state: string;
  namespace: string;
  sys: Sys;
  /** An image reference, or undefined with rootfsDir. */
  image?: string;
  rootfsDir?: string;
  snapshotter: string;
  flags: RunFlags;
  user?: string;
  seccomp: boolean;
  seccompProfile?: string;
  /** run --rm: the container goes when its task ends. */
  rm: boolean;
  noPivot: boolean;
  network?: NetworkFlags;
  labels?: Record<string, string>;
  trace?: (line: string) => void;
}

/** The image (undefined with --rootfs); loading it also checks the image exists. Loaded once: its snapshot is prepared from it too. */
async function imageOf(req: CreateRequest): Promise<LoadedImage | undefined> {
  if (req.rootfsDir) return undefined;
  if (!req.image) throw new InvalidArgumentError('name an image, or give --rootfs DIR');
  const { loadImage } = await import('../image/image.js');
  return phase('image lookup', () => loadImage(req.root, req.namespace, req.image!), req.image);
}

/** The record `create` writes, before any I/O but the image's config (pure apart from reading --seccomp-profile). */
export function containerRecordOf(req: CreateRequest, image: ImageProcessConfig | undefined): ContainerRecord {
  const net = parseNetworkFlags(req.network, req.flags);
  const spec = buildSpec(image, req.flags, listCapabilities(ownCapabilities().bounding));
  applySeccompFlags(spec, req.seccomp, req.seccompProfile);
  const user = req.user ?? (image?.User || undefined);
  return {
    id: req.flags.id, image: req.image, snapshotter: req.rootfsDir ? null : req.snapshotter, snapshotKey: req.rootfsDir ? null : req.flags.id,
    rootfsDir: req.rootfsDir, spec, createdAt: isoString(), removeOnExit: req.rm, labels: req.labels ?? {},
    ...(user ? { user } : {}), ...(net ? { network: net } : {}), ...(req.noPivot ? { noPivot: true } : {}),
  };
}

/**
 * Records the container (atomic under the namespace's lock: of two creates
 * of one id exactly one wins) and prepares its snapshot. A failure after
 * the record removes it again: nothing half-made is left.
 */
export async function createContainer(req: CreateRequest): Promise<ContainerRecord> {
  if (req.trace) setPhaseSink(req.trace);
  const store = new ContainerStore(req.root, req.state, req.namespace);
  const image = await imageOf(req);
  const record = phase('spec build', () => containerRecordOf(req, image?.config.config as ImageProcessConfig | undefined), 'image config and flags to an OCI spec');
  const { checkRootfsDir } = await import('./rootfs.js');
  if (req.rootfsDir) checkRootfsDir(req.rootfsDir);
  await phase('container record', () => store.create(record), record.id);
  await recordEvent(req.root, req.namespace, '/containers/create', { id: record.id, image: req.image ?? '', runtime: { name: 'tsctr' } });
  try {
    if (record.snapshotKey) {
      const { prepareSnapshot } = await import('./rootfs.js');
      const parent = await phase('snapshot prepare', () => prepareSnapshot({ root: req.root, namespace: req.namespace, sys: req.sys, image: req.image!, snapshotter: req.snapshotter, key: record.snapshotKey! }, image), `${req.snapshotter} ${record.snapshotKey}`);
      await recordEvent(req.root, req.namespace, '/snapshot/prepare', { key: record.snapshotKey, parent, snapshotter: req.snapshotter });
    }
  } catch (e) {
    store.remove(record.id);
    await recordEvent(req.root, req.namespace, '/containers/delete', { id: record.id });
    throw e;
  }
  return record;
}
