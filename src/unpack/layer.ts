// One layer blob → one snapshot directory, checking the uncompressed digest
// (the diff ID) of the tar stream as it passes. The check can only finish at
// the end of the stream, so the caller applies into an active snapshot and
// commits it only when applyLayer returns.
import { createHash } from 'node:crypto';
import { DigestMismatchError } from '../errors.js';
import type { Sys } from '../sys/index.js';
import { LayerApplier, type ApplyStats } from './apply.js';
import type { Readable } from 'node:stream';
import { decompressStream, openLayer, type Compression } from './decompress.js';
import { FsView } from './fs-view.js';
import { TarReader } from './tar-reader.js';

export interface LayerResult extends ApplyStats {
  diffId: string;
  compression: Compression;
  /** Uncompressed bytes read (the tar stream). */
  tarBytes: number;
}

export async function applyLayer(blobPath: string, dirs: { upper: string; lowers: string[] }, sys: Sys, expectedDiffId?: string): Promise<LayerResult> {
  const { stream, compression } = openLayer(blobPath);
  return applyTarStream(stream, compression, `layer ${blobPath}`, dirs, sys, expectedDiffId);
}

/** A layer as its compressed bytes arrive (a download in progress): the same checks as applyLayer. */
export async function applyLayerStream(blob: Readable, name: string, dirs: { upper: string; lowers: string[] }, sys: Sys, expectedDiffId?: string): Promise<LayerResult> {
  const { stream, compression } = await decompressStream(blob);
  return applyTarStream(stream, compression, name, dirs, sys, expectedDiffId);
}

async function applyTarStream(stream: Readable, compression: Compression, name: string, dirs: { upper: string; lowers: string[] }, sys: Sys, expectedDiffId?: string): Promise<LayerResult> {
  const view = new FsView(dirs.upper, dirs.lowers, sys);
  const applier = new LayerApplier(view, sys);
  const reader = new TarReader(applier);
  const hash = createHash('sha256');
  let tarBytes = 0;
  // Entries are applied synchronously as they are parsed: measured here, writing
  // files through the thread pool several at a time was no faster (file creation
  // is bound by the filesystem), so the simple order is kept.
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      hash.update(chunk);
      tarBytes += chunk.length;
      if (reader.ended) continue; // padding after the end marker still counts for the digest
      reader.write(chunk);
    }
  } finally {
    stream.destroy();
  }
  reader.end();
  applier.done();
  const diffId = 'sha256:' + hash.digest('hex');
  if (expectedDiffId && diffId !== expectedDiffId) throw new DigestMismatchError(name, expectedDiffId, diffId, { hint: 'the blob does not match the image config (rootfs.diff_ids): pull the image again' });
  return { ...applier.stats, diffId, compression, tarBytes };
}
