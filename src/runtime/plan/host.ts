// The impure hooks createPlan takes, for callers that have the rootfs on
// disk: stat a bind source, resolve a destination's symlinks inside the root.
import { statSync } from 'node:fs';
import { posix } from 'node:path';
import { resolveInRootfs } from '../user.js';
import { guessSourceIsDir } from './mounts.js';

/** sourceIsDir by stat(2), falling back to the guess for a missing source. */
export function statSourceIsDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return guessSourceIsDir(path);
  }
}

/** resolveDestination for a rootfs: symlinks are followed inside it; one climbing out is refused. */
export function resolverInRootfs(rootfs: string): (dest: string) => string {
  return (dest) => {
    const host = resolveInRootfs(rootfs, dest);
    return '/' + posix.relative(rootfs, host);
  };
}
