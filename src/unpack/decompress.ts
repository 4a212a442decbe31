// Layer blobs → the uncompressed tar stream. The format is sniffed from the
// first bytes (as containerd's compression.DecompressStream does), because
// media types lie: Docker gzip types carry plain tars now and then.
// Node 20's zlib has no zstd, so zstd goes through the `zstd -dc` binary.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { PassThrough, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { UnavailableError } from '../errors.js';

export type Compression = 'gzip' | 'zstd' | 'none';

export function sniffCompression(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return 'none';
}

export function sniffFile(path: string): Compression {
  const fd = fs.openSync(path, 'r');
  try {
    const head = Buffer.alloc(4);
    const n = fs.readSync(fd, head, 0, 4, 0);
    return sniffCompression(head.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
}

/** The uncompressed stream of a blob file. */
export function openLayer(path: string, highWaterMark = 1 << 20): { stream: Readable; compression: Compression } {
  const compression = sniffFile(path);
  if (compression === 'none') return { stream: fs.createReadStream(path, { highWaterMark }), compression };
  if (compression === 'gzip') {
    const gunzip = createGunzip({ chunkSize: 256 * 1024 });
    const src = fs.createReadStream(path, { highWaterMark });
    src.on('error', (e) => gunzip.destroy(e));
    return { stream: src.pipe(gunzip), compression };
  }
  // The child reads the blob itself (stdin is the file), so no JS runs between fork and exec.
  const fd = fs.openSync(path, 'r');
  const child = spawn('zstd', ['-dc', '--no-progress'], { stdio: [fd, 'pipe', 'pipe'] });
  fs.closeSync(fd);
  const out = new PassThrough({ highWaterMark });
  let err = '';
  child.stderr!.on('data', (d) => { err += d; });
  child.on('error', (e) => out.destroy(new UnavailableError(`zstd: ${e.message}`, { cause: e, hint: 'install zstd (apt-get install zstd) to unpack zstd layers' })));
  child.stdout!.pipe(out, { end: false });
  child.on('close', (code) => {
    if (code === 0) out.end();
    else out.destroy(new UnavailableError(`zstd -dc ${path}: exit ${code}: ${err.trim()}`));
  });
  out.on('close', () => { if (child.exitCode === null) child.kill(); });
  return { stream: out, compression };
}

/** The uncompressed stream of a blob arriving as a stream: sniffed from its first bytes. */
export async function decompressStream(src: Readable): Promise<{ stream: Readable; compression: Compression }> {
  let head = Buffer.alloc(0);
  const broken = () => src.errored ?? new Error('the stream was closed before it ended');
  for (;;) {
    if (head.length >= 4 || src.readableEnded) break;
    // Destroyed before or while we wait (a download that broke off): no event would come.
    if (src.destroyed) throw broken();
    const chunk = src.read() as Buffer | null;
    if (chunk) { head = Buffer.concat([head, chunk]); continue; }
    const ended = await new Promise<boolean>((resolve, reject) => {
      const off = () => { src.off('readable', onReadable); src.off('end', onEnd); src.off('error', onError); src.off('close', onClose); };
      const onReadable = () => { off(); resolve(false); };
      const onEnd = () => { off(); resolve(true); };
      const onError = (e: Error) => { off(); reject(e); };
      const onClose = () => { off(); if (src.readableEnded) resolve(true); else reject(broken()); };
      src.once('readable', onReadable).once('end', onEnd).once('error', onError).once('close', onClose);
    });
    if (ended) break;
  }
  if (head.length) src.unshift(head);
  const compression = sniffCompression(head);
  if (compression === 'none') return { stream: src, compression };
  if (compression === 'gzip') {
    const gunzip = createGunzip({ chunkSize: 256 * 1024 });
    src.on('error', (e) => gunzip.destroy(e));
    return { stream: src.pipe(gunzip), compression };
  }
  const child = spawn('zstd', ['-dc', '--no-progress'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const out = new PassThrough({ highWaterMark: 1 << 20 });
  let err = '';
  child.stderr!.on('data', (d) => { err += d; });
  child.on('error', (e) => out.destroy(new UnavailableError(`zstd: ${e.message}`, { cause: e, hint: 'install zstd (apt-get install zstd) to unpack zstd layers' })));
  src.on('error', (e) => { out.destroy(e); child.kill(); });
  child.stdin!.on('error', () => { /* zstd exited early: its exit status says why */ });
  src.pipe(child.stdin!);
  child.stdout!.pipe(out, { end: false });
  child.on('close', (code) => {
    if (code === 0) out.end();
    else out.destroy(new UnavailableError(`zstd -dc: exit ${code}: ${err.trim()}`));
  });
  out.on('close', () => { if (child.exitCode === null) child.kill(); });
  return { stream: out, compression };
}
