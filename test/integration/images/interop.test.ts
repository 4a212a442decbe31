// Interop with containerd's ctr and skopeo: ctr pulls what tsctr pushed,
// tsctr imports what ctr exported and the other way round, and skopeo reads
// tsctr's content store as an OCI layout. containerd is our own instance
// (temp config/root/state/socket), stopped by PID.
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isRoot } from '../../helpers/root.js';
import { Env, FIXTURE_REF } from '../../helpers/tsctr.js';
import { registryUnavailable, startRegistry, type TestRegistry } from '../../helpers/registry.js';
import { hasTool, runAsync, startContainerd, type Containerd } from './helpers.js';
import { spawnSync } from 'node:child_process';

const t = suite('images interop (ctr, skopeo)');
const why = registryUnavailable() ?? (!hasTool('containerd') || !hasTool('ctr') ? 'containerd/ctr are not installed (apt-get install containerd)' : undefined) ?? (!isRoot ? 'containerd needs root' : undefined);

let reg: TestRegistry;
let cd: Containerd;
const envs: Env[] = [];
const env = (n: string) => { const e = new Env(`interop-${n}`); envs.push(e); return e; };

if (why) {
  console.log(`  SKIP images interop: ${why}`);
  t.skip('interop', () => {});
} else {
  t.before(async () => {
    reg = await startRegistry({ mode: 'plain' });
    cd = await startContainerd();
  });
  t.after(async () => {
    envs.forEach((e) => e.cleanup());
    await cd?.stop();
    await reg?.stop();
  });

  t('ctr images pull --plain-http pulls what tsctr pushed', async () => {
    const a = env('push');
    a.importFixture();
    const ref = `${reg.host}/interop/busybox:latest`;
    const push = await runAsync(a, ['images', 'push', '--plain-http', ref, FIXTURE_REF]);
    assert.is(push.code, 0, push.stderr);
    const pull = await cd.ctr(['images', 'pull', '--plain-http', '--snapshotter', 'native', ref]);
    assert.is(pull.code, 0, pull.stderr + pull.stdout);
    const ls = await cd.ctr(['images', 'ls']);
    const lsMine = await runAsync(a, ['images', 'ls', '--json']);
    assert.is(lsMine.code, 0, lsMine.stderr);
    const mine = JSON.parse(lsMine.stdout) as { target: { digest: string } }[];
    assert.match(ls.stdout, new RegExp(`${ref}\\s+\\S+\\s+${mine[0]!.target.digest}`));
    const check = await cd.ctr(['images', 'check']);
    assert.match(check.stdout, /complete \(2\/2\)/, check.stdout + check.stderr);
  });

  t('tsctr imports an archive from ctr images export', async () => {
    const file = join(cd.dir, 'from-ctr.tar');
    const ref = `${reg.host}/interop/busybox:latest`;
    const exp = await cd.ctr(['images', 'export', file, ref]);
    assert.is(exp.code, 0, exp.stderr);
    const b = env('ctr-import');
    const imp = await runAsync(b, ['images', 'import', file]);
    assert.is(imp.code, 0, imp.stderr);
    assert.match(imp.stdout, new RegExp(`^${ref}\\s+sha256:`));
    const check = await runAsync(b, ['images', 'check', '--json']);
    assert.is(check.code, 0, check.stdout + check.stderr);
    assert.is((JSON.parse(check.stdout) as { status: string }[])[0]!.status, 'complete');
  });

  t('ctr images import accepts tsctr images export (OCI layout + manifest.json)', async () => {
    const a = env('export');
    a.importFixture();
    const file = join(a.root, 'out.tar');
    const exp = await runAsync(a, ['images', 'export', file, 'busybox']);
    assert.is(exp.code, 0, exp.stderr);
    const tarList = spawnSync('tar', ['tf', file], { encoding: 'utf8' }).stdout.split('\n');
    for (const f of ['oci-layout', 'index.json', 'manifest.json']) assert.ok(tarList.includes(f), f);
    const imp = await cd.ctr(['-n', 'fromtsctr', 'images', 'import', '--snapshotter', 'native', file]);
    assert.is(imp.code, 0, imp.stderr + imp.stdout);
    const ls = await cd.ctr(['-n', 'fromtsctr', 'images', 'ls', '-q']);
    assert.match(ls.stdout, /docker\.io\/library\/busybox:latest/);
  });

  t('skopeo reads the content store as an OCI layout', async () => {
    if (!hasTool('skopeo')) {
      console.log('  SKIP skopeo: not installed (apt-get install skopeo)');
      return;
    }
    const a = env('skopeo');
    a.importFixture();
    const r = spawnSync('skopeo', ['inspect', `oci:${a.root}/content:${FIXTURE_REF}`], { encoding: 'utf8' });
    assert.is(r.status, 0, r.stderr);
    const info = JSON.parse(r.stdout) as { Architecture: string; Layers: string[] };
    assert.is(info.Layers.length, 1);
    const cfg = spawnSync('skopeo', ['inspect', '--config', `oci:${a.root}/content:${FIXTURE_REF}`], { encoding: 'utf8' });
    assert.match(cfg.stdout, /"Cmd":\s*\[\s*"sh"\s*\]/);
  });

  t('docker-save style and oci-archive tars written by skopeo import into tsctr', async () => {
    if (!hasTool('skopeo')) {
      console.log('  SKIP skopeo archives: not installed (apt-get install skopeo)');
      return;
    }
    const a = env('skopeo-src');
    a.importFixture();
    const dockerTar = join(a.root, 'docker.tar');
    const ociTar = join(a.root, 'oci.tar');
    const src = `oci:${a.root}/content:${FIXTURE_REF}`;
    assert.is(spawnSync('skopeo', ['copy', '-q', src, `docker-archive:${dockerTar}:busybox:fromdocker`]).status, 0);
    assert.is(spawnSync('skopeo', ['copy', '-q', src, `oci-archive:${ociTar}:docker.io/library/busybox:fromoci`]).status, 0);
    const b = env('skopeo-dst');
    for (const f of [dockerTar, ociTar]) {
      const r = await runAsync(b, ['images', 'import', f]);
      assert.is(r.code, 0, r.stderr);
    }
    const check = JSON.parse((await runAsync(b, ['images', 'check', '--json'])).stdout) as { name: string; status: string; mediaType: string }[];
    assert.equal(check.map((c) => [c.name, c.status, c.mediaType]), [
      ['docker.io/library/busybox:fromdocker', 'complete', 'application/vnd.docker.distribution.manifest.v2+json'],
      ['docker.io/library/busybox:fromoci', 'complete', 'application/vnd.oci.image.manifest.v1+json'],
    ]);
    const inspect = JSON.parse((await runAsync(b, ['images', 'inspect', 'busybox:fromdocker'])).stdout) as { manifest: { layers: { mediaType: string }[] } };
    assert.is(inspect.manifest.layers[0]!.mediaType, 'application/vnd.docker.image.rootfs.diff.tar');
  });
}

t.run();
