// The image module's public surface, for the CLI and the runtime.
import { ContentStore } from '../content/store.js';
import { ImageStore } from './store.js';

export { loadImage, findImage, resolveManifest, checkImage, imagePlatforms, imageSize, type LoadedImage, type CheckResult } from './image.js';
export { ImageStore, type ImageRecord, type NamespaceInfo } from './store.js';
export { pullImage, fetchBlob, type PullOptions, type PullResult, type ProgressEvent, type BlobKind, type BlobStatus } from './pull.js';
export { pushImage, type PushOptions, type PushResult } from './push.js';
export { importArchive, type ImportOptions, type Imported } from './import.js';
export { exportImages, type ExportOptions, type ExportResult } from './export.js';
export { parsePlatform, formatPlatform, hostPlatform, platformMatches, selectManifests } from './platform.js';
export type { Manifest, Index, ImageConfig } from './manifest.js';

export function openStores(root: string): { store: ContentStore; images: ImageStore } {
  return { store: new ContentStore(root), images: new ImageStore(root) };
}
