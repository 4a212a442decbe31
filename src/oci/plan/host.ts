// The impure hooks createPlan takes, for callers that have the rootfs on
// disk: stat a bind source.
import { statSync } from 'node:fs';
import { guessSourceIsDir } from './mounts.js';

/** sourceIsDir by stat(2), falling back to the guess for a missing source. */
export function statSourceIsDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return guessSourceIsDir(path);
  }
}
