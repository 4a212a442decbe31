// The snapshots and images mount commands through bin/tsctr, as a user runs
// them: mount lines pasted into sh, a writable snapshot changed through its
// mount and diffed, refusal to remove a parent, images mount/unmount/usage.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TarReader, type TarEntry } from '../../../src/unpack/tar-reader.js';
import { rootTest } from '../../helpers/root.js';
import { writeLayout } from '../unpack/oci-layout.js';
import { richLayers } from '../unpack/rich-image.js';

const bin = fileURLToPath(new URL('../../../../bin/tsctr', import.meta.url));
let tmp = '';
const mounted: string[] = [];

function tsctr(args: string[], opts: { fail?: boolean; snapshotter?: string } = {}): string {
  const r = spawnSync(process.execPath, [bin, '--root', join(tmp, 'root'), ...args], { encoding: 'buffer', maxBuffer: 1 << 28 });
  const out = r.stdout.toString('latin1');
  if (opts.fail) {
    assert.is.not(r.status, 0, `expected tsctr ${args.join(' ')} to fail`);
    return r.stderr.toString();
  }
  assert.is(r.status, 0, `tsctr ${args.join(' ')}: ${r.stderr}`);
  return out;
}

test.before(() => { tmp = fs.mkdtempSync('/tmp/tsctr-sncli-'); });
test.after(() => {
  for (const m of mounted.reverse()) spawnSync('umount', [m]);
  fs.rmSync(tmp, { recursive: true, force: true });
});

rootTest(test, 'prepare, commit, view; mount lines paste into sh; rm refuses parents', async () => {
  for (const s of ['overlayfs', 'native']) {
    const sn = ['--snapshotter', s];
    tsctr(['snapshots', ...sn, 'prepare', 'base-active']);
    const dir = join(tmp, 'root', 'snapshots', s, 'snapshots');
    const id = JSON.parse(tsctr(['snapshots', ...sn, 'info', 'base-active'])).id;
    fs.writeFileSync(join(dir, id, 'fs', 'keep'), 'k');
    fs.writeFileSync(join(dir, id, 'fs', 'gone'), 'g');
    tsctr(['snapshots', ...sn, 'commit', 'base', 'base-active']);
    const target = join(tmp, `mnt-${s}`);
    fs.mkdirSync(target);
    const lines = tsctr(['snapshots', ...sn, 'prepare', 'work', 'base', '--target', target]);
    assert.match(lines, s === 'overlayfs' ? /^mount -t overlay overlay -o lowerdir=.*,upperdir=.*,workdir=.* \// : /^mount -t bind /);
    execFileSync('sh', ['-e', '-c', lines]);
    mounted.push(target);
    fs.writeFileSync(join(target, 'added'), 'a');
    fs.rmSync(join(target, 'gone'));
    assert.is(fs.readFileSync(join(target, 'keep'), 'utf8'), 'k');
    spawnSync('umount', [mounted.pop()!]);
    assert.equal(tsctr(['snapshots', ...sn, 'diff', '--list', 'work']).trim().split('\n'), ['A /added', 'D /gone']);
    const tar = Buffer.from(tsctr(['snapshots', ...sn, 'diff', 'work']), 'latin1');
    const names: string[] = [];
    const r = new TarReader({ entry: (e: TarEntry) => { names.push(`${e.type}:${e.name}`); return null; } });
    r.write(tar);
    r.end();
    assert.equal(names, ['file:added', 'file:.wh.gone']);
    const err = tsctr(['snapshots', ...sn, 'rm', 'base'], { fail: true });
    assert.match(err, /snapshot "base" has 1 child snapshot\(s\): work/);
    assert.match(tsctr(['snapshots', ...sn, 'tree']), /^base\n\\_ work \(active\)\n$/);
    assert.match(tsctr(['snapshots', ...sn, 'usage']), /KEY\s+SIZE\s+INODES\nbase\s/);
    assert.equal(tsctr(['snapshots', ...sn, 'label', 'work', 'a=1', 'b=2']).trim().split('\n'), ['a=1', 'b=2']);
    tsctr(['snapshots', ...sn, 'rm', 'work', 'base']);
    assert.is(tsctr(['snapshots', ...sn, 'ls', '-q']), '');
  }
});

rootTest(test, 'images mount, usage and unmount --rm', async () => {
  const layout = join(tmp, 'layout');
  writeLayout(layout, 'v1', richLayers());
  execFileSync('tar', ['-C', layout, '-cf', join(tmp, 'img.tar'), '.']);
  const imported = spawnSync(process.execPath, [bin, '--root', join(tmp, 'root'), 'images', 'import', join(tmp, 'img.tar'), '--base-name', 'example.com/rich'], { encoding: 'utf8' });
  if (imported.status !== 0) {
    // images import belongs to the images module; without it there is no image to mount.
    assert.unreachable(`images import failed: ${imported.stderr}`);
  }
  const target = join(tmp, 'image-mnt');
  assert.is(tsctr(['images', 'mount', 'example.com/rich:v1', target]).trim(), target);
  mounted.push(target);
  assert.is(fs.readlinkSync(join(target, 'dir2sym')), 'usr/share');
  assert.throws(() => fs.writeFileSync(join(target, 'x'), 'x'), /EROFS/);
  const usage = tsctr(['images', 'usage', 'example.com/rich:v1']);
  assert.is(usage.trim().split('\n').length, 5, usage);
  assert.match(usage, /total: /);
  tsctr(['images', 'unmount', target]);
  assert.is(tsctr(['images', 'mount', 'example.com/rich:v1', target]).trim(), target, 'a kept snapshot mounts again');
  tsctr(['images', 'unmount', '--rm', target]);
  mounted.pop();
  assert.not.ok(fs.readFileSync('/proc/self/mountinfo', 'utf8').includes(target));
  assert.is(tsctr(['snapshots', 'ls', '-q']).trim().split('\n').length, 3, 'only the three layers remain');
});

test.run();
