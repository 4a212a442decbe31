// Test images: layers from crafted tar entries, stored as blobs under
// <root>/content (what unpackImage reads) or as an OCI image layout
// directory (what umoci and skopeo read).
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { MediaType, type Descriptor } from '../../../src/descriptor/index.js';
import { buildTar, type WriteEntry } from '../../../src/unpack/tar-writer.js';

export type Compress = 'gzip' | 'zstd' | 'none';

export interface BuiltLayer {
  descriptor: Descriptor;
  diffId: string;
  blob: Buffer;
}

const sha = (b: Buffer) => 'sha256:' + createHash('sha256').update(b).digest('hex');

export function buildLayer(entries: WriteEntry[], compress: Compress = 'gzip'): BuiltLayer {
  const tar = buildTar(entries);
  let blob = tar;
  let mediaType: string = MediaType.OciLayer;
  if (compress === 'gzip') { blob = gzipSync(tar); mediaType = MediaType.OciLayerGzip; }
  if (compress === 'zstd') { blob = execFileSync('zstd', ['-q', '-c', '-'], { input: tar, maxBuffer: 1 << 30 }); mediaType = MediaType.OciLayerZstd; }
  return { blob, diffId: sha(tar), descriptor: { mediaType, digest: sha(blob), size: blob.length } };
}

function putBlob(dir: string, b: Buffer): Descriptor['digest'] {
  const d = sha(b);
  const p = join(dir, 'blobs', 'sha256');
  fs.mkdirSync(p, { recursive: true });
  fs.writeFileSync(join(p, d.slice(7)), b);
  return d;
}

/** Blobs where unpackImage looks for them: <root>/content/blobs/sha256. */
export function storeLayers(root: string, layers: BuiltLayer[]): void {
  for (const l of layers) putBlob(join(root, 'content'), l.blob);
}

/** A complete OCI image layout with one tagged manifest. */
export function writeLayout(dir: string, tag: string, layers: BuiltLayer[]): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  for (const l of layers) putBlob(dir, l.blob);
  const config = Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', config: { Cmd: ['/bin/sh'] },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
  }));
  const configDesc = { mediaType: MediaType.OciConfig, digest: putBlob(dir, config), size: config.length };
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, config: configDesc, layers: layers.map((l) => l.descriptor) }));
  const mdesc = { mediaType: MediaType.OciManifest, digest: putBlob(dir, manifest), size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': tag } };
  fs.writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [mdesc] }));
}
