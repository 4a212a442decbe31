// Image manifests, indexes and configs: Docker schema 2 and OCI
// (image-spec manifest.md, image-index.md, config.md). Parsing checks the
// fields tsctr relies on, so a broken blob fails here with its digest named.
import { InvalidArgumentError } from '../errors.js';
import { isIndexType, isManifestType, MediaType, type Descriptor, type Platform } from '../descriptor/index.js';

export interface Manifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export interface Index {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

/** The parts of an image config (config.md) the runtime reads. */
export interface ImageConfig {
  architecture: string;
  os: string;
  variant?: string;
  created?: string;
  author?: string;
  config?: {
    User?: string;
    ExposedPorts?: Record<string, object>;
    Env?: string[];
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    Volumes?: Record<string, object>;
    WorkingDir?: string;
    Labels?: Record<string, string>;
    StopSignal?: string;
  };
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: { created?: string; created_by?: string; empty_layer?: boolean; comment?: string }[];
}

function fail(what: string, why: string): never {
  throw new InvalidArgumentError(`${what}: ${why}`, { hint: 'the image is malformed or not an image' });
}

function parseJson(buf: Buffer, what: string): Record<string, unknown> {
  try {
    const v = JSON.parse(buf.toString('utf8')) as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) fail(what, 'not a JSON object');
    return v as Record<string, unknown>;
  } catch (err) {
    if (err instanceof InvalidArgumentError) throw err;
    fail(what, 'not valid JSON');
  }
}

function checkDescriptor(d: unknown, what: string): Descriptor {
  const o = d as Descriptor;
  if (!o || typeof o.digest !== 'string' || typeof o.size !== 'number' || typeof o.mediaType !== 'string') fail(what, 'has a descriptor without mediaType, digest or size');
  return o;
}

/** The kind of a JSON blob by its media type, or by its fields when the type is missing (older OCI). */
export function kindOf(mediaType: string | undefined, obj?: Record<string, unknown>): 'index' | 'manifest' | 'other' {
  if (mediaType && isIndexType(mediaType)) return 'index';
  if (mediaType && isManifestType(mediaType)) return 'manifest';
  if (obj && Array.isArray(obj.manifests)) return 'index';
  if (obj && Array.isArray(obj.layers) && obj.config) return 'manifest';
  return 'other';
}

export function parseManifest(buf: Buffer, what = 'manifest'): Manifest {
  const o = parseJson(buf, what);
  if (o.schemaVersion !== 2) fail(what, `unsupported schemaVersion ${String(o.schemaVersion)} (only schema 2 images are supported)`);
  if (!Array.isArray(o.layers)) fail(what, 'has no layers');
  checkDescriptor(o.config, what);
  (o.layers as unknown[]).forEach((l) => checkDescriptor(l, what));
  return o as unknown as Manifest;
}

export function parseIndex(buf: Buffer, what = 'index'): Index {
  const o = parseJson(buf, what);
  if (o.schemaVersion !== 2) fail(what, `unsupported schemaVersion ${String(o.schemaVersion)}`);
  if (!Array.isArray(o.manifests)) fail(what, 'has no manifests');
  (o.manifests as unknown[]).forEach((m) => checkDescriptor(m, what));
  return o as unknown as Index;
}

export function parseConfig(buf: Buffer, what = 'image config'): ImageConfig {
  const o = parseJson(buf, what) as unknown as ImageConfig;
  if (!o.rootfs || !Array.isArray(o.rootfs.diff_ids)) fail(what, 'has no rootfs.diff_ids');
  return o;
}

/** Child descriptors of a blob: an index's manifests, a manifest's config and layers (and subject). */
export function childrenOf(desc: Descriptor, buf: Buffer): Descriptor[] {
  let obj: Record<string, unknown>;
  try {
    obj = JSON.parse(buf.toString('utf8')) as Record<string, unknown>;
  } catch {
    return [];
  }
  if (!obj || typeof obj !== 'object') return [];
  const kind = kindOf(desc.mediaType, obj);
  if (kind === 'index') return (obj.manifests as Descriptor[] | undefined) ?? [];
  if (kind === 'manifest') {
    const m = obj as unknown as Manifest;
    return [m.config, ...(m.layers ?? [])].filter(Boolean);
  }
  return [];
}

export function platformOfConfig(c: ImageConfig): Platform {
  return { os: c.os, architecture: c.architecture, ...(c.variant ? { variant: c.variant } : {}) };
}

export function isJsonType(mt: string): boolean {
  return isIndexType(mt) || isManifestType(mt) || mt === MediaType.OciConfig || mt === MediaType.DockerConfig || mt.endsWith('+json');
}
