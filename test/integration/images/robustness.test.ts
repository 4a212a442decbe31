// A pull killed with SIGKILL at any moment leaves a store the next pull
// completes (resuming partial downloads); ten concurrent pulls of one image
// into one root end with one consistent copy, each blob downloaded once.
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Env } from '../../helpers/tsctr.js';
import { registryUnavailable, startRegistry, type TestRegistry } from '../../helpers/registry.js';
import { seedImage, type TestImage } from '../../helpers/registry-image.js';
import { runAsync } from './helpers.js';
import { makeLayeredImage } from './layered-image.js';

const t = suite('images pull robustness');
const why = registryUnavailable();
let reg: TestRegistry;
let img: TestImage;
const envs: Env[] = [];
const env = (n: string) => { const e = new Env(`robust-${n}`); envs.push(e); return e; };
const REPO = 'robust/layered';

function ingestBytes(root: string): number {
  const dir = join(root, 'content/ingest');
  if (!existsSync(dir)) return 0;
  let n = 0;
  for (const k of readdirSync(dir)) {
    try { n += statSync(join(dir, k, 'data')).size; } catch { /* not yet */ }
  }
  return n;
}

async function checkComplete(e: Env): Promise<void> {
  const check = await runAsync(e, ['images', 'check', '--json']);
  assert.is(check.code, 0, check.stdout + check.stderr);
  const r = JSON.parse(check.stdout) as { status: string; present: number; required: number }[];
  assert.equal(r.map((x) => [x.status, x.present, x.required]), [['complete', 5, 5]]);
  const blobs = readdirSync(join(e.root, 'content/blobs/sha256')).sort();
  const want = [img.manifest, img.config, ...img.layers].map((b) => b.desc.digest.slice(7)).sort();
  assert.equal(blobs, want);
  const active = await runAsync(e, ['content', 'active', '--json']);
  assert.equal(JSON.parse(active.stdout), []);
}

if (why) {
  console.log(`  SKIP images pull robustness: ${why}`);
  t.skip('robustness', () => {});
} else {
  t.before(async () => {
    reg = await startRegistry({ mode: 'plain' });
    img = await seedImage(reg, REPO, 'v1', makeLayeredImage({ layers: 4, layerBytes: 8 << 20 }));
  });
  t.after(async () => {
    envs.forEach((e) => e.cleanup());
    await reg?.stop();
  });

  t('SIGKILL during pull at several moments; the next pull resumes and completes', async () => {
    const e = env('kill');
    const ref = `${reg.host}/${REPO}:v1`;
    const pullArgs = ['images', 'pull', '--skip-unpack', '--plain-http', '--max-concurrent-downloads', '1', ref];
    // Kill points: right away, during the first layer, mid-way, late.
    const thresholds = [0, 1 << 20, 6 << 20, 13 << 20];
    let sawPartial = false;
    for (const min of thresholds) {
      const p = e.spawn(pullArgs, { stdio: 'ignore' });
      const closed = new Promise<void>((r) => p.on('close', () => r()));
      const start = Date.now();
      while (p.exitCode === null && ingestBytes(e.root) < min && Date.now() - start < 20_000) await new Promise((r) => setTimeout(r, 2));
      p.kill('SIGKILL');
      await closed;
      const active = JSON.parse((await runAsync(e, ['content', 'active', '--json'])).stdout) as { offset: number; active: boolean }[];
      if (active.some((a) => a.offset > 0 && !a.active)) sawPartial = true;
      // Every interrupted state must be readable by the store commands.
      const check = await runAsync(e, ['images', 'check']);
      assert.ok(check.code === 0 || check.code === 1, check.stderr);
    }
    // And at fixed times after start: during start-up, resolve, commits and the metadata write.
    for (const ms of [40, 120, 200, 300, 450, 650]) {
      const p = e.spawn(pullArgs, { stdio: 'ignore' });
      const closed = new Promise<void>((r) => p.on('close', () => r()));
      await new Promise((r) => setTimeout(r, ms));
      p.kill('SIGKILL');
      await closed;
      const check = await runAsync(e, ['images', 'check']);
      assert.ok(check.code === 0 || check.code === 1, check.stderr);
      // Drop the finished blobs now and then, so later kills land in downloads again.
      if (ms % 200 === 0) await runAsync(e, ['content', 'rm', ...img.layers.slice(0, 2).map((l) => l.desc.digest)]);
    }
    assert.ok(sawPartial, 'at least one kill left a partial download to resume');
    const final = await runAsync(e, pullArgs);
    assert.is(final.code, 0, final.stderr);
    assert.match(final.stdout, /existed [1-9]/);
    await checkComplete(e);
  });

  t('ten concurrent pulls of one image end with one copy, each blob fetched once', async () => {
    const e = env('ten');
    const ref = `${reg.host}/${REPO}:v1`;
    const results = await Promise.all(Array.from({ length: 10 }, () => runAsync(e, ['images', 'pull', '--skip-unpack', '--plain-http', ref])));
    let fetched = 0;
    for (const r of results) {
      assert.is(r.code, 0, r.stderr);
      fetched += Number(/\(fetched (\d+), existed/.exec(r.stdout)?.[1] ?? NaN);
    }
    assert.is(fetched, 6, 'manifest, config and 4 layers, each downloaded by exactly one process');
    const ls = await runAsync(e, ['images', 'ls', '-q']);
    assert.is(ls.stdout, `${ref}\n`);
    // The OCI layout's index.json names it once (no process wrote over another's).
    const index = JSON.parse(readFileSync(join(e.root, 'content/index.json'), 'utf8')) as { manifests: { digest: string; annotations: Record<string, string> }[] };
    assert.equal(index.manifests.map((m) => [m.digest, m.annotations['org.opencontainers.image.ref.name']]), [[img.manifest.desc.digest, ref]]);
    await checkComplete(e);
    // One more pull reports every blob as present.
    const again = await runAsync(e, ['images', 'pull', '--skip-unpack', '--plain-http', ref]);
    assert.match(again.stdout, /fetched 0, existed 6/);
  });
}

t.run();
