// `tsctr images ls`: the yargs handler (commands/images.ts) and the fast entry.
import { listFormatOf } from '../flags.js';
import { formatSize, printList, stdoutSync } from '../table.js';
import { runQuick, type QuickArgs } from './run.js';

export async function listImages(a: QuickArgs): Promise<void> {
  // Only the two stores: image/index.js would also load tar and the registry client.
  const [{ ContentStore }, { ImageStore }] = await Promise.all([import('../../content/store.js'), import('../../image/store.js')]);
  const [store, images] = [new ContentStore(a.root), new ImageStore(a.root)];
  const format = listFormatOf(a);
  const list = await images.list(a.namespace);
  // -q needs only the names: no blob is read.
  const rows = format === 'quiet' ? list.map((i) => ({ ...i, size: 0, platforms: [] as string[] }))
    : await (async () => {
      const [{ imagePlatforms, imageSize }, { formatPlatform }] = await Promise.all([import('../../image/image.js'), import('../../image/platform.js')]);
      return Promise.all(list.map(async (i) => ({ ...i, size: await imageSize(store, i.target), platforms: (await imagePlatforms(store, i.target)).map(formatPlatform) })));
    })();
  printList(format, rows, {
    headers: ['REF', 'TYPE', 'DIGEST', 'SIZE', 'PLATFORMS', 'LABELS'],
    row: (r) => [r.name, r.target.mediaType, r.target.digest, formatSize(r.size), r.platforms.join(',') || '-', Object.entries(r.labels).map(([k, v]) => `${k}=${v}`).join(',') || '-'],
    id: (r) => r.name,
  }, stdoutSync);
}

/** The fast path's entry (bin/launch.cjs). */
export const fast = (a: QuickArgs, argv: string[]) => runQuick(() => listImages(a), argv);
