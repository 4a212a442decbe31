// What the tsctr-runc integration files share: the binary run against a
// state root of the test's own, a bundle written around a busybox rootfs,
// and waiting for a condition without a timed sleep.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultSpec, type Spec } from '../../../src/oci/spec/index.js';
import type { TestRootfs } from '../runtime/rootfs-helper.js';

export const RUNC_BIN = join(dirname(fileURLToPath(import.meta.url)), '../../../../bin/tsctr-runc');

/** bin/tsctr-runc --root <root> …: its exit code, stdout and stderr. */
export function runcAt(root: string, timeout = 30000) {
  return (...args: string[]) => {
    const r = spawnSync(RUNC_BIN, ['--root', root, ...args], { encoding: 'utf8', timeout });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls f every 25 ms, `tries` times at most; true once it holds. */
export async function until(f: () => boolean, tries = 200): Promise<boolean> {
  for (let i = 0; i < tries; i++) { if (f()) return true; await sleep(25); }
  return false;
}

/** A bundle in fs.dir: the default spec running args on fs.rootfs, no terminal, no cgroupsPath, then edit(). */
export function writeBundle(fs: TestRootfs, args: string[], edit: (s: Spec) => void = () => {}): string {
  const spec = defaultSpec({ args });
  spec.root = { path: fs.rootfs, readonly: false };
  spec.process!.terminal = false;
  delete spec.linux!.cgroupsPath;
  edit(spec);
  writeFileSync(join(fs.dir, 'config.json'), JSON.stringify(spec));
  return fs.dir;
}
