// A synchronous push parser for tar streams (POSIX ustar, PAX and GNU long
// names). node-tar's parser drops SCHILY.xattr.* records and reads PAX values
// as text, which mangles binary xattrs such as security.capability, so layer
// unpack reads headers itself. Every byte is pushed through write(); entries
// come out through the handler synchronously, so the caller can apply them
// with sync fs calls and no per-entry promise.
//
// Metadata members (PAX 'x' and global 'g' headers, GNU long names 'L' and
// long links 'K') are buffered whole before they take effect, so each is
// capped at 1 MiB, as Go's archive/tar caps them (maxSpecialFileSize): the
// size is checked in the header, before one byte of it is buffered, so a
// small gzip layer that expands to a huge header costs nothing. Numeric
// fields are parsed strictly (octal or GNU base-256, as Go does): a size that
// is negative, overflows or is not a number is refused, never read as 0.
import { InvalidArgumentError } from '../errors.js';

export type EntryType = 'file' | 'link' | 'symlink' | 'char' | 'block' | 'dir' | 'fifo';

export interface TarEntry {
  name: string;
  type: EntryType;
  /** Permission bits incl. setuid/setgid/sticky (07777). */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Seconds since the epoch, fractional from PAX. */
  mtime: number;
  atime?: number;
  linkname: string;
  devmajor: number;
  devminor: number;
  xattrs: Map<string, Buffer>;
}

/** Receives the content of a regular file entry. */
export interface EntrySink {
  write(chunk: Buffer): void;
  close(): void;
}

export interface TarHandler {
  /** Returns a sink for a file's content, or null to discard it. */
  entry(e: TarEntry): EntrySink | null;
}

const TYPES: Record<string, EntryType> = {
  '0': 'file', '\0': 'file', '7': 'file', '1': 'link', '2': 'symlink', '3': 'char', '4': 'block', '5': 'dir', '6': 'fifo',
};

type Pax = Map<string, Buffer>;

/** The most a metadata member (PAX, global PAX, GNU long name/link) may hold: Go's maxSpecialFileSize. */
export const MAX_META_BYTES = 1 << 20;

const META_KIND: Record<string, string> = { x: 'PAX extended header', g: 'PAX global header', L: 'GNU long name', K: 'GNU long link name' };
const HINT = 'the layer is malformed or crafted: rebuild or re-pull the image from a source you trust';

export class TarReader {
  private buf: Buffer = Buffer.alloc(0);
  private remain = 0; // data bytes left of the current member
  private pad = 0; // padding bytes after it
  private sink: EntrySink | null = null;
  private meta: { kind: string; parts: Buffer[] } | null = null;
  private pax: Pax | null = null;
  private globalPax: Pax = new Map();
  private longName: string | null = null;
  private longLink: string | null = null;
  private zeroBlocks = 0;
  /** Bytes of PAX records buffered for the next entry, and of global records so far (each capped). */
  private paxBytes = 0;
  private globalBytes = 0;
  /** Stream offset of the next byte written, of the current header, and the last entry's name: for errors. */
  private offset = 0;
  private headerOffset = 0;
  private lastName: string | null = null;
  ended = false;
  entries = 0;

  constructor(private readonly handler: TarHandler) {}

  write(chunk: Buffer): void {
    let off = 0;
    const base = this.offset;
    this.offset += chunk.length;
    while (off < chunk.length && !this.ended) {
      if (this.remain > 0) {
        const n = Math.min(this.remain, chunk.length - off);
        const part = chunk.subarray(off, off + n);
        if (this.meta) this.meta.parts.push(Buffer.from(part));
        else this.sink?.write(part);
        this.remain -= n;
        off += n;
        if (this.remain === 0) this.finishMember();
        continue;
      }
      if (this.pad > 0) {
        const n = Math.min(this.pad, chunk.length - off);
        this.pad -= n;
        off += n;
        continue;
      }
      // Collect one 512-byte header block.
      const need = 512 - this.buf.length;
      const n = Math.min(need, chunk.length - off);
      this.buf = this.buf.length === 0 && n === 512 ? chunk.subarray(off, off + 512) : Buffer.concat([this.buf, chunk.subarray(off, off + n)]);
      off += n;
      if (this.buf.length === 512) {
        const block = this.buf;
        this.buf = Buffer.alloc(0);
        this.headerOffset = base + off - 512;
        this.header(block);
      }
    }
  }

  /** Call at end of stream: a truncated archive is an error. */
  end(): void {
    if (this.remain > 0 || this.buf.length > 0 || this.meta) throw this.error('unexpected end of archive');
    if (!this.ended && this.entries === 0 && this.zeroBlocks === 0) throw new InvalidArgumentError('tar: empty stream is not an archive');
  }

  private finishMember(): void {
    this.pad = (512 - (this.pendingSize % 512)) % 512;
    if (this.meta) {
      const data = Buffer.concat(this.meta.parts);
      const kind = this.meta.kind;
      this.meta = null;
      if (kind === 'x') this.pax = this.parsePaxAt(data, this.pax ?? new Map());
      else if (kind === 'g') this.globalPax = this.parsePaxAt(data, this.globalPax);
      else if (kind === 'L') this.longName = cstring(data);
      else if (kind === 'K') this.longLink = cstring(data);
    } else {
      this.sink?.close();
      this.sink = null;
    }
  }

  private pendingSize = 0;

  /** One line naming where in the stream it went wrong; the unpack adds the layer digest. */
  private error(msg: string, hint = HINT): InvalidArgumentError {
    const after = this.lastName === null ? 'before the first entry' : `after entry ${JSON.stringify(this.lastName)}`;
    return new InvalidArgumentError(`tar: ${msg} (header at offset ${this.headerOffset}, ${after})`, { hint });
  }

  private parsePaxAt(data: Buffer, into: Pax): Pax {
    try {
      return parsePax(data, into);
    } catch (e) {
      throw this.error((e as Error).message.replace(/^tar: /, ''));
    }
  }

  /** A numeric header field; NaN (not a number, or out of range) is refused here, naming the field. */
  private field(b: Buffer, name: string, off: number, len: number): number {
    const v = num(b, off, len);
    if (Number.isNaN(v)) throw this.error(`bad ${name} field ${JSON.stringify(b.toString('latin1', off, off + len).replace(/\0+$/, ''))}`);
    return v;
  }

  private header(b: Buffer): void {
    if (b.every((x) => x === 0)) {
      // Two zero blocks end the archive; some writers emit only one.
      if (++this.zeroBlocks >= 2) this.ended = true;
      return;
    }
    this.zeroBlocks = 0;
    if (!checksumOk(b)) throw this.error('bad header checksum (not a tar archive, or corrupt)', 'the blob is not a tar stream, or is corrupt: pull the image again');
    const flag = String.fromCharCode(b[156]);
    let size = this.field(b, 'size', 124, 12);
    if (size < 0) throw this.error(`negative size ${size}`);
    if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
      // Refused on the declared size, before any of it is buffered. PAX records for
      // one entry and global records accumulate, so their totals are capped too.
      const total = size + (flag === 'x' ? this.paxBytes : flag === 'g' ? this.globalBytes : 0);
      if (total > MAX_META_BYTES) throw this.error(`${META_KIND[flag]} of ${total} bytes is over the ${MAX_META_BYTES}-byte limit`);
      if (flag === 'x') this.paxBytes = total;
      if (flag === 'g') this.globalBytes = total;
      this.startMember(size, { kind: flag, parts: [] }, null);
      return;
    }
    const type = TYPES[flag];
    // A global header's path/linkpath/size would rename every entry: ignored, as node-tar and Go do.
    const global = [...this.globalPax].filter(([k]) => k !== 'path' && k !== 'linkpath' && k !== 'size');
    const pax = new Map([...global, ...(this.pax ?? [])]);
    this.pax = null;
    this.paxBytes = 0;
    // POSIX ustar ("ustar\0") has a name prefix at 345; old GNU ("ustar  ") keeps atime there.
    const ustar = b.toString('latin1', 257, 263) === 'ustar\0';
    let name = cstring(b.subarray(0, 100));
    const prefix = ustar ? cstring(b.subarray(345, 500)) : '';
    if (prefix) name = prefix + '/' + name;
    if (this.longName !== null) name = this.longName;
    let linkname = cstring(b.subarray(157, 257));
    if (this.longLink !== null) linkname = this.longLink;
    this.longName = this.longLink = null;
    const text = (k: string) => pax.get(k)?.toString('utf8');
    name = text('path') ?? name;
    linkname = text('linkpath') ?? linkname;
    // PAX numbers are decimal (POSIX pax "size", "uid", "gid"; times may have a fraction).
    const paxNum = (k: string, re: RegExp) => {
      const v = text(k)!;
      if (!re.test(v) || !Number.isSafeInteger(Math.trunc(Number(v)))) throw this.error(`bad PAX ${k} record ${JSON.stringify(v.slice(0, 40))} for ${JSON.stringify(name)}`);
      return Number(v);
    };
    const INT = /^[0-9]+$/;
    const TIME = /^-?[0-9]+(\.[0-9]+)?$/;
    if (pax.has('size')) size = paxNum('size', INT);
    if (type === undefined) {
      // Unsupported member types (GNU sparse 'S', volume labels...) are refused, not
      // silently dropped: the result would differ from what the image describes.
      throw this.error(`unsupported entry type '${flag}' for ${JSON.stringify(name)}`, 'sparse files and other rare tar types are not unpacked: rebuild the image without them');
    }
    const xattrs = new Map<string, Buffer>();
    for (const [k, v] of pax) {
      if (k.startsWith('SCHILY.xattr.')) xattrs.set(k.slice(13), v);
      else if (k.startsWith('LIBARCHIVE.xattr.')) xattrs.set(decodeURIComponent(k.slice(17)), Buffer.from(v.toString('latin1'), 'base64'));
    }
    const e: TarEntry = {
      name,
      type,
      mode: this.field(b, 'mode', 100, 8) & 0o7777,
      uid: pax.has('uid') ? paxNum('uid', INT) : this.field(b, 'uid', 108, 8),
      gid: pax.has('gid') ? paxNum('gid', INT) : this.field(b, 'gid', 116, 8),
      size: type === 'file' ? size : 0,
      mtime: pax.has('mtime') ? paxNum('mtime', TIME) : this.field(b, 'mtime', 136, 12),
      atime: pax.has('atime') ? paxNum('atime', TIME) : undefined,
      linkname,
      devmajor: this.field(b, 'devmajor', 329, 8),
      devminor: this.field(b, 'devminor', 337, 8),
      xattrs,
    };
    this.entries++;
    this.lastName = name;
    const sink = this.handler.entry(e);
    // Hardlinks and others may carry a size in odd archives: skip their data.
    this.startMember(size, null, type === 'file' ? sink : null);
  }

  private startMember(size: number, meta: { kind: string; parts: Buffer[] } | null, sink: EntrySink | null): void {
    if (!Number.isSafeInteger(size) || size < 0) throw this.error(`bad entry size ${size}`);
    this.meta = meta;
    this.sink = sink;
    this.pendingSize = size;
    this.remain = size;
    if (size === 0) this.finishMember();
  }
}

function cstring(b: Buffer): string {
  const z = b.indexOf(0);
  return b.toString('utf8', 0, z < 0 ? b.length : z);
}

/**
 * Octal, or base-256 when the high bit of the first byte is set (GNU/star:
 * two's complement, 0xff-led when negative). NaN when the field is not a
 * number or is beyond 2^53 (Go's parseNumeric is as strict).
 */
export function num(b: Buffer, off: number, len: number): number {
  if (b[off] & 0x80) {
    let v = BigInt(b[off] & 0x7f);
    for (let i = 1; i < len; i++) v = (v << 8n) | BigInt(b[off + i]);
    // Bit 6 of the first byte is the sign of the (len*8-1)-bit two's complement value.
    if (b[off] & 0x40) v -= 1n << BigInt(len * 8 - 1);
    return v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER) ? NaN : Number(v);
  }
  // Leading and trailing spaces and NULs are padding (Go trims both).
  const s = b.toString('latin1', off, off + len).replace(/^[\0 ]+|[\0 ]+$/g, '');
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) return NaN;
  return parseInt(s, 8);
}

function checksumOk(b: Buffer): boolean {
  const want = num(b, 148, 8);
  let u = 0;
  let s = 0;
  for (let i = 0; i < 512; i++) {
    const c = i >= 148 && i < 156 ? 32 : b[i];
    u += c;
    s += c > 127 ? c - 256 : c;
  }
  return want === u || want === s;
}

/** PAX records: "<len> <key>=<value>\n", len counting the whole record. Values are bytes. */
export function parsePax(data: Buffer, into: Pax): Pax {
  let off = 0;
  while (off < data.length) {
    const sp = data.indexOf(0x20, off);
    if (sp < 0) {
      if (data.subarray(off).every((x) => x === 0)) break; // NUL padding after the last record
      throw new InvalidArgumentError(`tar: malformed PAX record at byte ${off} (no length)`);
    }
    const digits = data.toString('latin1', off, sp);
    const len = /^[0-9]{1,8}$/.test(digits) ? Number(digits) : NaN;
    // The length counts the digits, the space and the final newline.
    if (!(len > sp - off + 1) || off + len > data.length || data[off + len - 1] !== 0x0a) {
      throw new InvalidArgumentError(`tar: malformed PAX record at byte ${off} (length ${JSON.stringify(digits.slice(0, 20))})`);
    }
    const rec = data.subarray(sp + 1, off + len - 1); // drop the trailing \n
    const eq = rec.indexOf(0x3d);
    if (eq <= 0) throw new InvalidArgumentError(`tar: malformed PAX record at byte ${off} (no key=value)`);
    const key = rec.toString('utf8', 0, eq);
    const val = Buffer.from(rec.subarray(eq + 1));
    into.set(key, val); // an empty xattr value is a value; Go's archive/tar keeps it too
    off += len;
  }
  return into;
}
