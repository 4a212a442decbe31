// A three-layer image exercising everything a layer can hold: whiteouts, an
// opaque directory, a directory replaced by a symlink, hardlinks (within a
// layer and to a lower layer), devices, a fifo, setuid/setgid/sticky modes, a
// file capability, user xattrs, non-root owners, fixed mtimes and names and
// link targets over 100 bytes (PAX and GNU).
import type { WriteEntry } from '../../../src/unpack/tar-writer.js';
import { buildLayer, type BuiltLayer, type Compress } from './oci-layout.js';

// security.capability v2: cap_net_raw (bit 13) permitted + effective.
export const CAP_NET_RAW = Buffer.from('010000020020000000000000000000000000000000', 'hex').subarray(0, 20);

const T1 = 1600000000;
const T2 = 1650000000;
const T3 = 1700000000;
const longDir = 'usr/share/' + 'd'.repeat(60) + '/' + 'e'.repeat(60);

export function richLayers(compress: [Compress, Compress, Compress] = ['gzip', 'gzip', 'none']): BuiltLayer[] {
  const d = (name: string, mtime = T1, extra: Partial<WriteEntry> = {}): WriteEntry => ({ name, type: 'dir', mode: 0o755, mtime, ...extra });
  const f = (name: string, data: string, extra: Partial<WriteEntry> = {}): WriteEntry => ({ name, type: 'file', mode: 0o644, mtime: T1, data, ...extra });
  const l1: WriteEntry[] = [
    d('bin'), d('etc'), d('dev'), d('usr'), d('usr/bin'), d('usr/share'), d('usr/share/' + 'd'.repeat(60)), d(longDir),
    d('var'), d('var/cache'), d('var/cache/apt'), d('opaque'), d('opaque/sub'), d('dir2sym'), d('home'),
    d('tmp', T1, { mode: 0o1777 }),
    d('home/user', T1, { uid: 1000, gid: 1000, mode: 0o750 }),
    f('etc/passwd', 'root:x:0:0:root:/root:/bin/sh\n'),
    f('etc/shadow', 'root:*:19000::::::\n', { mode: 0o640, gid: 42 }),
    f('home/user/.profile', 'export PS1=$\n', { uid: 1000, gid: 1000, mode: 0o600, mtime: T1 + 7 }),
    f('bin/su', '#!su\n', { mode: 0o4755 }),
    f('bin/wall', '#!wall\n', { mode: 0o2755, gid: 5 }),
    f('bin/ping', '#!ping\n'.repeat(100), { mode: 0o755, xattrs: { 'security.capability': CAP_NET_RAW } }),
    { name: 'bin/ping-hard', type: 'link', linkname: 'bin/ping', mtime: T1 },
    f('etc/tagged', 'x', { xattrs: { 'user.comment': 'hello', 'user.binary': Buffer.from([0, 1, 2, 10, 255]) } }),
    { name: 'dev/null', type: 'char', mode: 0o666, devmajor: 1, devminor: 3, mtime: T1 },
    { name: 'dev/sda', type: 'block', mode: 0o660, gid: 6, devmajor: 8, devminor: 0, mtime: T1 },
    { name: 'dev/big', type: 'char', mode: 0o600, devmajor: 300, devminor: 70000, mtime: T1 },
    { name: 'dev/initctl', type: 'fifo', mode: 0o600, mtime: T1 },
    { name: 'usr/bin/abs', type: 'symlink', linkname: '/etc/passwd', mtime: T1 },
    { name: 'usr/bin/rel', type: 'symlink', linkname: '../../etc/passwd', mtime: T1 },
    { name: 'usr/bin/dangling', type: 'symlink', linkname: '/nowhere/at/all', mtime: T1 },
    { name: 'usr/bin/longlink', type: 'symlink', linkname: '/' + longDir + '/pax-file', mtime: T1 },
    f(longDir + '/pax-file', 'long name via PAX'),
    f(longDir + '/gnu-file-' + 'g'.repeat(30), 'long name via GNU', { gnuLongName: true }),
    f('var/cache/apt/pkgcache.bin', 'cache'),
    f('var/cache/apt/keep', 'keep'),
    f('opaque/old', 'old'),
    f('opaque/sub/deep', 'deep'),
    f('dir2sym/child', 'child'),
    f('etc/motd', 'welcome\n', { uid: 1, gid: 1 }),
  ];
  const l2: WriteEntry[] = [
    d('var', T2), d('var/cache', T2), d('var/cache/apt', T2),
    { name: 'var/cache/apt/.wh.pkgcache.bin', type: 'file', mtime: T2 },
    d('opaque', T2),
    { name: 'opaque/.wh..wh..opq', type: 'file', mtime: T2 },
    f('opaque/new', 'new', { mtime: T2 }),
    { name: 'dir2sym', type: 'symlink', linkname: 'usr/share', mtime: T2 },
    d('bin', T2),
    { name: 'bin/ping6', type: 'link', linkname: 'bin/ping', mtime: T2 },
    d('etc', T2),
    f('etc/passwd', 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000::/home/user:/bin/sh\n', { mtime: T2 }),
    { name: 'etc/.wh.motd', type: 'file', mtime: T2 },
    d('srv', T2, { uid: 1234, gid: 5678, mode: 0o2770 }),
    f('srv/data', 'data', { uid: 1234, gid: 5678, mode: 0o600, mtime: T2 }),
  ];
  const l3: WriteEntry[] = [
    d('usr', T3),
    d('usr/bin', T3),
    { name: 'usr/bin/.wh.dangling', type: 'file', mtime: T3 },
    f('usr/bin/tool', '#!tool\n', { mode: 0o755, mtime: T3, xattrs: { 'user.origin': 'layer3' } }),
    d('home', T3),
    { name: 'home/.wh.user', type: 'file', mtime: T3 },
    d('bin', T3),
    { name: 'bin/sticky', type: 'file', mode: 0o1755, mtime: T3, data: '' },
  ];
  return [buildLayer(l1, compress[0]), buildLayer(l2, compress[1]), buildLayer(l3, compress[2])];
}
