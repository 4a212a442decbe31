// A multi-layer test image (tens of MB) for kill/concurrency tests and the
// pull benchmark: each layer a gzipped tar of pseudo-random bytes (which
// gzip cannot shrink, so the wire size is the layer size).
import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { makeTar, type Blob, type TestImage } from '../../helpers/registry-image.js';

const sha256 = (b: Buffer) => 'sha256:' + createHash('sha256').update(b).digest('hex');
const blob = (mediaType: string, body: Buffer): Blob => ({ desc: { mediaType, digest: sha256(body), size: body.length }, body });

export function makeLayeredImage(o: { layers?: number; layerBytes?: number } = {}): TestImage {
  const n = o.layers ?? 4;
  const size = o.layerBytes ?? 8 << 20;
  const layers: Blob[] = [];
  const diffIds: string[] = [];
  for (let i = 0; i < n; i++) {
    const tar = makeTar({ [`data/layer-${i}.bin`]: randomBytes(size) });
    diffIds.push(sha256(tar));
    layers.push(blob('application/vnd.oci.image.layer.v1.tar+gzip', gzipSync(tar, { level: 1 })));
  }
  const config = blob('application/vnd.oci.image.config.v1+json', Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['/bin/sh'] }, rootfs: { type: 'layers', diff_ids: diffIds } })));
  const manifest = blob('application/vnd.oci.image.manifest.v1+json', Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: config.desc, layers: layers.map((l) => l.desc) })));
  return { manifest, config, layers };
}
