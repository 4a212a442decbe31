// Paths of the on-disk layout under --root. `content/` is an OCI image layout
// (image-spec image-layout.md), so skopeo and umoci can read it; tsctr's own
// bookkeeping (ingest, locks, metadata) lives beside the blobs.
import { closeSync, fsyncSync, openSync } from 'node:fs';
import { link, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError } from '../errors.js';
import { isValidDigest, MediaType, type Descriptor } from '../descriptor/index.js';

export function contentDir(root: string): string {
  return join(root, 'content');
}
export function blobsDir(root: string, algorithm = 'sha256'): string {
  return join(root, 'content', 'blobs', algorithm);
}
export function ingestDir(root: string): string {
  return join(root, 'content', 'ingest');
}
export function locksDir(root: string): string {
  return join(root, 'locks');
}
/** Shared by every writer (a lease); garbage collection takes it exclusively. */
export function gcLockPath(root: string): string {
  return join(root, 'locks', 'gc.lock');
}
/** Serialises changes to image metadata and content/index.json. */
export function metadataLockPath(root: string): string {
  return join(root, 'locks', 'metadata.lock');
}

export function blobPathOf(root: string, digest: string): string {
  if (!isValidDigest(digest)) throw new InvalidArgumentError(`invalid digest "${digest}"`, { hint: 'a digest looks like sha256:<64 hex digits>' });
  const [alg, hex] = digest.split(':');
  return join(root, 'content', 'blobs', alg!, hex!);
}

/**
 * Write a file through a temp file and rename, so readers see the old or the
 * new content, never half. `durable: false` skips the fsync before the rename,
 * for files whose loss in a crash costs nothing (an ingest's ref.json: a torn
 * one only means the ingest starts over).
 */
export async function writeFileAtomic(path: string, data: string | Buffer, mode = 0o644, durable = true): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  await writeFile(tmp, data, { mode, flush: durable });
  await rename(tmp, path);
}

export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export const OCI_LAYOUT = '{"imageLayoutVersion":"1.0.0"}';

/** Create content/ with its oci-layout file and an empty index.json when missing. */
export async function ensureLayout(root: string): Promise<void> {
  const dir = contentDir(root);
  await mkdir(blobsDir(root), { recursive: true });
  await mkdir(ingestDir(root), { recursive: true });
  await mkdir(locksDir(root), { recursive: true });
  await createIfMissing(join(dir, 'oci-layout'), OCI_LAYOUT);
  await createIfMissing(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] }, null, 2) + '\n');
}

/**
 * Create a complete file only if nothing is there: write a temp file and
 * link(2) it into place, which fails with EEXIST instead of replacing an
 * index.json another process has just filled.
 */
async function createIfMissing(path: string, data: string): Promise<void> {
  try {
    await readFile(path);
    return;
  } catch { /* missing */ }
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  await writeFile(tmp, data, { mode: 0o644, flush: true });
  try {
    await link(tmp, path);
  } catch (err) {
    if ((err as { code?: string }).code !== 'EEXIST') throw err;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

export interface LayoutIndex {
  schemaVersion: 2;
  mediaType: string;
  manifests: Descriptor[];
}

export async function readLayoutIndex(root: string): Promise<LayoutIndex> {
  return JSON.parse(await readFile(join(contentDir(root), 'index.json'), 'utf8')) as LayoutIndex;
}

export async function writeLayoutIndex(root: string, manifests: Descriptor[]): Promise<void> {
  const idx: LayoutIndex = { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests };
  await writeFileAtomic(join(contentDir(root), 'index.json'), JSON.stringify(idx, null, 2) + '\n');
}
