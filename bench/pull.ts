// Pull timing: tsctr vs `ctr images pull --plain-http` from the same local
// registry, same run. Two images: the busybox fixture (1 MiB) and a
// 4-layer image of 4 × 8 MiB incompressible data. Each tool pulls into an
// empty store every round (tsctr: a fresh --root; ctr: after
// `images rm --sync`), with unpack (overlayfs) and without (tsctr
// --skip-unpack vs `ctr content fetch`). Prints the median of N rounds.
//   node dist/bench/pull.js [rounds]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { ContentStore } from '../src/content/store.js';
import { ImageStore } from '../src/image/store.js';
import { pullImage } from '../src/image/pull.js';
import { createRegistryClient } from '../src/remote/index.js';

import { Env, FIXTURE_REF } from '../test/helpers/tsctr.js';
import { startRegistry } from '../test/helpers/registry.js';
import { seedImage } from '../test/helpers/registry-image.js';
import { makeLayeredImage } from '../test/integration/images/layered-image.js';
import { runAsync } from '../test/integration/images/helpers.js';
import { startContainerd } from '../test/helpers/containerd.js';

const rounds = Number(process.argv[2] ?? 5);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function time(fn: () => Promise<{ code: number | null; stderr: string }>): Promise<number> {
  const t0 = process.hrtime.bigint();
  const r = await fn();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.code !== 0) throw new Error(r.stderr);
  return ms;
}

const reg = await startRegistry({ mode: 'plain' });
const cd = await startContainerd();
const seed = new Env('bench-seed');
try {
  seed.importFixture();
  const fixture = `${reg.host}/bench/busybox:latest`;
  const p = await runAsync(seed, ['images', 'push', '--plain-http', '-q', fixture, FIXTURE_REF]);
  if (p.code !== 0) throw new Error(p.stderr);
  await seedImage(reg, 'bench/layered', 'v1', makeLayeredImage({ layers: 4, layerBytes: 8 << 20 }));
  const layered = `${reg.host}/bench/layered:v1`;

  const rows: string[][] = [];
  for (const [label, ref] of [['busybox fixture (1 MiB)', fixture], ['layered (4 x 8 MiB)', layered]] as const) {
    const res: Record<string, number[]> = { tsctrUnpack: [], ctrUnpack: [], tsctrFetch: [], ctrFetch: [], inProcess: [] };
    for (let i = 0; i < rounds; i++) {
      // The same fetch inside this process: no Node start-up, no CLI parsing.
      const dir = mkdtempSync('/tmp/tsctr-bench-inproc-');
      const t0 = process.hrtime.bigint();
      await pullImage({ store: new ContentStore(dir), images: new ImageStore(dir), namespace: 'default', ref, client: createRegistryClient({ plainHttp: true }) });
      res.inProcess!.push(Number(process.hrtime.bigint() - t0) / 1e6);
      rmSync(dir, { recursive: true, force: true });
      const e = new Env('bench');
      res.tsctrUnpack!.push(await time(() => runAsync(e, ['images', 'pull', '--plain-http', '-q', ref])));
      e.cleanup();
      const f = new Env('bench');
      res.tsctrFetch!.push(await time(() => runAsync(f, ['images', 'pull', '--plain-http', '--skip-unpack', '-q', ref])));
      f.cleanup();
      res.ctrUnpack!.push(await time(() => cd.ctr(['images', 'pull', '--plain-http', '--snapshotter', 'overlayfs', ref])));
      await cd.ctr(['images', 'rm', '--sync', ref]);
      res.ctrFetch!.push(await time(() => cd.ctr(['content', 'fetch', '--plain-http', ref])));
      await cd.ctr(['content', 'prune', 'references']);
      await cd.ctr(['images', 'rm', '--sync', ref]);
    }
    rows.push([label, ...['tsctrUnpack', 'ctrUnpack', 'tsctrFetch', 'ctrFetch', 'inProcess'].map((k) => `${median(res[k]!).toFixed(0)} ms`)]);
  }
  const head = ['image', 'tsctr pull', 'ctr images pull', 'tsctr pull --skip-unpack', 'ctr content fetch', 'pullImage() in-process'];
  console.log(`median of ${rounds} rounds, wall clock per command (includes process start-up), registry on 127.0.0.1`);
  console.log(head.join(' | '));
  for (const r of rows) console.log(r.join(' | '));
  const v = spawnSync('containerd', ['--version'], { encoding: 'utf8' }).stdout.trim();
  console.log(`node ${process.versions.node}; ${v}`);
} finally {
  seed.cleanup();
  await cd.stop();
  await reg.stop();
}
