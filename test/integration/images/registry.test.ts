// tsctr push and pull against a real registry in all four modes (plain,
// tls, basic, token), run as a user would (the CLI as a subprocess).
import { existsSync, mkdirSync, readdirSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Env, FIXTURE_REF } from '../../helpers/tsctr.js';
import { rootTest } from '../../helpers/root.js';
import { registryUnavailable, startRegistry, stopAllRegistries, type RegistryMode, type TestRegistry } from '../../helpers/registry.js';
import { makeTestImage, seedImage } from '../../helpers/registry-image.js';
import { hasTool, registryFlags, runAsync, startContainerd, type Containerd } from './helpers.js';
import { isRoot } from '../../helpers/root.js';

const why = registryUnavailable();

for (const mode of ['plain', 'tls', 'basic', 'token'] as RegistryMode[]) {
  const t = suite(`images push/pull (${mode})`);
  let reg: TestRegistry;
  const envs: Env[] = [];
  const env = (name: string) => { const e = new Env(`img-${mode}-${name}`); envs.push(e); return e; };
  if (why) {
    console.log(`  SKIP images push/pull (${mode}): ${why}`);
    t.skip('registry', () => {});
    t.run();
    continue;
  }
  t.before(async () => { reg = await startRegistry({ mode }); });
  t.after(async () => { envs.forEach((e) => e.cleanup()); await reg.stop(); });

  t('push the fixture, pull it into a fresh root, check and inspect it', async () => {
    const a = env('a');
    a.importFixture();
    const ref = `${reg.host}/tsctr/busybox:latest`;
    const push = await runAsync(a, ['images', 'push', ...registryFlags(reg), ref, FIXTURE_REF]);
    assert.is(push.code, 0, push.stderr);
    assert.match(push.stdout, /uploaded 2, existed 0/);
    const again = await runAsync(a, ['images', 'push', ...registryFlags(reg), ref, FIXTURE_REF]);
    assert.is(again.code, 0, again.stderr);
    assert.match(again.stdout, /uploaded 0, existed 2/);

    const b = env('b');
    const pull = await runAsync(b, ['images', 'pull', '--skip-unpack', ...registryFlags(reg), ref]);
    assert.is(pull.code, 0, pull.stderr);
    assert.match(pull.stdout, new RegExp(`${ref}: sha256:[0-9a-f]{64} \\(fetched 3, existed 0`));
    const ls = await runAsync(b, ['images', 'ls', '--json']);
    const imgs = JSON.parse(ls.stdout) as { name: string; target: { digest: string } }[];
    const local = JSON.parse((await runAsync(a, ['images', 'ls', '--json'])).stdout) as { target: { digest: string } }[];
    assert.equal(imgs.map((i) => [i.name, i.target.digest]), [[ref, local[0]!.target.digest]]);
    const check = await runAsync(b, ['images', 'check', '--json']);
    assert.is(check.code, 0, check.stdout);
    assert.is((JSON.parse(check.stdout) as { status: string }[])[0]!.status, 'complete');
    const inspect = JSON.parse((await runAsync(b, ['images', 'inspect', ref])).stdout) as { config: { config: { Cmd: string[] } } };
    assert.equal(inspect.config.config.Cmd, ['sh']);
    const repull = await runAsync(b, ['images', 'pull', '--skip-unpack', ...registryFlags(reg), ref]);
    assert.match(repull.stdout, /fetched 0, existed 3/);

    // containerd's ctr pulls what tsctr pushed, with the same registry flags.
    if (!isRoot || !hasTool('containerd') || !hasTool('ctr')) {
      console.log(`  SKIP ctr pull (${mode}): needs root and containerd/ctr`);
      return;
    }
    let cd: Containerd | undefined;
    try {
      cd = await startContainerd();
      // ctr 1.6 talks plain HTTP to 127.0.0.1 unless a hosts.toml names https.
      let flags = registryFlags(reg);
      if (mode === 'tls') {
        mkdirSync(join(cd.dir, 'hosts', reg.host), { recursive: true });
        writeFileSync(join(cd.dir, 'hosts', reg.host, 'hosts.toml'), `server = "https://${reg.host}"\n[host."https://${reg.host}"]\n  ca = "${reg.caFile}"\n`);
        flags = ['--hosts-dir', join(cd.dir, 'hosts')];
      }
      const ctrPull = await cd.ctr(['images', 'pull', '--snapshotter', 'native', ...flags, ref]);
      assert.is(ctrPull.code, 0, ctrPull.stderr + ctrPull.stdout);
      const ls = await cd.ctr(['images', 'ls']);
      assert.match(ls.stdout, new RegExp(`${ref}\\s+\\S+\\s+${local[0]!.target.digest}`));
    } finally {
      await cd?.stop();
    }
  });

  t('pull an index by platform; --all-platforms; an unknown platform names what there is', async () => {
    const img = makeTestImage({ withIndex: true, seed: mode });
    await seedImage(reg, 'tsctr/indexed', 'v1', img);
    const c = env('c');
    const ref = `${reg.host}/tsctr/indexed:v1`;
    const bad = await runAsync(c, ['images', 'pull', '--skip-unpack', '--platform', 'linux/s390x', ...registryFlags(reg), ref]);
    assert.is(bad.code, 1);
    assert.match(bad.stderr, /no manifest for linux\/s390x \(image has linux\/amd64\).*hint: /);
    const ok = await runAsync(c, ['images', 'pull', '--skip-unpack', '--platform', 'linux/amd64', ...registryFlags(reg), ref]);
    assert.is(ok.code, 0, ok.stderr);
    const ls = await runAsync(c, ['images', 'ls']);
    assert.match(ls.stdout, new RegExp(`${ref}\\s+application/vnd.oci.image.index.v1\\+json\\s+${img.index!.desc.digest}\\s+\\S+ \\S+\\s+linux/amd64`));
    // A complete index is pushed as an index: manifests by digest first, then the tag.
    const copy = `${reg.host}/tsctr/indexed-copy:v1`;
    const push = await runAsync(c, ['images', 'push', ...registryFlags(reg), copy, ref]);
    assert.is(push.code, 0, push.stderr);
    assert.match(push.stdout, new RegExp(`${img.index!.desc.digest} \\(uploaded 2, existed 0\\)`)); // blob existence is per repository
    const d = env('index-copy');
    const back = await runAsync(d, ['images', 'pull', '--skip-unpack', ...registryFlags(reg), copy]);
    assert.is(back.code, 0, back.stderr);
    assert.match(back.stdout, new RegExp(`${copy}: ${img.index!.desc.digest}`));
  });

  if (mode === 'plain') {
    rootTest(t, 'pull unpacks by default (overlayfs), reuses the snapshot next time; --snapshotter native', async () => {
      const a = env('unpack-src');
      a.importFixture();
      const ref = `${reg.host}/tsctr/unpack:latest`;
      assert.is((await runAsync(a, ['images', 'push', '--plain-http', ref, FIXTURE_REF])).code, 0);
      const u = env('unpack');
      const first = await runAsync(u, ['images', 'pull', '--plain-http', ref]);
      assert.is(first.code, 0, first.stderr);
      assert.match(first.stdout, /unpacked 1, reused 0 \(overlayfs\)/);
      const second = await runAsync(u, ['images', 'pull', '--plain-http', ref]);
      assert.match(second.stdout, /fetched 0, existed 3, 0 B\); unpacked 0, reused 1 \(overlayfs\)/);
      const native = await runAsync(u, ['images', 'pull', '--plain-http', '--snapshotter', 'native', ref]);
      assert.is(native.code, 0, native.stderr);
      assert.match(native.stdout, /unpacked 1, reused 0 \(native\)/);
    });

    t('a corrupted blob from the registry is rejected and nothing is recorded', async () => {
      const img = makeTestImage({ seed: 'corrupt' });
      await seedImage(reg, 'tsctr/corrupt', 'v1', img);
      const hex = img.layers[0]!.desc.digest.slice(7);
      const data = join(reg.dir, 'data/docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
      assert.ok(existsSync(data), data);
      const body = Buffer.from(img.layers[0]!.body);
      body[body.length - 3] ^= 0xff;
      writeFileSync(data, body);
      const d = env('d');
      const r = await runAsync(d, ['images', 'pull', '--skip-unpack', '--plain-http', `${reg.host}/tsctr/corrupt:v1`]);
      assert.is(r.code, 1);
      assert.match(r.stderr, /digest mismatch/);
      assert.match(r.stderr, /hint:/);
      assert.is((await runAsync(d, ['images', 'ls', '-q'])).stdout, '');
      const blobs = readdirSync(join(d.root, 'content/blobs/sha256'));
      assert.not.ok(blobs.includes(hex), 'the corrupt layer was not committed');
      assert.ok(statSync(join(d.root, 'content')).isDirectory());
    });
  }

  t.after(stopAllRegistries);
  t.run();
}
