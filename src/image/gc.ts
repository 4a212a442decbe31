// Garbage collection: mark every blob reachable from an image target of any
// namespace (index → manifests → config + layers), sweep the rest, and drop
// ingests nobody holds. It takes the gc lock exclusively, so it waits for
// pulls and imports (which hold it shared) and never races them.
import { readdir, rm } from 'node:fs/promises';

import type { Descriptor } from '../descriptor/index.js';
import { childrenOf, isJsonType } from './manifest.js';
import { gcLockPath, ingestDir, metadataLockPath } from '../content/layout.js';
import { acquireLock } from '../content/lock.js';
import type { ContentStore } from '../content/store.js';

export interface GcResult {
  removed: { digest: string; size: number }[];
  removedIngests: string[];
  kept: number;
}

/** All digests reachable from `roots` that are present in the store. */
export async function reachable(store: ContentStore, roots: Descriptor[]): Promise<Set<string>> {
  const seen = new Set<string>();
  const queue = [...roots];
  while (queue.length > 0) {
    const d = queue.pop()!;
    if (seen.has(d.digest)) continue;
    seen.add(d.digest);
    if (!isJsonType(d.mediaType) && !d.mediaType.includes('json')) continue;
    let buf: Buffer;
    try {
      buf = await store.readBlob(d.digest);
    } catch {
      continue; // not pulled (another platform) or unreadable: nothing below it to keep
    }
    queue.push(...childrenOf(d, buf));
  }
  return seen;
}

/**
 * Remove unreferenced blobs. `roots` is called under the locks so it sees
 * the image metadata as it is when the sweep runs.
 */
export async function collectGarbage(store: ContentStore, roots: () => Promise<Descriptor[]>, opts: { dryRun?: boolean; ingests?: boolean; onWait?: () => void } = {}): Promise<GcResult> {
  await store.init();
  let gc = await acquireLock(gcLockPath(store.root), { sys: store.sys, tryOnly: true });
  if (!gc) {
    opts.onWait?.();
    gc = (await acquireLock(gcLockPath(store.root), { sys: store.sys }))!;
  }
  try {
    const meta = (await acquireLock(metadataLockPath(store.root), { sys: store.sys }))!;
    let keep: Set<string>;
    try {
      keep = await reachable(store, await roots());
    } finally {
      meta.release();
    }
    const result: GcResult = { removed: [], removedIngests: [], kept: 0 };
    for (const b of await store.list()) {
      if (keep.has(b.digest)) {
        result.kept++;
        continue;
      }
      if (!opts.dryRun) await rm(store.blobPath(b.digest), { force: true });
      result.removed.push({ digest: b.digest, size: b.size });
    }
    // Nobody holds a lease now, so no ingest is in use except `content fetch`es that
    // were started without one; abortIngest skips any that is locked. Partial
    // downloads are kept for resume unless asked (content prune --ingests).
    let names: string[] = [];
    if (opts.ingests) try {
      names = await readdir(ingestDir(store.root));
    } catch { /* none */ }
    for (const n of names) {
      if (n.endsWith('.lock') || n.includes('.tmp-')) continue;
      if (opts.dryRun || (await store.abortIngest(n))) result.removedIngests.push(n);
    }
    return result;
  } finally {
    gc!.release();
  }
}
