// The OCI bundle of a task (runtime-spec bundle.md): <task dir>/config.json
// next to <task dir>/rootfs, where the container's snapshot is mounted (or
// root.path naming the user's --rootfs directory). The runtime core takes it
// from there as runc takes a bundle from containerd.
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Spec } from '../oci/spec/index.js';

/**
 * config.json's text (pure): root.path is "rootfs" (relative to the bundle,
 * as ctr writes it) when the root is the bundle's own mount point, else the
 * absolute directory.
 */
export function bundleConfig(spec: Spec, bundleDir: string, rootfs: string): string {
  const path = rootfs === join(bundleDir, 'rootfs') ? 'rootfs' : rootfs;
  const out: Spec = { ...spec, root: { ...spec.root, path } };
  return JSON.stringify(out, null, 2) + '\n';
}

/** Writes config.json (temp file + rename: a reader never sees half of it); returns its path. */
export function writeBundle(bundleDir: string, spec: Spec, rootfs: string): string {
  const file = join(bundleDir, 'config.json');
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, bundleConfig(spec, bundleDir, rootfs), { mode: 0o600 });
  renameSync(tmp, file);
  return file;
}
