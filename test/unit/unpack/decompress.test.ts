// decompressStream reads a stream's first bytes to tell gzip, zstd and plain
// tar apart. A download that breaks off destroys that stream: the sniff must
// fail then, not wait forever for an event a destroyed stream never sends.
import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decompressStream } from '../../../src/unpack/decompress.js';

async function rejects(p: Promise<unknown>, re: RegExp): Promise<void> {
  try {
    await p;
  } catch (e) {
    assert.match(String((e as Error).message), re);
    return;
  }
  assert.unreachable('it resolved');
}

test('a stream destroyed with an error before its first bytes: that error', async () => {
  const s = new PassThrough();
  s.on('error', () => {});
  s.destroy(new Error('connection lost after 0 bytes'));
  await rejects(decompressStream(s), /connection lost/);
});

test('a stream destroyed while the sniff waits: that error', async () => {
  const s = new PassThrough();
  s.on('error', () => {});
  const p = decompressStream(s);
  s.write(Buffer.from([0x1f])); // one byte: not enough to tell
  setImmediate(() => s.destroy(new Error('connection lost after 1 bytes')));
  await rejects(p, /connection lost/);
});

test('a stream destroyed without an error while the sniff waits: it was closed early', async () => {
  const s = new PassThrough();
  const p = decompressStream(s);
  setImmediate(() => s.destroy());
  await rejects(p, /closed before it ended/);
});

test('gzip bytes arriving in pieces are sniffed and decompressed', async () => {
  const s = new PassThrough();
  const gz = gzipSync(Buffer.from('hello tar'));
  const p = decompressStream(s);
  s.write(gz.subarray(0, 1));
  setImmediate(() => { s.write(gz.subarray(1, 3)); s.end(gz.subarray(3)); });
  const { stream, compression } = await p;
  assert.is(compression, 'gzip');
  const out: Buffer[] = [];
  for await (const c of stream) out.push(c as Buffer);
  assert.is(Buffer.concat(out).toString(), 'hello tar');
});

test('an empty stream is plain (and empty)', async () => {
  const s = new PassThrough();
  s.end();
  const { compression } = await decompressStream(s);
  assert.is(compression, 'none');
});

test.run();
