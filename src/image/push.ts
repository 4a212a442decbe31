// Push: upload config and layers the registry lacks (a few at a time), then
// the platform manifests by digest, then the top manifest or index to the
// tag, so a reader never sees a tag whose content is not there yet.
import type { ContentStore } from '../content/store.js';
import { parseReference, Reference } from '../reference/index.js';
import type { RegistryClient } from '../remote/index.js';
import { isIndexType, type Descriptor, type Platform } from '../descriptor/index.js';
import { findImage } from './image.js';
import { mapLimit } from './limit.js';
import { parseIndex, parseManifest } from './manifest.js';
import { formatPlatform, hostPlatform, isAttestation, selectManifests } from './platform.js';
import type { ImageStore } from './store.js';
import type { BlobKind, ProgressEvent } from './pull.js';
import { FailedPreconditionError } from '../errors.js';

export interface PushOptions {
  store: ContentStore;
  images: ImageStore;
  namespace: string;
  /** Where to push. */
  ref: string;
  /** The local image (default: ref). */
  local?: string;
  client: RegistryClient;
  /** Push only these platforms' manifests (the index is then left out). */
  platforms?: Platform[];
  maxConcurrent?: number;
  onProgress?: (e: ProgressEvent) => void;
  log?: (line: string) => void;
}

export interface PushResult {
  ref: string;
  target: Descriptor;
  uploaded: number;
  existed: number;
}

export async function pushImage(opts: PushOptions): Promise<PushResult> {
  const ref = parseReference(opts.ref);
  const emit = opts.onProgress ?? (() => {});
  const rec = await findImage(opts.images, opts.namespace, opts.local ?? opts.ref);
  const { store } = opts;
  let target = rec.target;
  let manifests: Descriptor[];
  if (isIndexType(target.mediaType)) {
    const idx = parseIndex(await store.readBlob(target.digest));
    const present: Descriptor[] = [];
    for (const m of idx.manifests) if (await store.has(m.digest)) present.push(m);
    const complete = present.length === idx.manifests.length;
    if (!opts.platforms && complete) {
      manifests = idx.manifests;
    } else {
      // A registry refuses an index whose manifests it does not have: push one platform's manifest instead.
      const want = opts.platforms ?? [hostPlatform()];
      const chosen = selectManifests(present, want);
      if (chosen.length !== 1) throw new FailedPreconditionError(`${rec.name}: ${chosen.length === 0 ? 'no manifest for ' + want.map(formatPlatform).join(', ') + ' in the store' : 'several platforms chosen, but only some of the index was pulled'}`, { hint: 'pull it with --all-platforms to push the whole index, or name one --platform' });
      target = chosen[0]!;
      manifests = [target];
      opts.log?.(`${rec.name}: pushing the ${formatPlatform(target.platform ?? hostPlatform())} manifest only (${complete ? 'as asked' : 'the index is not complete locally'})`);
    }
  } else {
    manifests = [target];
  }

  const blobs = new Map<string, { d: Descriptor; kind: BlobKind }>();
  const bodies = new Map<string, Buffer>();
  for (const md of manifests) {
    if (isAttestation(md) && !(await store.has(md.digest))) continue;
    const body = await store.readBlob(md.digest);
    bodies.set(md.digest, body);
    const m = parseManifest(body, `manifest ${md.digest}`);
    for (const [i, d] of [m.config, ...m.layers].entries()) if (!blobs.has(d.digest)) blobs.set(d.digest, { d, kind: i === 0 ? 'config' : 'layer' });
  }
  const result: PushResult = { ref: ref.toString(), target, uploaded: 0, existed: 0 };
  const list = [...blobs.values()];
  for (const b of list) emit({ digest: b.d.digest, kind: b.kind, status: 'waiting', offset: 0, total: b.d.size });
  const pushOne = async ({ d, kind }: { d: Descriptor; kind: BlobKind }) => {
    if (!(await store.has(d.digest))) throw new FailedPreconditionError(`${rec.name}: content ${d.digest} is missing locally`, { hint: 'pull the image again before pushing' });
    emit({ digest: d.digest, kind, status: 'downloading', offset: 0, total: d.size });
    const r = await opts.client.pushBlob(ref, d, () => store.openBlob(d.digest));
    if (r === 'exists') result.existed++;
    else result.uploaded++;
    emit({ digest: d.digest, kind, status: r === 'exists' ? 'exists' : 'done', offset: d.size, total: d.size });
  };
  await mapLimit(list, opts.maxConcurrent ?? 3, pushOne);
  const byDigest = new Reference(ref.domain, ref.path);
  for (const md of manifests) {
    if (md.digest === target.digest || !bodies.has(md.digest)) continue;
    await opts.client.pushManifest(byDigest, md, bodies.get(md.digest)!);
    emit({ digest: md.digest, kind: 'manifest', status: 'done', offset: md.size, total: md.size });
  }
  const top = bodies.get(target.digest) ?? (await store.readBlob(target.digest));
  await opts.client.pushManifest(ref, target, top);
  emit({ digest: target.digest, kind: isIndexType(target.mediaType) ? 'index' : 'manifest', status: 'done', offset: target.size, total: target.size });
  return result;
}
