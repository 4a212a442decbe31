// Reading an image out of the store: name → record → (index →) manifest →
// config and layers, for this host's platform unless told otherwise.
import { DigestMismatchError, NotFoundError } from '../errors.js';
import { ContentStore } from '../content/store.js';
import { parseReference } from '../reference/index.js';
import { isIndexType, type Descriptor, type Platform } from '../descriptor/index.js';
import { parseConfig, parseIndex, parseManifest, platformOfConfig, type ImageConfig, type Manifest } from './manifest.js';
import { formatPlatform, hostPlatform, isAttestation, selectManifests } from './platform.js';
import { ImageStore, type ImageRecord } from './store.js';

export interface LoadedImage {
  name: string;
  record: ImageRecord;
  /** What the name points at: an index or a manifest. */
  target: Descriptor;
  /** The platform manifest chosen from the target. */
  manifestDescriptor: Descriptor;
  manifest: Manifest;
  configDescriptor: Descriptor;
  config: ImageConfig;
  /** Layer descriptors, lowest first; config.rootfs.diff_ids[i] is layers[i] uncompressed. */
  layers: Descriptor[];
  platform: Platform;
}

/** Find an image by the name as given, else by its normalised form (`busybox` → docker.io/library/busybox:latest). */
export async function findImage(images: ImageStore, ns: string, name: string): Promise<ImageRecord> {
  const exact = await images.find(ns, name);
  if (exact) return exact;
  let normal: string | undefined;
  try {
    normal = parseReference(name).toString();
  } catch {
    normal = undefined;
  }
  if (normal && normal !== name) {
    const r = await images.find(ns, normal);
    if (r) return r;
  }
  throw new NotFoundError(`image "${name}" not found in namespace "${ns}"`, { hint: 'see `tsctr images ls`, or pull it with `tsctr images pull`' });
}

/**
 * The manifest for `platform` (default: this host) under `target`, reading
 * only what is in the store. Throws NotFound naming the platforms there are.
 */
export async function resolveManifest(store: ContentStore, target: Descriptor, platform: Platform = hostPlatform(), what = target.digest): Promise<Descriptor> {
  if (!isIndexType(target.mediaType)) return target;
  const index = parseIndex(await store.readBlob(target.digest), `index ${target.digest}`);
  const present: Descriptor[] = [];
  for (const m of index.manifests) if (await store.has(m.digest)) present.push(m);
  const [pick] = selectManifests(present, [platform]);
  if (pick) return isIndexType(pick.mediaType) ? resolveManifest(store, pick, platform, what) : pick;
  const avail = index.manifests.filter((m) => !isAttestation(m) && m.platform).map((m) => formatPlatform(m.platform!));
  const pulled = present.filter((m) => !isAttestation(m) && m.platform).map((m) => formatPlatform(m.platform!));
  const onRemote = avail.some((p) => p === formatPlatform(platform));
  throw new NotFoundError(`${what}: no manifest for ${formatPlatform(platform)} in the store (image has ${avail.join(', ') || 'none'}; pulled ${pulled.join(', ') || 'none'})`, {
    hint: onRemote ? `pull it with --platform ${formatPlatform(platform)}` : 'this image was not built for this platform',
  });
}

export async function loadImage(root: string, namespace: string, name: string, opts: { platform?: Platform; store?: ContentStore; images?: ImageStore } = {}): Promise<LoadedImage> {
  const store = opts.store ?? new ContentStore(root);
  const images = opts.images ?? new ImageStore(root);
  const record = await findImage(images, namespace, name);
  const manifestDescriptor = await resolveManifest(store, record.target, opts.platform, record.name);
  const manifest = parseManifest(await store.readBlob(manifestDescriptor.digest), `manifest ${manifestDescriptor.digest}`);
  const config = parseConfig(await store.readBlob(manifest.config.digest), `config ${manifest.config.digest}`);
  return {
    name: record.name,
    record,
    target: record.target,
    manifestDescriptor,
    manifest,
    configDescriptor: manifest.config,
    config,
    layers: manifest.layers,
    platform: platformOfConfig(config),
  };
}

/** Platforms an image is for: its index entries, or its config's. */
export async function imagePlatforms(store: ContentStore, target: Descriptor): Promise<Platform[]> {
  try {
    if (isIndexType(target.mediaType)) {
      const index = parseIndex(await store.readBlob(target.digest));
      return index.manifests.filter((m) => m.platform && !isAttestation(m)).map((m) => m.platform!);
    }
    const m = parseManifest(await store.readBlob(target.digest));
    return [platformOfConfig(parseConfig(await store.readBlob(m.config.digest)))];
  } catch {
    return target.platform ? [target.platform] : [];
  }
}

export interface CheckResult {
  name: string;
  mediaType: string;
  digest: string;
  /**
   * complete: every blob for the checked platforms is present (and, with
   * verify, hashes to its digest); corrupt: a blob has the wrong size or
   * (verify) the wrong digest; missing: the target itself is not there.
   */
  status: 'complete' | 'incomplete' | 'missing' | 'corrupt';
  present: number;
  required: number;
  presentSize: number;
  totalSize: number;
  missing: string[];
  /** Blobs whose bytes are not what their descriptor says, with what was found. */
  corrupt: { digest: string; found: string }[];
  verified: boolean;
}

export interface CheckOptions {
  /** Re-hash every present blob (`images check --verify`). */
  verify?: boolean;
  /** Shared between the checks of one command, so a blob several images use is hashed once. */
  hashes?: Map<string, Promise<string | undefined>>;
}

/**
 * Are the blobs of `record` for the platforms there (default: this host, or
 * every manifest that was pulled when `all`)? Counts target, manifests,
 * config and layers, as `ctr images check` does. A blob of the wrong size is
 * corrupt; with `verify` every present blob is re-hashed too.
 */
export async function checkImage(store: ContentStore, record: ImageRecord, platforms: Platform[] | 'all' | 'default' = 'default', opts: CheckOptions = {}): Promise<CheckResult> {
  const res: CheckResult = { name: record.name, mediaType: record.target.mediaType, digest: record.target.digest, status: 'complete', present: 0, required: 0, presentSize: 0, totalSize: 0, missing: [], corrupt: [], verified: !!opts.verify };
  const hashes = opts.hashes ?? new Map<string, Promise<string | undefined>>();
  /** 'ok', 'missing' or 'corrupt' for one blob. */
  const examine = async (d: Descriptor): Promise<'ok' | 'missing' | 'corrupt'> => {
    const info = await store.info(d.digest);
    if (!info) return 'missing';
    if (info.size !== d.size) {
      res.corrupt.push({ digest: d.digest, found: `${info.size} bytes, expected ${d.size}` });
      return 'corrupt';
    }
    if (!opts.verify) return 'ok';
    let h = hashes.get(d.digest);
    if (!h) hashes.set(d.digest, (h = store.hashBlob(d.digest)));
    const actual = await h;
    if (actual === undefined) return 'missing';
    if (actual !== d.digest) {
      res.corrupt.push({ digest: d.digest, found: actual });
      return 'corrupt';
    }
    return 'ok';
  };
  // Counts config and layers, as ctr does (a manifest of one layer is "2/2");
  // a missing index or manifest counts as one missing blob.
  const count = async (d: Descriptor, counted = true): Promise<boolean> => {
    const state = await examine(d);
    const ok = state === 'ok';
    if (counted || !ok) {
      res.required++;
      res.totalSize += d.size;
    }
    if (ok && counted) {
      res.present++;
      res.presentSize += d.size;
    }
    if (state === 'missing') res.missing.push(d.digest);
    return ok;
  };
  /** A small JSON blob (index, manifest) read and parsed; undefined when its bytes are not its digest's. */
  const read = async <T>(d: Descriptor, parse: (b: Buffer) => T): Promise<T | undefined> => {
    try {
      return parse(await store.readBlob(d.digest));
    } catch (err) {
      if (!(err instanceof DigestMismatchError)) throw err;
      if (!res.corrupt.some((c) => c.digest === d.digest)) res.corrupt.push({ digest: d.digest, found: err.actual });
      return undefined;
    }
  };
  const walkManifest = async (md: Descriptor): Promise<void> => {
    if (!(await count(md, false))) return;
    const m = await read(md, (b) => parseManifest(b));
    if (!m) return;
    for (const d of [m.config, ...m.layers]) await count(d);
  };
  if (!(await store.has(record.target.digest))) {
    res.status = 'missing';
    res.required = 1;
    res.missing.push(record.target.digest);
    return res;
  }
  if (isIndexType(record.target.mediaType)) {
    const index = await read(record.target, (b) => parseIndex(b));
    if (!index) {
      res.required++;
    } else {
      let chosen: Descriptor[] = [];
      if (platforms === 'all') {
        for (const m of index.manifests) if (!isAttestation(m) && (await store.has(m.digest))) chosen.push(m);
      } else chosen = selectManifests(index.manifests, platforms === 'default' ? [hostPlatform()] : platforms);
      if (chosen.length === 0) res.required++; // nothing for this platform: cannot be complete
      for (const m of chosen) await walkManifest(m);
    }
  } else {
    await walkManifest(record.target);
  }
  res.status = res.corrupt.length ? 'corrupt' : res.present === res.required ? 'complete' : 'incomplete';
  return res;
}

/** An image's size for this host: config and layers (what `images ls` shows). */
export async function imageSize(store: ContentStore, target: Descriptor): Promise<number> {
  return (await checkImage(store, { name: '', target, createdAt: '', updatedAt: '', labels: {} })).totalSize;
}
