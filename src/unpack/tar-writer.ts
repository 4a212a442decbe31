// A small tar writer: ustar headers plus a PAX header when a field does not fit
// (long names, xattrs, large ids, fractional mtimes). `snapshots diff` writes
// its change sets with it, and tests build crafted layers (device nodes,
// whiteouts, binary xattrs, traversal names) that node-tar will not produce.
import type { EntryType } from './tar-reader.js';

export interface WriteEntry {
  name: string;
  type: EntryType;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  xattrs?: Record<string, Buffer | string>;
  data?: Buffer | string;
  /** Write the long name as a GNU 'L' record instead of PAX. */
  gnuLongName?: boolean;
}

const FLAG: Record<EntryType, string> = { file: '0', link: '1', symlink: '2', char: '3', block: '4', dir: '5', fifo: '6' };

function octal(b: Buffer, off: number, len: number, v: number): boolean {
  const s = Math.floor(v).toString(8);
  if (s.length > len - 1) return false;
  b.write(s.padStart(len - 1, '0') + '\0', off, len, 'latin1');
  return true;
}

function header(name: string, flag: string, size: number, e: Partial<WriteEntry>, linkname = ''): { block: Buffer; fits: boolean } {
  const b = Buffer.alloc(512);
  let fits = Buffer.byteLength(name) <= 100 && Buffer.byteLength(linkname) <= 100;
  b.write(name, 0, 100, 'utf8');
  fits = octal(b, 100, 8, e.mode ?? (flag === '5' ? 0o755 : 0o644)) && fits;
  fits = octal(b, 108, 8, e.uid ?? 0) && fits;
  fits = octal(b, 116, 8, e.gid ?? 0) && fits;
  fits = octal(b, 124, 12, size) && fits;
  const mt = e.mtime ?? 0;
  fits = octal(b, 136, 12, mt) && Number.isInteger(mt) && fits;
  b.write(flag, 156, 1, 'latin1');
  b.write(linkname, 157, 100, 'utf8');
  b.write('ustar\x0000', 257, 8, 'latin1');
  octal(b, 329, 8, e.devmajor ?? 0);
  octal(b, 337, 8, e.devminor ?? 0);
  b.fill(32, 148, 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += b[i];
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  return { block: b, fits };
}

function padded(data: Buffer): Buffer[] {
  const pad = (512 - (data.length % 512)) % 512;
  return pad ? [data, Buffer.alloc(pad)] : [data];
}

function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length > len) len++;
  return Buffer.concat([Buffer.from(String(len)), body]);
}

/** Encodes one entry (with its PAX/GNU prelude) as tar blocks. */
export function encodeEntry(e: WriteEntry): Buffer[] {
  const data = e.data === undefined ? Buffer.alloc(0) : Buffer.from(e.data);
  const name = e.type === 'dir' && !e.name.endsWith('/') ? e.name + '/' : e.name;
  const link = e.linkname ?? '';
  const out: Buffer[] = [];
  const probe = header(name, FLAG[e.type], data.length, e, link);
  const recs: Buffer[] = [];
  const xattrs = Object.entries(e.xattrs ?? {});
  if (!probe.fits || xattrs.length > 0) {
    if (e.gnuLongName && Buffer.byteLength(name) > 100) {
      const n = Buffer.from(name + '\0');
      out.push(header('././@LongLink', 'L', n.length, {}).block, ...padded(n));
    } else if (Buffer.byteLength(name) > 100) recs.push(paxRecord('path', Buffer.from(name)));
    if (Buffer.byteLength(link) > 100) recs.push(paxRecord('linkpath', Buffer.from(link)));
    if ((e.uid ?? 0) > 0o7777777) recs.push(paxRecord('uid', Buffer.from(String(e.uid))));
    if ((e.gid ?? 0) > 0o7777777) recs.push(paxRecord('gid', Buffer.from(String(e.gid))));
    if (!Number.isInteger(e.mtime ?? 0)) recs.push(paxRecord('mtime', Buffer.from(String(e.mtime))));
    for (const [k, v] of xattrs) recs.push(paxRecord('SCHILY.xattr.' + k, Buffer.from(v)));
  }
  if (recs.length) {
    const pax = Buffer.concat(recs);
    out.push(header('PaxHeaders/' + name.slice(-80), 'x', pax.length, {}).block, ...padded(pax));
  }
  const clip = (s: string) => Buffer.from(s).subarray(0, 100).toString('utf8');
  const safeMode = { ...e, uid: Math.min(e.uid ?? 0, 0o7777777), gid: Math.min(e.gid ?? 0, 0o7777777), mtime: Math.floor(e.mtime ?? 0) };
  out.push(header(clip(name), FLAG[e.type], data.length, safeMode, clip(link)).block);
  if (data.length) out.push(...padded(data));
  return out;
}

/** A whole archive in memory (tests and small diffs). */
export function buildTar(entries: WriteEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) parts.push(...encodeEntry(e));
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}
