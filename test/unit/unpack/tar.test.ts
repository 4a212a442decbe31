import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TarReader, parsePax, type TarEntry } from '../../../src/unpack/tar-reader.js';
import { buildTar, encodeEntry } from '../../../src/unpack/tar-writer.js';

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
  assert.throws(() => read(Buffer.concat([h, Buffer.alloc(1024)])), /unsupported entry type 'S'/);
});

test.run();
