import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isKind } from '../../../src/errors.js';
import { MAX_META_BYTES, TarReader, parsePax, type TarEntry } from '../../../src/unpack/tar-reader.js';
import { buildTar, encodeEntry } from '../../../src/unpack/tar-writer.js';
import { block, craftHeader, paxRecord, withChecksum } from '../../helpers/tar-craft.js';

function read(buf: Buffer, chunk = buf.length): { entries: TarEntry[]; data: Map<string, string> } {
  const entries: TarEntry[] = [];
  const data = new Map<string, string>();
  const r = new TarReader({
    entry(e) {
      entries.push(e);
      if (e.type !== 'file') return null;
      const parts: Buffer[] = [];
      return { write: (c) => parts.push(Buffer.from(c)), close: () => data.set(e.name, Buffer.concat(parts).toString()) };
    },
  });
  for (let i = 0; i < buf.length; i += chunk) r.write(buf.subarray(i, i + chunk));
  r.end();
  return { entries, data };
}

test('round-trips every entry type through writer and reader, in any chunking', () => {
  const cap = Buffer.from([1, 0, 0, 2, 0, 0x20, 0, 0, 10, 0, 0, 0]);
  const tar = buildTar([
    { name: 'dir', type: 'dir', mode: 0o1777, uid: 1000, gid: 100, mtime: 1600000000 },
    { name: 'dir/file', type: 'file', data: 'hello', mode: 0o4755, xattrs: { 'security.capability': cap, 'user.x': '' } },
    { name: 'dir/hard', type: 'link', linkname: 'dir/file' },
    { name: 'sym', type: 'symlink', linkname: '/abs/target' },
    { name: 'null', type: 'char', devmajor: 1, devminor: 3 },
    { name: 'sda', type: 'block', devmajor: 8, devminor: 1 },
    { name: 'fifo', type: 'fifo' },
  ]);
  for (const chunk of [tar.length, 1, 7, 511, 513]) {
    const { entries, data } = read(tar, chunk);
    assert.equal(entries.map((e) => `${e.type}:${e.name}`), ['dir:dir/', 'file:dir/file', 'link:dir/hard', 'symlink:sym', 'char:null', 'block:sda', 'fifo:fifo']);
    assert.is(data.get('dir/file'), 'hello');
    assert.is(entries[0].mode, 0o1777);
    assert.is(entries[0].uid, 1000);
    assert.is(entries[0].mtime, 1600000000);
    assert.is(entries[1].mode, 0o4755);
    assert.is(entries[1].xattrs.get('security.capability')!.toString('hex'), cap.toString('hex'));
    assert.is(entries[1].xattrs.get('user.x')!.length, 0);
    assert.is(entries[2].linkname, 'dir/file');
    assert.is(entries[3].linkname, '/abs/target');
    assert.equal([entries[5].devmajor, entries[5].devminor], [8, 1]);
  }
});

test('long names and link targets: PAX and GNU', () => {
  const long = 'a'.repeat(120) + '/' + 'b'.repeat(120);
  const tar = buildTar([
    { name: long, type: 'file', data: 'pax' },
    { name: long + 'g', type: 'file', data: 'gnu', gnuLongName: true },
    { name: 's', type: 'symlink', linkname: '/' + long },
  ]);
  const { entries, data } = read(tar, 100);
  assert.equal(entries.map((e) => e.name), [long, long + 'g', 's']);
  assert.is(data.get(long + 'g'), 'gnu');
  assert.is(entries[2].linkname, '/' + long);
});

test('large ids and fractional mtimes go through PAX', () => {
  const { entries } = read(buildTar([{ name: 'f', type: 'file', uid: 3_000_000_000, gid: 70_000_000, mtime: 1.5 }]));
  assert.is(entries[0].uid, 3_000_000_000);
  assert.is(entries[0].gid, 70_000_000);
  assert.is(entries[0].mtime, 1.5);
});

test('base-256 numbers (GNU) are read', () => {
  const [h] = encodeEntry({ name: 'f', type: 'file' });
  h.fill(0, 108, 116);
  h[108] = 0x80;
  h.writeUInt32BE(5_000_000, 112);
  h.fill(32, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  const { entries } = read(Buffer.concat([h, Buffer.alloc(1024)]));
  assert.is(entries[0].uid, 5_000_000);
});

test('binary PAX values survive, including newlines and = signs', () => {
  const v = Buffer.from([0x0a, 0x3d, 0, 0xff, 0x0a]);
  const rec = Buffer.concat([Buffer.from('29 SCHILY.xattr.user.b='), v, Buffer.from('\n')]);
  assert.is(rec.length, 29);
  assert.is(parsePax(rec, new Map()).get('SCHILY.xattr.user.b')!.toString('hex'), v.toString('hex'));
});

test('a global PAX header applies its xattrs to every entry but never a path', () => {
  const recs = Buffer.from('20 path=evil/global\n25 SCHILY.xattr.user.g=1\n');
  const [h] = encodeEntry({ name: 'pax_global_header', type: 'file' });
  h.write('g', 156, 1, 'latin1');
  h.write('00000000' + recs.length.toString(8).padStart(3, '0') + '\0', 124, 12, 'latin1');
  h.fill(32, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  const body = Buffer.concat([recs, Buffer.alloc(512 - recs.length)]);
  const rest = buildTar([{ name: 'a', type: 'file' }, { name: 'b', type: 'dir' }]);
  const { entries } = read(Buffer.concat([h, body, rest]));
  assert.equal(entries.map((e) => e.name), ['a', 'b/']);
  assert.equal(entries.map((e) => e.xattrs.get('user.g')?.toString()), ['1', '1']);
});

test('corrupt and truncated archives are refused', () => {
  const tar = buildTar([{ name: 'f', type: 'file', data: 'x'.repeat(1000) }]);
  const bad = Buffer.from(tar);
  bad[0] ^= 1;
  assert.throws(() => read(bad), /checksum/);
  assert.throws(() => read(tar.subarray(0, 700)), /unexpected end/);
  assert.throws(() => read(Buffer.from('not a tar at all'.repeat(40))), /checksum|not a tar/);
});

test('unsupported entry types are refused, not skipped', () => {
  const [h] = encodeEntry({ name: 'sparse', type: 'file' });
  h.write('S', 156, 1, 'latin1');
  h.fill(32, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  assert.throws(() => read(Buffer.concat([h, Buffer.alloc(1024)])), /unsupported entry type 'S' for "sparse" \(header at offset 0, before the first entry\)/);
});

// --- malicious metadata: every case is refused with one line naming the offset ---

const END = Buffer.alloc(1024);
const ENTRY = buildTar([{ name: 'after', type: 'file', data: 'x' }]);

/** Feeds the stream; returns the error, and how many bytes had been written when it came. */
function refuse(...parts: Buffer[]): { err: Error; at: number } {
  const r = new TarReader({ entry: () => null });
  let at = 0;
  try {
    for (const p of parts) { r.write(p); at += p.length; }
    r.end();
  } catch (e) {
    return { err: e as Error, at };
  }
  throw new Error('the stream was accepted');
}

test('metadata bombs: each kind is refused on its declared size, before its data is buffered', () => {
  const big = 100 << 20;
  for (const flag of ['x', 'g', 'L', 'K']) {
    const head = craftHeader({ name: 'bomb', flag, size: big });
    // The header alone must fail: nothing of the 100 MiB is waited for, let alone kept.
    const { err, at } = refuse(head, Buffer.alloc(65536, 0x61));
    assert.is(at, 0, `${flag}: refused while writing the header`);
    assert.ok(isKind(err, 'InvalidArgument'), String(err));
    assert.match(err.message, /over the 1048576-byte limit/);
    assert.match(err.message, /header at offset 0, before the first entry/);
    assert.ok(!err.message.includes('\n'), 'one line');
  }
  // Exactly at the cap is fine (a GNU long name of 1 MiB).
  const name = Buffer.alloc(MAX_META_BYTES, 0x61);
  name[MAX_META_BYTES - 1] = 0;
  const r = read(Buffer.concat([craftHeader({ name: '././@LongLink', flag: 'L', size: MAX_META_BYTES }), name, ENTRY]));
  assert.is(r.entries[0]!.name.length, MAX_META_BYTES - 1);
});

test('many small PAX headers in a row add up, and so do global ones', () => {
  const recs = block(paxRecord('SCHILY.xattr.user.a', 'v'.repeat(400 * 1024)));
  const x = Buffer.concat([craftHeader({ flag: 'x', size: recs.length }), recs]);
  const g = Buffer.concat([craftHeader({ flag: 'g', size: recs.length }), recs]);
  assert.match(refuse(x, x, x).err.message, /PAX extended header of \d+ bytes is over/);
  assert.match(refuse(g, ENTRY.subarray(0, 1024), g, g).err.message, /PAX global header of \d+ bytes is over .* after entry "after"/);
  // Two are within the cap, and the count starts again after each entry.
  assert.is(read(Buffer.concat([x, x, ENTRY.subarray(0, 1024), x, x, ENTRY])).entries.length, 2);
});

test('size fields: negative, overflowing and non-octal are refused, naming the field and offset', () => {
  const neg = Buffer.alloc(12, 0xff); // base-256 -1
  const huge = Buffer.alloc(12, 0); huge[0] = 0x80; huge[1] = 0x7f; // 2^87: beyond 2^53
  const cases: [Buffer | string, RegExp][] = [
    [neg, /negative size -1/],
    [huge, /bad size field/],
    ['00000001x00\0', /bad size field "00000001x00"/],
    ['-0000000001\0', /bad size field "-0000000001"/],
    ['9999\0', /bad size field "9999"/],
  ];
  for (const [sizeField, re] of cases) {
    for (const flag of ['0', 'x']) {
      const { err } = refuse(ENTRY.subarray(0, 1024), craftHeader({ flag, sizeField }), END);
      assert.ok(isKind(err, 'InvalidArgument'), String(err));
      assert.match(err.message, re);
      assert.match(err.message, /header at offset 1024, after entry "after"/);
    }
  }
  // A base-256 size that fits is read (GNU writes files over 8 GiB this way).
  const ok = Buffer.alloc(12, 0); ok[0] = 0x80; ok[11] = 5;
  const h = craftHeader({ name: 'b256', flag: '0', sizeField: ok });
  assert.equal(read(Buffer.concat([h, block(Buffer.from('hello')), END])).data.get('b256'), 'hello');
});

test('other numeric fields are strict too; padding with spaces and NULs is fine', () => {
  const [h] = encodeEntry({ name: 'f', type: 'file' });
  h.write('07x4\0', 108, 5, 'latin1');
  assert.match(refuse(withChecksum(h), END).err.message, /bad uid field "07x4/);
  const [p] = encodeEntry({ name: 'p', type: 'file', uid: 7 });
  p.write('   7 \0\0\0', 108, 8, 'latin1');
  assert.is(read(Buffer.concat([withChecksum(p), END])).entries[0]!.uid, 7);
});

test('PAX records with a bad length or shape are refused', () => {
  const bad = [
    '99 path=x\n', // longer than the header
    '5 path=abc\n', // shorter than its own prefix
    '0 path=x\n',
    'x path=y\n',
    '-11 path=y\n',
    '12 path=abc!', // no newline where the length says
    '9 nokey\n',
    '11 path=a\n garbage',
    '123456789012 path=x\n',
  ];
  for (const text of bad) {
    const recs = Buffer.from(text);
    const { err } = refuse(craftHeader({ flag: 'x', size: recs.length }), block(recs), ENTRY);
    assert.ok(isKind(err, 'InvalidArgument'), `${JSON.stringify(text)}: ${String(err)}`);
    assert.match(err.message, /malformed PAX record at byte \d+.*header at offset 0/, JSON.stringify(text));
  }
  // NUL padding after the last record is tolerated.
  assert.is(parsePax(Buffer.concat([paxRecord('path', 'ok'), Buffer.alloc(7)]), new Map()).get('path')!.toString(), 'ok');
});

test('PAX numbers must be decimal', () => {
  for (const [k, v] of [['size', '1e3'], ['size', '-5'], ['uid', '0x10'], ['mtime', '1.5.2'], ['gid', '']] as const) {
    const recs = paxRecord(k, v);
    const { err } = refuse(craftHeader({ flag: 'x', size: recs.length }), block(recs), ENTRY);
    assert.match(err.message, new RegExp(`bad PAX ${k} record`), `${k}=${v}: ${err.message}`);
  }
});

test.run();
