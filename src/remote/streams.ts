// Stream helpers for blob transfer: re-chunking uploads, and turning a body
// cut short into an error the caller can resume from.
import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { UnavailableError } from '../errors.js';

/** Re-chunks a stream into Buffers of `size` bytes (the last may be shorter). */
export async function* chunks(src: NodeJS.ReadableStream, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let n = 0;
  for await (const c of src as AsyncIterable<Buffer | string>) {
    let b = typeof c === 'string' ? Buffer.from(c) : c;
    while (n + b.length >= size) {
      const take = size - n;
      pending.push(b.subarray(0, take));
      yield Buffer.concat(pending);
      pending = [];
      n = 0;
      b = b.subarray(take);
    }
    if (b.length) { pending.push(b); n += b.length; }
  }
  if (n) yield Buffer.concat(pending);
}

/**
 * Passes a blob body through, turning a connection lost mid-body (reset, or
 * fewer bytes than Content-Length) into a stream error that says how far it
 * got, so the caller can resume with fetchBlob(ref, desc, offset + received).
 */
export function guardStream(res: IncomingMessage, url: string, start: number): NodeJS.ReadableStream {
  const out = new PassThrough();
  const expected = Number(res.headers['content-length']);
  let got = 0;
  let done = false;
  const lost = (cause?: unknown) => {
    if (done) return;
    done = true;
    const err = new UnavailableError(`GET ${url}: connection lost after ${start + got} bytes${cause instanceof Error ? ` (${cause.message})` : ''}`, {
      cause, hint: 'the download can resume from where it stopped',
    });
    (err as { code?: string }).code = 'ECONNRESET';
    (err as { received?: number }).received = start + got;
    out.destroy(err);
  };
  res.on('data', (c: Buffer) => { got += c.length; });
  res.on('error', lost);
  res.on('aborted', () => lost());
  res.on('end', () => {
    if (Number.isFinite(expected) && got < expected) lost(new Error(`body ended at ${got} of ${expected} bytes`));
    else done = true;
  });
  res.on('close', () => { if (!done && !res.complete) lost(); });
  res.pipe(out);
  out.on('close', () => { if (!res.destroyed && !done) res.destroy(); });
  return out;
}
