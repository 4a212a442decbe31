// A small generated OCI image, and raw distribution-API uploads of it, so pull
// tests need neither tsctr push nor the network. The layer is a real gzipped
// ustar archive; the config names its diff_id.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { gzipSync } from 'node:zlib';
import type { TestRegistry } from './registry.js';

export interface Blob { desc: { mediaType: string; digest: string; size: number; platform?: { architecture: string; os: string } }; body: Buffer }
export interface TestImage { manifest: Blob; config: Blob; layers: Blob[]; index?: Blob }

const sha256 = (b: Buffer) => 'sha256:' + createHash('sha256').update(b).digest('hex');
const blob = (mediaType: string, body: Buffer): Blob => ({ desc: { mediaType, digest: sha256(body), size: body.length }, body });

/** A ustar archive of regular files (enough for a test layer). */
export function makeTar(files: Record<string, string | Buffer>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, content] of Object.entries(files)) {
    const data = Buffer.isBuffer(content) ? content : Buffer.from(content);
    const h = Buffer.alloc(512);
    const put = (s: string, off: number, len: number) => h.write(s, off, len, 'utf8');
    put(name, 0, 100);
    put('0000644\0', 100, 8);
    put('0000000\0', 108, 8);
    put('0000000\0', 116, 8);
    put(data.length.toString(8).padStart(11, '0') + '\0', 124, 12);
    put('00000000000\0', 136, 12);
    put('        ', 148, 8);
    put('0', 156, 1);
    put('ustar\0', 257, 6);
    put('00', 263, 2);
    let sum = 0;
    for (const b of h) sum += b;
    put(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
    parts.push(h, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** An OCI image with one layer; `withIndex` also wraps it in an image index for linux/amd64. */
export function makeTestImage(o: { files?: Record<string, string | Buffer>; withIndex?: boolean; seed?: string } = {}): TestImage {
  const tar = makeTar(o.files ?? { 'hello.txt': `hello from tsctr ${o.seed ?? ''}\n` });
  const layer = blob('application/vnd.oci.image.layer.v1.tar+gzip', gzipSync(tar));
  const config = blob('application/vnd.oci.image.config.v1+json', Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', config: { Cmd: ['/bin/sh'] }, rootfs: { type: 'layers', diff_ids: [sha256(tar)] },
  })));
  const manifest = blob('application/vnd.oci.image.manifest.v1+json', Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: config.desc, layers: [layer.desc],
  })));
  const img: TestImage = { manifest, config, layers: [layer] };
  if (o.withIndex) {
    img.index = blob('application/vnd.oci.image.index.v1+json', Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [{ ...manifest.desc, platform: { architecture: 'amd64', os: 'linux' } }],
    })));
  }
  return img;
}

interface Raw { status: number; headers: IncomingMessage['headers']; body: Buffer }

/** One request to the test registry with its credentials (Basic, or a push token from its token server). */
export async function rawRequest(reg: TestRegistry, method: string, path: string, o: { headers?: Record<string, string>; body?: Buffer; repo?: string } = {}): Promise<Raw> {
  const headers: Record<string, string> = { ...(o.headers ?? {}) };
  if (reg.mode === 'basic') headers.authorization = 'Basic ' + Buffer.from(`${reg.user}:${reg.password}`).toString('base64');
  if (reg.mode === 'token') {
    const scope = o.repo ? `repository:${o.repo}:pull,push` : '';
    const t = await send(`${reg.tokenServer!.url}?service=tsctr-test-registry${scope ? `&scope=${encodeURIComponent(scope)}` : ''}`, 'GET', {
      authorization: 'Basic ' + Buffer.from(`${reg.user}:${reg.password}`).toString('base64'),
    }, undefined, undefined);
    headers.authorization = 'Bearer ' + (JSON.parse(t.body.toString()) as { token: string }).token;
  }
  const url = path.startsWith('http') ? path : reg.url + path;
  return send(url, method, headers, o.body, reg.caFile);
}

function send(url: string, method: string, headers: Record<string, string>, body: Buffer | undefined, caFile: string | undefined): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const mod = url.startsWith('https:') ? https : http;
    const req = mod.request(url, { method, headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}) }, ca: caFile ? readFileSync(caFile) : undefined, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function uploadBlob(reg: TestRegistry, repo: string, b: Blob): Promise<void> {
  const post = await rawRequest(reg, 'POST', `/v2/${repo}/blobs/uploads/`, { repo });
  if (post.status !== 202) throw new Error(`POST upload for ${repo}: ${post.status} ${post.body}`);
  const loc = new URL(String(post.headers.location), reg.url);
  loc.searchParams.set('digest', b.desc.digest);
  const put = await rawRequest(reg, 'PUT', loc.toString(), { repo, body: b.body, headers: { 'content-type': 'application/octet-stream' } });
  if (put.status !== 201) throw new Error(`PUT blob ${b.desc.digest}: ${put.status} ${put.body}`);
}

async function putManifest(reg: TestRegistry, repo: string, ref: string, b: Blob): Promise<void> {
  const r = await rawRequest(reg, 'PUT', `/v2/${repo}/manifests/${ref}`, { repo, body: b.body, headers: { 'content-type': b.desc.mediaType } });
  if (r.status !== 201) throw new Error(`PUT manifest ${repo}:${ref}: ${r.status} ${r.body}`);
}

/** Pushes an image (blobs, manifest, optional index) under repo:tag without tsctr. */
export async function seedImage(reg: TestRegistry, repo: string, tag: string, img: TestImage = makeTestImage()): Promise<TestImage> {
  for (const b of [img.config, ...img.layers]) await uploadBlob(reg, repo, b);
  if (img.index) {
    await putManifest(reg, repo, img.manifest.desc.digest, img.manifest);
    await putManifest(reg, repo, tag, img.index);
  } else {
    await putManifest(reg, repo, tag, img.manifest);
  }
  return img;
}
