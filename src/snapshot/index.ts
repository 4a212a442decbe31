// Snapshotters: getSnapshotter(root, name, sys) → prepare/view/commit/remove/
// mounts/stat/list/usage; mountAll()/unmount() perform the Mount[] they return.
import { join } from 'node:path';
import { InvalidArgumentError } from '../errors.js';
import type { Sys } from '../sys/index.js';
import { NativeSnapshotter } from './native.js';
import { OverlaySnapshotter } from './overlay.js';
import { SNAPSHOTTERS, type Snapshotter, type SnapshotterName } from './types.js';

export type { Info, Kind, Mount, Snapshotter, SnapshotterName, SnapshotOptions, Usage } from './types.js';
export { SNAPSHOTTERS } from './types.js';
export { mountAll, unmount, unmountAll, mountCommands, compactOverlayData, PAGE_SIZE } from './mount.js';
export { SnapshotHasChildrenError } from './snapshotter.js';
export { overlayMounts } from './overlay.js';

export const DEFAULT_SNAPSHOTTER: SnapshotterName = 'overlayfs';

export function getSnapshotter(root: string, name: string, sys: Sys, namespace = 'default'): Snapshotter {
  const dir = join(root, 'snapshots', name);
  if (name === 'overlayfs') return new OverlaySnapshotter(dir, sys, namespace);
  if (name === 'native') return new NativeSnapshotter(dir, sys, namespace);
  throw new InvalidArgumentError(`unknown snapshotter ${JSON.stringify(name)}`, { hint: `use one of: ${SNAPSHOTTERS.join(', ')}` });
}
