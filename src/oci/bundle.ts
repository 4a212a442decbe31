// An OCI bundle: a directory with config.json and the root filesystem it
// names (runtime-spec bundle.md). Nothing here knows images or snapshots.
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { InvalidArgumentError, NotFoundError } from '../errors.js';
import { validateSpec, type Spec } from './spec/index.js';
import { validateHooks } from './hooks.js';

export interface Bundle {
  /** Absolute path of the bundle directory. */
  dir: string;
  spec: Spec;
  /** Absolute host path of the root filesystem. */
  rootfs: string;
}

export function loadBundle(dir: string): Bundle {
  const abs = resolve(dir);
  const file = join(abs, 'config.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`open ${file}: no such file or directory`, { hint: 'a bundle is a directory with config.json and the rootfs; tsctr-runc spec writes a default config.json' });
    throw e;
  }
  const spec = parseConfig(text, file);
  validateSpec(spec);
  validateHooks(spec.hooks);
  if (!spec.process) throw new InvalidArgumentError(`${file}: process: required to create a container`);
  if (!spec.root?.path) throw new InvalidArgumentError(`${file}: root.path: required`);
  const rootfs = isAbsolute(spec.root.path) ? spec.root.path : join(abs, spec.root.path);
  let isDir = false;
  try { isDir = statSync(rootfs).isDirectory(); } catch { /* reported below */ }
  if (!isDir) throw new NotFoundError(`rootfs (${JSON.stringify(rootfs)}) does not exist or is not a directory`);
  return { dir: abs, spec, rootfs };
}

/** config.json text → Spec; a JSON error names the file and the position, nothing else is assumed. */
export function parseConfig(text: string, file = 'config.json'): Spec {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new InvalidArgumentError(`${file}: invalid JSON: ${(e as Error).message}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new InvalidArgumentError(`${file}: must be a JSON object`);
  const spec = v as Spec;
  if (typeof spec.ociVersion !== 'string') throw new InvalidArgumentError(`${file}: ociVersion: required`);
  return spec;
}
