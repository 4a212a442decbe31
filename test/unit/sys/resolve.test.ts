// Malicious-input suite for the in-root resolver (native/resolve.c), the one
// the executor uses for every path inside a container's root. A crafted
// tree of symlinks tries to reach a host decoy; each case runs through
// openat2(RESOLVE_IN_ROOT) and through the O_NOFOLLOW walk, and both must
// give the same answer: a file inside the root, or an errno. Needs the
// native library (npm run build), not root.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSys, SysError, type Sys } from '../../../src/sys/index.js';

let sys: Sys;
let tmp = '';
let root = '';
let outside = '';
test.before(async () => {
  sys = await loadSys();
  tmp = mkdtempSync(join(tmpdir(), 'tsctr-resolve-'));
  root = join(tmp, 'root');
  outside = join(tmp, 'outside');
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret'), 'HOST');
  mkdirSync(join(root, 'etc'), { recursive: true });
  mkdirSync(join(root, 'a/b'), { recursive: true });
  writeFileSync(join(root, 'etc/passwd'), 'root-passwd');
  writeFileSync(join(root, 'etc/hostname'), 'root-hostname');
  writeFileSync(join(root, 'a/b/file'), 'root-file');
  // The host decoy's own path, recreated inside the root: where a contained lookup lands.
  mkdirSync(join(root, outside), { recursive: true });
  writeFileSync(join(root, outside, 'secret'), 'ROOT-COPY');
  const ln = (target: string, at: string) => symlinkSync(target, join(root, at));
  ln(join(outside, 'secret'), 'abs-host');           // absolute, names the host decoy
  ln('../../../../../../../../' + outside.slice(1) + '/secret', 'rel-escape'); // relative, climbs out
  ln(outside, 'dir-abs');                             // a directory link to the host
  ln('/etc/passwd', 'etc/abs-passwd');                // absolute, inside
  ln('../etc/hostname', 'etc/rel-hostname-up');       // relative, one up then in
  ln('loop-b', 'loop-a');
  ln('loop-a', 'loop-b');
  ln('/nonexistent/x', 'dangling');
  ln('/proc/self/root/etc/passwd', 'magic');          // would be the host's / through procfs
  ln('a/b', 'ab');
  ln('../../..', 'a/b/up3');
});
test.after(() => rmSync(tmp, { recursive: true, force: true }));

const open = (path: string, walk: boolean): string => {
  try {
    const fd = sys.openInRoot(root, path, { walk });
    try { return readFileSync(fd, 'utf8'); } finally { closeSync(fd); }
  } catch (e) {
    if (e instanceof SysError) return e.code;
    throw e;
  }
};

// path → what reading it gives (content inside the root) or the errno.
const CASES: [string, string][] = [
  ['/etc/passwd', 'root-passwd'],
  ['etc/passwd', 'root-passwd'],
  ['/../../../etc/passwd', 'root-passwd'],
  ['/etc/../../etc/hostname', 'root-hostname'],
  ['/abs-host', 'ROOT-COPY'],
  ['/rel-escape', 'ROOT-COPY'],
  ['/dir-abs/secret', 'ROOT-COPY'],
  ['/etc/abs-passwd', 'root-passwd'],
  ['/etc/rel-hostname-up', 'root-hostname'],
  ['/ab/file', 'root-file'],
  ['/ab/up3/etc/passwd', 'root-passwd'],
  ['/a/b/up3/up3/../etc/hostname', 'ENOENT'],
  ['/loop-a', 'ELOOP'],
  ['/dangling', 'ENOENT'],
  ['/etc/passwd/x', 'ENOTDIR'],
  ['/missing', 'ENOENT'],
  ['/' + 'x'.repeat(300), 'ENAMETOOLONG'],
];

for (const walk of [false, true]) {
  const how = walk ? 'O_NOFOLLOW walk' : 'openat2';
  test(`${how}: every lookup stays inside the root`, () => {
    for (const [path, want] of CASES) assert.is(open(path, walk), want, `${how} ${path}`);
  });
  test(`${how}: a /proc magic link is never jumped through`, () => {
    // No /proc inside this root: the text of the link is followed inside it, and finds nothing.
    assert.is(open('/magic', walk), 'ENOENT');
  });
}

test('the host decoy is what it was', () => {
  assert.is(readFileSync(join(outside, 'secret'), 'utf8'), 'HOST');
});

test.run();
