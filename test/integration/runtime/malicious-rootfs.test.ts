// Malicious root filesystems: a container's root must never reach the host.
// Each case plants symlinks out of the root where the runtime creates or
// mounts things (/dev and what goes in it, /proc, /sys, the working
// directory, bind-mount destinations, a destination under an earlier mount,
// /etc/passwd for --user), then runs the container through --rootfs and
// through an image pulled from a registry started here, with both
// snapshotters. Whether the container runs or is refused, a decoy directory
// outside the root stays empty, the host file stays as it was, and no mount
// is left on the host. (The model: test/integration/unpack/malicious.test.ts.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar';
import { isRoot, rootTest } from '../../helpers/root.js';
import { registryUnavailable, startRegistry, stopAllRegistries, type TestRegistry } from '../../helpers/registry.js';
import { seedImage, type TestImage } from '../../helpers/registry-image.js';
import { Env } from '../../helpers/tsctr.js';
import { hasBusybox, makeBusyboxRootfs } from './rootfs-helper.js';

interface Case {
  name: string;
  /** Plants the malicious entries in a busybox root. */
  plant: (root: string) => void;
  args?: string[];
  cmd?: string[];
  /** undefined: the container runs (exit 0); a RegExp: refused with one line matching it. */
  refused?: RegExp;
}

let tmp = '';
let decoy = '';
let hostFile = '';
let hostSrc = '';
let hostTree = '';
let env: Env;
let reg: TestRegistry | undefined;
const HOST_FILE_TEXT = 'hostonly:x:0:0:host:/:/bin/sh\n';

// From a root at <tmp>/<case>/rootfs (or a snapshot much deeper), this many ".." surely reach "/".
const UP = '../'.repeat(24);
const rel = (abs: string) => UP + abs.slice(1);

function replaceWithLink(root: string, path: string, target: string): void {
  rmSync(join(root, path), { recursive: true, force: true });
  mkdirSync(join(root, path, '..'), { recursive: true });
  symlinkSync(target, join(root, path));
}

const linkCases = (path: string, refused?: RegExp): Case[] => [
  { name: `${path} -> absolute host dir`, plant: (r) => replaceWithLink(r, path, decoy), refused },
  { name: `${path} -> relative path out of the root`, plant: (r) => replaceWithLink(r, path, rel(decoy)), refused },
];

const CASES = (): Case[] => [
  ...linkCases('dev'),
  ...linkCases('dev/pts'),
  ...linkCases('dev/shm'),
  ...linkCases('dev/mqueue'),
  ...linkCases('proc', /mount\("proc", "<root>\/proc".*ELOOP.*proc is only mounted on a real directory/),
  ...linkCases('sys', /mount\("sysfs", "<root>\/sys".*ELOOP.*sysfs is only mounted on a real directory/),
  { name: 'working directory under a symlink to a host dir', plant: (r) => replaceWithLink(r, 'srv', decoy), args: ['--cwd', '/srv/sub'], cmd: ['sh', '-c', 'touch here'] },
  { name: 'working directory under a relative symlink out', plant: (r) => replaceWithLink(r, 'srv', rel(decoy)), args: ['--cwd', '/srv/sub'], cmd: ['sh', '-c', 'touch here'] },
  {
    name: 'bind-mount destination under a symlink to a host dir',
    plant: (r) => replaceWithLink(r, 'mnt', decoy),
    args: ['--mount', `type=bind,src=${hostSrc},dst=/mnt/data,options=rbind:ro`],
    cmd: ['sh', '-c', 'test -f /mnt/data/marker'],
  },
  {
    name: 'destination under an earlier mount whose tree holds a symlink out',
    plant: () => {},
    // hostTree/link -> decoy: the second destination goes through the first mount's symlink.
    args: ['--mount', `type=bind,src=${hostTree},dst=/a,options=rbind`, '--mount', `type=bind,src=${hostSrc},dst=/a/link/sub,options=rbind:ro`, '--mount', `type=tmpfs,src=tmpfs,dst=/a/rlink/t`],
    cmd: ['sh', '-c', 'test -f /a/link/sub/marker'],
  },
  { name: '/etc/passwd -> absolute host file, --user by name', plant: (r) => replaceWithLink(r, 'etc/passwd', hostFile), args: ['--user', 'hostonly'], refused: /user "hostonly": no such user/ },
  { name: '/etc/passwd -> relative path to a host file, --user by name', plant: (r) => replaceWithLink(r, 'etc/passwd', rel(hostFile)), args: ['--user', 'hostonly'], refused: /user "hostonly": no such user/ },
];

/** Mount points under our own paths (others' parallel tests mount elsewhere). */
const ourMounts = () => readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
  .map((l) => l.split(' ')[4] ?? '').filter((m) => [tmp, env.root, env.state].some((p) => m.startsWith(p)));

function checkHost(what: string): void {
  assert.equal(readdirSync(decoy), [], `${what}: the decoy outside the root was written`);
  assert.is(readFileSync(hostFile, 'utf8'), HOST_FILE_TEXT, `${what}: the host file changed`);
  assert.equal(readdirSync(hostTree).sort(), ['link', 'rlink'], `${what}: the bind source's tree changed`);
  assert.equal(readdirSync(hostSrc), ['marker'], `${what}: the bind source changed`);
  assert.equal(ourMounts(), [], `${what}: a mount was left on the host`);
}

function checkOutcome(c: Case, r: { code: number | null; stderr: string }, what: string): void {
  if (c.refused) {
    assert.is.not(r.code, 0, `${what}: should be refused`);
    const lines = r.stderr.trim().split('\n');
    assert.is(lines.length, 1, `${what}: one line, no stack trace:\n${r.stderr}`);
    assert.match(lines[0]!, c.refused, what);
  } else {
    assert.is(r.code, 0, `${what}: ${r.stderr}`);
  }
}

/** A one-layer image of the directory dir (a real tar with its symlinks). */
async function imageOf(dir: string): Promise<TestImage> {
  const file = dir + '.tar';
  await tar.c({ cwd: dir, file, portable: true }, ['.']);
  const raw = readFileSync(file);
  const sha = (b: Buffer) => 'sha256:' + createHash('sha256').update(b).digest('hex');
  const gz = gzipSync(raw);
  const blob = (mediaType: string, body: Buffer) => ({ desc: { mediaType, digest: sha(body), size: body.length }, body });
  const layer = blob('application/vnd.oci.image.layer.v1.tar+gzip', gz);
  const config = blob('application/vnd.oci.image.config.v1+json', Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', config: { Env: ['PATH=/bin'], Cmd: ['true'] }, rootfs: { type: 'layers', diff_ids: [sha(raw)] },
  })));
  const manifest = blob('application/vnd.oci.image.manifest.v1+json', Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: config.desc, layers: [layer.desc],
  })));
  return { manifest, config, layers: [layer] };
}

test.before(async () => {
  tmp = mkdtempSync('/tmp/tsctr-resolve-evil-');
  decoy = join(tmp, 'decoy');
  mkdirSync(decoy);
  hostFile = join(tmp, 'host-passwd');
  writeFileSync(hostFile, HOST_FILE_TEXT);
  hostSrc = join(tmp, 'host-src');
  mkdirSync(hostSrc);
  writeFileSync(join(hostSrc, 'marker'), 'm');
  hostTree = join(tmp, 'host-tree');
  mkdirSync(hostTree);
  symlinkSync(decoy, join(hostTree, 'link'));
  symlinkSync(rel(decoy), join(hostTree, 'rlink'));
  env = new Env('resolve');
  if (isRoot && !registryUnavailable()) reg = await startRegistry({ mode: 'plain' });
});

test.after(async () => {
  env.cleanup();
  await stopAllRegistries();
  rmSync(tmp, { recursive: true, force: true });
});

const skip = () => (!hasBusybox ? 'needs a static /bin/busybox (apt-get install busybox-static)' : undefined);

rootTest(test, 'malicious roots through --rootfs: contained or refused, nothing on the host', () => {
  if (skip()) { console.log(`  SKIP: ${skip()}`); return; }
  CASES().forEach((c, i) => {
    const fs = makeBusyboxRootfs('tsctr-resolve-rootfs-');
    try {
      c.plant(fs.rootfs);
      for (const walk of [false, true]) {
        const what = `--rootfs${walk ? ' (walk)' : ''}: ${c.name}`;
        const r = env.run(['run', '--rm', '--rootfs', fs.rootfs, ...(c.args ?? []), `resolve-r${i}`, ...(c.cmd ?? ['true'])], { env: { ...process.env, ...(walk ? { TSCTR_RESOLVE: 'walk' } : {}) } });
        checkOutcome(c, r, what);
        checkHost(what);
      }
    } finally {
      fs.remove();
    }
  });
});

rootTest(test, 'malicious roots through an image, with both snapshotters: contained or refused, nothing on the host', async () => {
  if (skip()) { console.log(`  SKIP: ${skip()}`); return; }
  if (!reg) { console.log(`  SKIP: ${registryUnavailable()}`); return; }
  const host = new URL(reg.url).host;
  const cases = CASES();
  for (const [i, c] of cases.entries()) {
    const fs = makeBusyboxRootfs('tsctr-resolve-img-');
    try {
      c.plant(fs.rootfs);
      const repo = `resolve/evil${i}`;
      await seedImage(reg, repo, 'latest', await imageOf(fs.rootfs));
      const ref = `${host}/${repo}:latest`;
      const pull = env.run(['images', 'pull', '--plain-http', ref]);
      assert.is(pull.code, 0, `pull ${c.name}: ${pull.stderr}`);
      for (const snapshotter of ['overlayfs', 'native']) {
        const what = `image (${snapshotter}): ${c.name}`;
        const r = env.run(['run', '--rm', '--snapshotter', snapshotter, ...(c.args ?? []), ref, `resolve-i${i}`, ...(c.cmd ?? ['true'])]);
        checkOutcome(c, r, what);
        checkHost(what);
      }
      env.run(['images', 'rm', ref]);
    } finally {
      fs.remove();
    }
  }
});

rootTest(test, '--uidmap: the id shift of the snapshot never follows an image symlink to the host', async () => {
  if (skip()) { console.log(`  SKIP: ${skip()}`); return; }
  if (!reg) { console.log(`  SKIP: ${registryUnavailable()}`); return; }
  const { statSync, lstatSync } = await import('node:fs');
  const fs = makeBusyboxRootfs('tsctr-resolve-idmap-');
  try {
    symlinkSync(hostFile, join(fs.rootfs, 'hostfile'));
    symlinkSync(decoy, join(fs.rootfs, 'hostdir'));
    symlinkSync(rel(hostFile), join(fs.rootfs, 'relfile'));
    const repo = 'resolve/idmap';
    await seedImage(reg, repo, 'latest', await imageOf(fs.rootfs));
    const ref = `${new URL(reg.url).host}/${repo}:latest`;
    assert.is(env.run(['images', 'pull', '--plain-http', ref]).code, 0);
    const owners = () => [hostFile, decoy].map((p) => `${statSync(p).uid}:${statSync(p).gid}`);
    const before = owners();
    for (const snapshotter of ['overlayfs', 'native']) {
      const r = env.run(['run', '--rm', '--snapshotter', snapshotter, '--uidmap', '0:100000:65536', '--gidmap', '0:100000:65536', ref, 'resolve-idmap', 'sh', '-c', 'stat -c %u /bin/busybox']);
      assert.is(r.code, 0, `${snapshotter}: ${r.stderr}`);
      assert.is(r.stdout, '0\n', `${snapshotter}: the image's files belong to the container's root`);
      assert.equal(owners(), before, `${snapshotter}: a host file's owner changed`);
      assert.is(lstatSync(hostFile).uid, 0);
      checkHost(`--uidmap ${snapshotter}`);
    }
  } finally {
    fs.remove();
  }
});

rootTest(test, 'the refusals name the path; a contained /dev still works inside', () => {
  if (skip()) { console.log(`  SKIP: ${skip()}`); return; }
  const fs = makeBusyboxRootfs('tsctr-resolve-dev-');
  try {
    replaceWithLink(fs.rootfs, 'dev', decoy);
    // The tmpfs and its nodes land where /dev points inside the root; the container sees them through its /dev link.
    const r = env.run(['run', '--rm', '--rootfs', fs.rootfs, 'resolve-dev', 'sh', '-c', 'echo x > /dev/null && test -c /dev/zero && test -L /dev/fd && ls /dev/pts >/dev/null && echo ok']);
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout, 'ok\n');
    checkHost('/dev link, run');
    // Inside the root, where the link points, the directory was made (and is empty again: the tmpfs went with the container).
    assert.equal(readdirSync(join(fs.rootfs, decoy)), []);
  } finally {
    fs.remove();
  }
});

test.run();
