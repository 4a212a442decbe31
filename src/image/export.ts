// `images export`: an OCI image layout in a tar (oci-layout, index.json,
// blobs/sha256/*) with a docker-style manifest.json beside it, the shape
// `ctr images export` writes, so ctr import and docker load both accept it.
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { FailedPreconditionError } from '../errors.js';
import type { ContentStore } from '../content/store.js';
import { OCI_LAYOUT } from '../content/layout.js';
import { parseReference } from '../reference/index.js';
import { isIndexType, MediaType, type Descriptor, type Platform } from '../descriptor/index.js';
import { findImage } from './image.js';
import { parseIndex, parseManifest } from './manifest.js';
import { hostPlatform, isAttestation, selectManifests } from './platform.js';
import type { ImageStore } from './store.js';
import { TarOut } from './tar-out.js';

export interface ExportOptions {
  store: ContentStore;
  images: ImageStore;
  namespace: string;
  names: string[];
  file: string;
  /** Default: this host's platform; 'all': every manifest that is in the store. */
  platforms?: Platform[] | 'all';
  /** Leave out manifest.json (docker load compatibility). */
  skipDockerManifest?: boolean;
}

export interface ExportResult {
  images: { name: string; digest: string }[];
  blobs: number;
  size: number;
}

export async function exportImages(opts: ExportOptions): Promise<ExportResult> {
  const { store } = opts;
  const blobs = new Map<string, Descriptor>();
  const entries: Descriptor[] = [];
  const dockerManifest: { Config: string; RepoTags: string[]; Layers: string[] }[] = [];
  const result: ExportResult = { images: [], blobs: 0, size: 0 };
  const hex = (d: string) => `blobs/sha256/${d.slice('sha256:'.length)}`;

  const need = async (d: Descriptor, image: string): Promise<void> => {
    if (!(await store.has(d.digest))) throw new FailedPreconditionError(`image "${image}": content ${d.digest} is not in the store`, { hint: 'pull the image again (or export with --platform for what was pulled)' });
    blobs.set(d.digest, d);
  };
  const addManifest = async (md: Descriptor, name: string, tag: string | undefined): Promise<void> => {
    await need(md, name);
    const m = parseManifest(await store.readBlob(md.digest));
    for (const d of [m.config, ...m.layers]) await need(d, name);
    if (tag && !dockerManifest.some((x) => x.RepoTags.includes(tag))) dockerManifest.push({ Config: hex(m.config.digest), RepoTags: [tag], Layers: m.layers.map((l) => hex(l.digest)) });
  };

  for (const n of opts.names) {
    const rec = await findImage(opts.images, opts.namespace, n);
    let tag: string | undefined;
    let refName: string | undefined;
    try {
      const ref = parseReference(rec.name);
      tag = ref.tag ? ref.familiar() : undefined;
      refName = ref.tag;
    } catch { /* a name that is not a reference: no docker tag */ }
    await need(rec.target, rec.name);
    if (isIndexType(rec.target.mediaType)) {
      const idx = parseIndex(await store.readBlob(rec.target.digest));
      let chosen: Descriptor[];
      if (opts.platforms === 'all') {
        chosen = [];
        for (const m of idx.manifests) if (!isAttestation(m) && (await store.has(m.digest))) chosen.push(m);
      } else chosen = selectManifests(idx.manifests, opts.platforms ?? [hostPlatform()]);
      if (chosen.length === 0) throw new FailedPreconditionError(`image "${rec.name}": no manifest for the requested platform`, { hint: 'use --platform or --all-platforms' });
      // docker's manifest.json names one manifest per tag: the first chosen.
      for (const [i, m] of chosen.entries()) await addManifest(m, rec.name, i === 0 ? tag : undefined);
    } else {
      await addManifest(rec.target, rec.name, tag);
    }
    const annotations: Record<string, string> = { 'io.containerd.image.name': rec.name };
    if (refName) annotations['org.opencontainers.image.ref.name'] = refName;
    entries.push({ mediaType: rec.target.mediaType, digest: rec.target.digest, size: rec.target.size, annotations });
    result.images.push({ name: rec.name, digest: rec.target.digest });
  }

  const tmp = `${opts.file}.tmp-${process.pid}`;
  const out = createWriteStream(tmp);
  const tar = new TarOut(out);
  try {
    await tar.file('oci-layout', Buffer.from(OCI_LAYOUT));
    await tar.dir('blobs');
    await tar.dir('blobs/sha256');
    for (const d of [...blobs.values()].sort((a, b) => a.digest.localeCompare(b.digest))) {
      await tar.fileFrom(hex(d.digest), store.blobPath(d.digest), d.size);
      result.blobs++;
      result.size += d.size;
    }
    await tar.file('index.json', Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: entries })));
    if (!opts.skipDockerManifest && dockerManifest.length > 0) await tar.file('manifest.json', Buffer.from(JSON.stringify(dockerManifest)));
    await tar.end();
    await rename(tmp, opts.file);
  } catch (err) {
    out.destroy();
    await rm(tmp, { force: true });
    throw err;
  }
  return result;
}
