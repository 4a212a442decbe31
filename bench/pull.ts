// Cold pulls, tsctr vs `ctr images pull --plain-http` from the same local
// registry (Debian's docker-registry on 127.0.0.1), same run, interleaved.
// Two images: the busybox fixture (1 MiB) and two gzip layers of about 50 MB
// built from this machine's /usr/lib/python3.11 and /etc (thousands of real
// files, like a distribution base image). Each tool pulls and unpacks into an
// empty store every round (tsctr: a fresh --root; ctr: after `images rm
// --sync` and `content prune references`). Prints the median of N rounds:
// wall time, and CPU time (user + system): tsctr's own (wait4), and for ctr
// the client's plus what the containerd daemon spent meanwhile (it does the
// pull and the unpack; from /proc/PID/stat, 10 ms ticks), with the load
// average, since on a shared machine CPU time is the steadier figure.
//   node dist/bench/pull.js [rounds]
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { BIN, Env, FIXTURE_REF } from '../test/helpers/tsctr.js';
import { startRegistry } from '../test/helpers/registry.js';
import { seedImage, type Blob, type TestImage } from '../test/helpers/registry-image.js';
import { runAsync } from '../test/integration/images/helpers.js';
import { startContainerd } from '../test/helpers/containerd.js';
import { load, measure, record, type Sample } from './measure.js';

const rounds = Number(process.argv[2] ?? 5);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const sha256 = (b: Buffer) => 'sha256:' + createHash('sha256').update(b).digest('hex');
const blob = (mediaType: string, body: Buffer): Blob => ({ desc: { mediaType, digest: sha256(body), size: body.length }, body });

/** One gzip layer per host directory (tar of the real tree, numeric owners, xattrs). */
export function hostDirImage(dirs: string[]): { image: TestImage; tarBytes: number } {
  const layers: Blob[] = [];
  const diffIds: string[] = [];
  let tarBytes = 0;
  for (const d of dirs) {
    const tar = execFileSync('tar', ['-C', '/', '--numeric-owner', '--xattrs', '-cf', '-', d], { maxBuffer: 1 << 30 });
    tarBytes += tar.length;
    diffIds.push(sha256(tar));
    layers.push(blob('application/vnd.oci.image.layer.v1.tar+gzip', gzipSync(tar, { level: 6 })));
  }
  const config = blob('application/vnd.oci.image.config.v1+json', Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['/bin/sh'] }, rootfs: { type: 'layers', diff_ids: diffIds } })));
  const manifest = blob('application/vnd.oci.image.manifest.v1+json', Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: config.desc, layers: layers.map((l) => l.desc) })));
  return { image: { manifest, config, layers }, tarBytes };
}

/** user + system CPU of a process so far, in ms (clock ticks of 10 ms). */
function cpuOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10; // utime, stime (fields 14, 15)
}

/** Lets the registry's and containerd's log pipes drain between the synchronous runs. */
const breathe = () => new Promise((r) => setImmediate(r));

const reg = await startRegistry({ mode: 'plain' });
const cd = await startContainerd();
const seed = new Env('speed-bench-seed');
try {
  seed.importFixture();
  const fixture = `${reg.host}/bench/busybox:latest`;
  const p = await runAsync(seed, ['images', 'push', '--plain-http', '-q', fixture, FIXTURE_REF]);
  if (p.code !== 0) throw new Error(p.stderr);
  const dirs = ['usr/lib/python3.11', 'etc'].filter((d) => existsSync('/' + d));
  const big = hostDirImage(dirs);
  await seedImage(reg, 'bench/two-layers', 'v1', big.image);
  const bigRef = `${reg.host}/bench/two-layers:v1`;
  const gz = big.image.layers.reduce((a, l) => a + l.desc.size, 0);
  const bigLabel = `${dirs.length} layers (${dirs.join(' + ')}): ${(gz / 1e6).toFixed(1)} MB gzip, ${(big.tarBytes / 1e6).toFixed(1)} MB tar`;

  console.log(`median of ${rounds} rounds, per command (includes process start-up), registry on 127.0.0.1, pull + unpack (overlayfs)`);
  console.log(['image', 'tsctr wall', 'ctr wall', 'ratio', 'tsctr CPU', 'ctr + containerd CPU', 'ratio', 'load'].join(' | '));
  for (const [key, label, ref] of [['busybox', 'busybox fixture (1 MiB)', fixture], ['two-layers', bigLabel, bigRef]] as const) {
    const res: Record<'tsctr' | 'ctr', Sample[]> = { tsctr: [], ctr: [] };
    const loads: string[] = [];
    for (let i = 0; i < rounds; i++) {
      const e = new Env('speed-bench');
      res.tsctr.push(measure(BIN, ['--root', e.root, '--state', e.state, 'images', 'pull', '--plain-http', '-q', ref]));
      e.cleanup();
      await breathe();
      const before = cd.pid ? cpuOf(cd.pid) : 0;
      const c = measure('ctr', ['--address', cd.address, 'images', 'pull', '--plain-http', '--snapshotter', 'overlayfs', ref]);
      res.ctr.push({ ...c, cpuMs: cd.pid ? c.cpuMs! + cpuOf(cd.pid) - before : undefined });
      loads.push(load().split(' ')[0]!);
      await cd.ctr(['images', 'rm', '--sync', ref]);
      await cd.ctr(['content', 'prune', 'references']);
    }
    const med = (xs: Sample[], f: (s: Sample) => number | undefined) => median(xs.map(f).filter((x): x is number => x !== undefined));
    const [t, c] = [med(res.tsctr, (s) => s.ms), med(res.ctr, (s) => s.ms)];
    const [tc, cc] = [med(res.tsctr, (s) => s.cpuMs), med(res.ctr, (s) => s.cpuMs)];
    const la = `${Math.min(...loads.map(Number)).toFixed(1)}-${Math.max(...loads.map(Number)).toFixed(1)}`;
    console.log([label, `${t.toFixed(0)} ms`, `${c.toFixed(0)} ms`, `${(t / c).toFixed(2)}x`, `${tc?.toFixed(0)} ms`, `${cc?.toFixed(0)} ms`, tc && cc ? `${(tc / cc).toFixed(2)}x` : '', la].join(' | '));
    record([{ key: `tsctr.pull.${key}`, label: `tsctr images pull ${label}`, median: t, min: Math.min(...res.tsctr.map((s) => s.ms)), cpu: tc, load: la }, { key: `ctr.pull.${key}`, label: `ctr images pull ${label}`, median: c, min: Math.min(...res.ctr.map((s) => s.ms)), cpu: cc, load: la }]);
  }
  const v = execFileSync('containerd', ['--version'], { encoding: 'utf8' }).trim();
  console.log(`node ${process.versions.node}; ${v}`);
} finally {
  seed.cleanup();
  await cd.stop();
  await reg.stop();
}
