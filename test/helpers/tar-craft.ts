// Hand-made tar headers for malicious-input tests: any type flag, any size
// field (also ones no writer would produce), a valid checksum.
import { encodeEntry } from '../../src/unpack/tar-writer.js';

export interface CraftHeader {
  name?: string;
  /** Type flag: 'x', 'g', 'L', 'K', '0'... */
  flag: string;
  /** A size, written as octal; or the raw 12 bytes of the size field. */
  size?: number;
  sizeField?: Buffer | string;
}

export function craftHeader(h: CraftHeader): Buffer {
  const [b] = encodeEntry({ name: h.name ?? 'crafted', type: 'file' });
  b.write(h.flag, 156, 1, 'latin1');
  if (h.sizeField !== undefined) {
    b.fill(0, 124, 136);
    Buffer.from(h.sizeField as string, typeof h.sizeField === 'string' ? 'latin1' : undefined).copy(b, 124, 0, 12);
  } else if (h.size !== undefined) {
    b.write(h.size.toString(8).padStart(11, '0') + '\0', 124, 12, 'latin1');
  }
  return withChecksum(b);
}

export function withChecksum(b: Buffer): Buffer {
  b.fill(32, 148, 156);
  let sum = 0;
  for (const x of b) sum += x;
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  return b;
}

/** data padded to the next 512-byte block. */
export function block(data: Buffer): Buffer {
  return Buffer.concat([data, Buffer.alloc((512 - (data.length % 512)) % 512)]);
}

/** One PAX record with a correct length prefix. */
export function paxRecord(key: string, value: string | Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), Buffer.from(value), Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length > len) len++;
  return Buffer.concat([Buffer.from(String(len)), body]);
}
