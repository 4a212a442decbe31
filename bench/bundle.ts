// An OCI bundle for the runc-like runtimes, made from the fixture busybox
// image without tsctr: tar unpacks its layers, `runc spec` writes the config.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURE_IMAGE } from '../test/helpers/tsctr.js';

/** `<tmp>/<name>` with the fixture's rootfs and `args` as the process (no terminal, writable root). */
export function makeBundle(tmp: string, name: string, args: string[]): string {
  const bundle = join(tmp, name);
  const layout = join(tmp, `${name}-layout`);
  mkdirSync(join(bundle, 'rootfs'), { recursive: true });
  mkdirSync(layout);
  execFileSync('tar', ['-C', layout, '-xf', FIXTURE_IMAGE]);
  const blob = (d: string) => join(layout, 'blobs/sha256', d.slice(7));
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8'));
  const manifest = JSON.parse(readFileSync(blob(index.manifests[0].digest), 'utf8'));
  for (const l of manifest.layers) execFileSync('tar', ['-C', join(bundle, 'rootfs'), '-xzf', blob(l.digest)]);
  execFileSync('runc', ['spec', '--bundle', bundle]);
  const spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
  spec.process.terminal = false;
  spec.process.args = args;
  spec.root.readonly = false;
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));
  return bundle;
}
