// `tsctr images mount|unmount|usage`, as ctr: mount an image's layers at a
// directory (unpacking first if needed), unmount it, and show how much disk
// each layer's snapshot takes. The snapshot key of a mount is the absolute
// target path, so `unmount --rm` can find it again.
import * as fs from 'node:fs';
import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import { AlreadyExistsError } from '../../errors.js';
import type { GlobalArgs } from '../context.js';
import { formatSize, printList } from '../render.js';
import { addListFlags, listFormatOf, snapshotterOption as flag, type ListArgs } from '../flags.js';

type A<T = object> = GlobalArgs & { snapshotter: string } & T;

const snapshotterOption = flag();

async function deps(a: A) {
  const [{ getSnapshotter, mountAll, unmountAll }, { loadSys }, { loadImage }, unpack] = await Promise.all([
    import('../../snapshot/index.js'), import('../../sys/index.js'), import('../../image/image.js'), import('../../unpack/index.js'),
  ]);
  const sys = await loadSys();
  return { sys, sn: getSnapshotter(a.root, a.snapshotter, sys, a.namespace), mountAll, unmountAll, loadImage, unpack };
}

export function registerImageMount(y: Argv): Argv {
  return y
    .command('mount <ref> <target>', 'mount an image\'s filesystem at target (read-only unless --rw)', (c) => c
      .positional('ref', { type: 'string', demandOption: true }).positional('target', { type: 'string', demandOption: true })
      .option('rw', { type: 'boolean', default: false, describe: 'a writable snapshot instead of a read-only view' })
      .option('snapshotter', snapshotterOption),
    async (a) => mountCommand(a as unknown as A<{ ref: string; target: string; rw: boolean }>))
    .command('unmount <target>', 'unmount an image mounted with `images mount`', (c) => c
      .positional('target', { type: 'string', demandOption: true })
      .option('rm', { type: 'boolean', default: false, describe: 'also remove the snapshot' })
      .option('snapshotter', snapshotterOption),
    async (a) => unmountCommand(a as unknown as A<{ target: string; rm: boolean }>))
    .command('usage <ref>', 'disk usage of an image\'s layer snapshots', (c) => addListFlags(c, 'chain IDs')
      .positional('ref', { type: 'string', demandOption: true })
      .option('b', { type: 'boolean', default: false, describe: 'sizes in bytes' })
      .option('snapshotter', snapshotterOption),
    async (a) => usageCommand(a as unknown as A<ListArgs & { ref: string; b: boolean }>));
}

async function mountCommand(a: A<{ ref: string; target: string; rw: boolean }>): Promise<void> {
  const d = await deps(a);
  const image = await d.loadImage(a.root, a.namespace, a.ref);
  const { chainId } = await d.unpack.unpackImage({ root: a.root, namespace: a.namespace, snapshotter: a.snapshotter as 'overlayfs', layers: image.layers, diffIds: image.config.rootfs.diff_ids, sys: d.sys, onSnapshot: (await import('../../container/events/index.js')).journalSnapshots(a.root, a.namespace) });
  const target = resolve(a.target);
  fs.mkdirSync(target, { recursive: true });
  const labels = { 'tsctr.io/image': image.name };
  // Like ctr: a snapshot left by `images unmount` without --rm is mounted again.
  const existing = await d.sn.stat(target).catch(() => null);
  if (existing && existing.parent !== chainId) throw new AlreadyExistsError(`snapshot ${JSON.stringify(target)} exists for another image`, { hint: `remove it: tsctr snapshots rm ${target}` });
  const mounts = existing ? await d.sn.mounts(target) : a.rw ? await d.sn.prepare(target, chainId, { labels }) : await d.sn.view(target, chainId, { labels });
  try {
    d.mountAll(mounts, target, d.sys);
  } catch (e) {
    if (!existing) await d.sn.remove(target).catch(() => undefined);
    throw e;
  }
  process.stdout.write(target + '\n');
}

async function unmountCommand(a: A<{ target: string; rm: boolean }>): Promise<void> {
  const d = await deps(a);
  const target = resolve(a.target);
  d.unmountAll(target, d.sys);
  if (a.rm) await d.sn.remove(target);
  process.stdout.write(target + '\n');
}

async function usageCommand(a: A<ListArgs & { ref: string; b: boolean }>): Promise<void> {
  const d = await deps(a);
  const image = await d.loadImage(a.root, a.namespace, a.ref);
  const chain = d.unpack.chainIds(image.config.rootfs.diff_ids);
  let total = 0;
  const rows: { layer: number; chainId: string; size: number | null; inodes: number | null }[] = [];
  for (const [i, id] of chain.entries()) {
    const u = await d.sn.usage(id).catch(() => null);
    total += u?.size ?? 0;
    rows.push({ layer: i + 1, chainId: id, size: u?.size ?? null, inodes: u?.inodes ?? null });
  }
  const format = listFormatOf(a);
  printList(format, rows, {
    headers: ['LAYER', 'SNAPSHOT (CHAIN ID)', 'SIZE', 'INODES'],
    row: (r) => [r.layer, r.chainId, r.size === null ? 'not unpacked' : a.b ? r.size : formatSize(r.size), r.inodes ?? ''],
    id: (r) => r.chainId,
  });
  if (format === 'table') process.stdout.write(`total: ${a.b ? total : formatSize(total)}\n`);
}
