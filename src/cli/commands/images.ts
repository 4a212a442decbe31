// `tsctr images …`, as ctr images: pull, push, ls, rm, tag, check, inspect,
// import, export, label. Handlers parse flags, call src/image, render.
import type { Argv } from 'yargs';
import type { GlobalArgs } from '../context.js';
import { addConcurrencyFlag, addListFlags, addPlatformFlags, addRegistryFlags, listFormatOf, parseLabels, platformsOf, remoteOptionsOf, snapshotterOption, type ListArgs, type PlatformArgs, type RegistryArgs } from '../flags.js';
import { formatSize, printJson, printList } from '../render.js';
import { Progress } from '../progress.js';
import { listImages } from '../quick/images-ls.js';
import type { Platform } from '../../descriptor/index.js';
import { journalSnapshots, recordEvent } from '../../container/events/index.js';

type A<T = object> = GlobalArgs & T;
// Only the two stores: image/index.js would also load tar and the registry client.
const stores = async (root: string) => {
  const [{ ContentStore }, { ImageStore }] = await Promise.all([import('../../content/store.js'), import('../../image/store.js')]);
  return { store: new ContentStore(root), images: new ImageStore(root) };
};

// `images mount|unmount|usage` live with the snapshotter (images-mount.ts).
import { registerImageMount } from './images-mount.js';

export default function register(y: Argv): Argv {
  y = y
    .command('pull <ref>', 'fetch an image from a registry and unpack it', (c) => addConcurrencyFlag(addPlatformFlags(addRegistryFlags(c)))
      .positional('ref', { type: 'string', demandOption: true, describe: 'image reference, e.g. docker.io/library/busybox:latest' })
      .option('skip-unpack', { type: 'boolean', default: false, describe: 'only fetch the content, do not unpack into a snapshot' })
      .option('snapshotter', snapshotterOption('snapshotter to unpack with'))
      .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'print only the image name when done' }),
    async (a) => pullCommand(a as unknown as A<RegistryArgs & PlatformArgs & { ref: string; 'skip-unpack': boolean; snapshotter: string; quiet: boolean; 'max-concurrent-downloads': number }>))
    .command('push <ref> [local]', 'upload an image to a registry', (c) => addConcurrencyFlag(addRegistryFlags(c))
      .positional('ref', { type: 'string', demandOption: true, describe: 'where to push' })
      .positional('local', { type: 'string', describe: 'local image to push (default: ref)' })
      .option('platform', { type: 'string', describe: 'push only this platform\'s manifest (repeatable)' })
      .option('quiet', { alias: 'q', type: 'boolean', default: false }),
    async (a) => pushCommand(a as unknown as A<RegistryArgs & { ref: string; local?: string; platform?: string | string[]; quiet: boolean; 'max-concurrent-downloads': number }>))
    .command(['ls', 'list'], 'list images', (c) => addListFlags(c, 'names'),
    async (a) => listImages(a as unknown as A<ListArgs>))
    .command(['rm <refs..>', 'remove', 'delete'], 'remove images', (c) => c
      .positional('refs', { type: 'string', array: true, demandOption: true })
      .option('sync', { type: 'boolean', default: false, describe: 'remove unreferenced content now (garbage collection)' }),
    async (a) => removeCommand(a as unknown as A<{ refs: string[]; sync: boolean }>))
    .command('tag <source> <targets..>', 'give an image more names', (c) => c
      .positional('source', { type: 'string', demandOption: true })
      .positional('targets', { type: 'string', array: true, demandOption: true })
      .option('force', { type: 'boolean', default: false, describe: 'replace an existing name' }),
    async (a) => tagCommand(a as unknown as A<{ source: string; targets: string[]; force: boolean }>))
    .command('check [refs..]', 'check that images are complete in the store (exit 1 only for corrupt content)', (c) => addListFlags(addPlatformFlags(c, 'check'), 'names')
      .positional('refs', { type: 'string', array: true })
      .option('verify', { type: 'boolean', default: false, describe: 're-hash every blob and report the corrupt ones' })
      .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'print only the names of complete images, one per line (as ctr)' }),
    async (a) => checkCommand(a as unknown as A<PlatformArgs & ListArgs & { refs?: string[]; verify: boolean }>))
    .command('inspect <ref>', 'show an image: record, manifest and config', (c) => addPlatformFlags(c, 'inspect')
      .positional('ref', { type: 'string', demandOption: true })
      .option('json', { type: 'boolean', default: true, describe: 'print JSON (the only format)' }),
    async (a) => inspectCommand(a as unknown as A<PlatformArgs & { ref: string }>))
    .command('import <file>', 'import images from an archive (ctr export, docker save, OCI layout tar) and unpack them', (c) => addPlatformFlags(c, 'import')
      .positional('file', { type: 'string', demandOption: true })
      .option('base-name', { type: 'string', describe: 'name images whose index entry has only a tag as <base-name>:<tag>' })
      .option('index-name', { type: 'string', describe: 'also name the archive\'s whole index' })
      .option('unpack', { type: 'boolean', default: true, describe: 'unpack into a snapshot (the default, as ctr); --no-unpack only stores the content' })
      .option('snapshotter', snapshotterOption('snapshotter to unpack with')),
    async (a) => importCommand(a as unknown as A<PlatformArgs & { file: string; 'base-name'?: string; 'index-name'?: string; unpack: boolean; snapshotter: string }>))
    .command('export <file> <refs..>', 'write images to an OCI archive (with a docker manifest.json)', (c) => addPlatformFlags(c, 'export')
      .positional('file', { type: 'string', demandOption: true })
      .positional('refs', { type: 'string', array: true, demandOption: true })
      .option('skip-manifest-json', { type: 'boolean', default: false, describe: 'leave out the docker manifest.json' }),
    async (a) => exportCommand(a as unknown as A<PlatformArgs & { file: string; refs: string[]; 'skip-manifest-json': boolean }>))
    .command('label <ref> [labels..]', 'set labels on an image (key=value; key= removes)', (c) => c
      .positional('ref', { type: 'string', demandOption: true })
      .positional('labels', { type: 'string', array: true, default: [] }),
    async (a) => labelCommand(a as unknown as A<{ ref: string; labels: string[] }>));
  y = registerImageMount(y);
  return y.demandCommand(1, 'name a subcommand; see `tsctr images --help`');
}

async function pullCommand(a: A<RegistryArgs & PlatformArgs & { ref: string; 'skip-unpack': boolean; snapshotter: string; quiet: boolean; 'max-concurrent-downloads': number }>): Promise<void> {
  const { pullImage } = await import('../../image/pull.js');
  const { createRegistryClient } = await import('../../remote/index.js');
  const { parseReference } = await import('../../reference/index.js');
  parseReference(a.ref); // a malformed name fails here, before any output
  const { store, images } = await stores(a.root);
  const progress = new Progress({ quiet: a.quiet, out: process.stdout });
  progress.note(`${a.ref}: resolving`);
  const platforms = await platformsOf(a);
  const before = await images.find(a.namespace, parseReference(a.ref).toString()).catch(() => undefined);
  const log = a.debug ? (l: string) => process.stderr.write(`debug: ${l}\n`) : undefined;
  // This host's image is unpacked while it downloads; unpackPulled then does whatever that did not commit.
  const live = a['skip-unpack'] || platforms ? undefined : await unpackWhilePulling(a, store, log);
  const r = await pullImage({ store, images, namespace: a.namespace, ref: a.ref, client: createRegistryClient(remoteOptionsOf(a)), platforms, maxConcurrent: a['max-concurrent-downloads'], onProgress: (e) => { progress.update(e); live?.onProgress(e); }, onManifest: live?.onManifest, layerSink: live?.layerSink, onResolved: (name, t) => progress.note(`${name}: resolved ${t.digest}`, true), log })
    .catch((err: unknown) => { live?.abort(err as Error); throw err; });
  await live?.finish();
  progress.finish();
  await recordEvent(a.root, a.namespace, before ? '/images/update' : '/images/create', { name: r.name, labels: (await images.find(a.namespace, r.name))?.labels ?? {} });
  const unpacked = a['skip-unpack'] ? undefined : await unpackPulled(a.root, a.namespace, r.name, a.snapshotter, a.quiet, undefined, live?.streamed());
  if (a.quiet) process.stdout.write(r.name + '\n');
  else process.stdout.write(`${r.name}: ${r.target.digest} (fetched ${r.fetched}, existed ${r.existed}, ${formatSize(r.bytes)})${unpacked ? `; ${unpacked}` : ''}\n`);
}

async function unpackWhilePulling(a: A<{ snapshotter: string }>, store: { readBlob(d: string): Promise<Buffer> }, log?: (l: string) => void) {
  const { unpackWhilePulling: hooks } = await import('../../unpack/stream.js');
  const { loadSys } = await import('../../sys/index.js');
  return hooks({ root: a.root, namespace: a.namespace, snapshotter: a.snapshotter as 'overlayfs', sys: await loadSys(), readBlob: (d) => store.readBlob(d), log, onSnapshot: journalSnapshots(a.root, a.namespace) });
}

/** Unpack one platform's manifest (default: this host's) into a snapshot chain; a note when that platform is not there. */
async function unpackPulled(root: string, ns: string, name: string, snapshotter: string, quiet: boolean, platform?: Platform, streamed = 0): Promise<string | undefined> {
  const { loadImage } = await import('../../image/image.js');
  const { isKind } = await import('../../errors.js');
  let img;
  try {
    img = await loadImage(root, ns, name, { platform });
  } catch (err) {
    if (isKind(err, 'NotFound')) return `not unpacked (no manifest for ${platform ? (await import('../../image/platform.js')).formatPlatform(platform) : 'this host'})`;
    throw err;
  }
  const { unpackImage } = await import('../../unpack/index.js');
  const { loadSys } = await import('../../sys/index.js');
  if (!quiet && streamed < img.layers.length) process.stdout.write(`unpacking ${img.layers.length - streamed} layer(s) with ${snapshotter}…\n`);
  const r = await unpackImage({ root, namespace: ns, snapshotter: snapshotter as 'overlayfs', layers: img.layers, diffIds: img.config.rootfs.diff_ids, sys: await loadSys(), onSnapshot: journalSnapshots(root, ns) });
  // Layers committed while downloading are found committed by unpackImage: they were unpacked, not reused.
  return `unpacked ${r.unpacked + streamed}, reused ${r.reused - streamed} (${snapshotter})${streamed ? `, ${streamed} while downloading` : ''}`;
}

async function pushCommand(a: A<RegistryArgs & { ref: string; local?: string; platform?: string | string[]; quiet: boolean; 'max-concurrent-downloads': number }>): Promise<void> {
  const { pushImage } = await import('../../image/push.js');
  const { createRegistryClient } = await import('../../remote/index.js');
  const { store, images } = await stores(a.root);
  const platforms = await platformsOf({ platform: a.platform, 'all-platforms': false });
  const progress = new Progress({ quiet: a.quiet, activeWord: 'uploading' });
  const r = await pushImage({ store, images, namespace: a.namespace, ref: a.ref, local: a.local, client: createRegistryClient(remoteOptionsOf(a)), platforms: platforms === 'all' ? undefined : platforms, maxConcurrent: a['max-concurrent-downloads'], onProgress: progress.update, log: (l) => progress.note(l) });
  progress.finish();
  process.stdout.write(a.quiet ? `${r.ref}\n` : `${r.ref}: ${r.target.digest} (uploaded ${r.uploaded}, existed ${r.existed})\n`);
}

async function removeCommand(a: A<{ refs: string[]; sync: boolean }>): Promise<void> {
  const { findImage } = await import('../../image/image.js');
  const { store, images } = await stores(a.root);
  for (const ref of a.refs) {
    const rec = await findImage(images, a.namespace, ref);
    await images.delete(a.namespace, rec.name);
    await recordEvent(a.root, a.namespace, '/images/delete', { name: rec.name });
    process.stdout.write(rec.name + '\n');
  }
  if (!a.sync) return;
  const { collectGarbage } = await import('../../image/gc.js');
  const r = await collectGarbage(store, async () => (await images.allTargets()).map((t) => t.image.target), { onWait: () => process.stderr.write('tsctr: waiting for running pulls and imports to finish…\n') });
  for (const b of r.removed) await recordEvent(a.root, a.namespace, '/content/delete', { digest: b.digest });
  process.stdout.write(`removed ${r.removed.length} blob(s), ${formatSize(r.removed.reduce((s, b) => s + b.size, 0))}\n`);
}

async function tagCommand(a: A<{ source: string; targets: string[]; force: boolean }>): Promise<void> {
  const { findImage } = await import('../../image/image.js');
  const { parseReference } = await import('../../reference/index.js');
  const { images } = await stores(a.root);
  const src = await findImage(images, a.namespace, a.source);
  for (const t of a.targets) {
    const name = parseReference(t).toString();
    const existed = a.force && await images.find(a.namespace, name);
    if (a.force) await images.put(a.namespace, name, src.target);
    else await images.create(a.namespace, name, src.target, { ...src.labels });
    await recordEvent(a.root, a.namespace, existed ? '/images/update' : '/images/create', { name, labels: (await images.find(a.namespace, name))?.labels ?? {} });
    process.stdout.write(name + '\n');
  }
}

async function checkCommand(a: A<PlatformArgs & ListArgs & { refs?: string[]; verify: boolean }>): Promise<void> {
  const { checkImage, findImage } = await import('../../image/image.js');
  const { store, images } = await stores(a.root);
  const recs = a.refs?.length ? await Promise.all(a.refs.map((r) => findImage(images, a.namespace, r))) : await images.list(a.namespace);
  const platforms = (await platformsOf(a)) ?? 'default';
  const hashes = new Map<string, Promise<string | undefined>>();
  const results = await Promise.all(recs.map((r) => checkImage(store, r, platforms, { verify: a.verify, hashes })));
  const format = listFormatOf(a);
  // As ctr's check -q: only the names of the images that are ready.
  printList(format, format === 'quiet' ? results.filter((r) => r.status === 'complete') : results, {
    headers: ['REF', 'TYPE', 'DIGEST', 'STATUS', 'SIZE'],
    row: (r) => [r.name, r.mediaType, r.digest, `${r.status} (${r.present}/${r.required})`, `${formatSize(r.presentSize)}/${formatSize(r.totalSize)}`],
    id: (r) => r.name,
  });
  // As ctr: an incomplete image is a finding, not a failure; corrupt content is.
  const corrupt = results.filter((r) => r.corrupt.length);
  for (const r of corrupt) for (const c of r.corrupt) process.stderr.write(`tsctr: images check: ${r.name}: blob ${c.digest} is corrupt (found ${c.found}) (hint: \`tsctr content rm ${c.digest}\`, then pull or import the image again)\n`);
  if (corrupt.length) process.exitCode = 1;
}

async function inspectCommand(a: A<PlatformArgs & { ref: string }>): Promise<void> {
  const { loadImage, imagePlatforms } = await import('../../image/image.js');
  const { formatPlatform } = await import('../../image/platform.js');
  const { store, images } = await stores(a.root);
  const p = await platformsOf(a);
  const img = await loadImage(a.root, a.namespace, a.ref, { store, images, platform: Array.isArray(p) ? p[0] : undefined });
  const platforms = (await imagePlatforms(store, img.target)).map(formatPlatform);
  printJson({ ...img.record, platforms, platform: formatPlatform(img.platform), manifestDescriptor: img.manifestDescriptor, manifest: img.manifest, config: img.config });
}

async function importCommand(a: A<PlatformArgs & { file: string; 'base-name'?: string; 'index-name'?: string; unpack: boolean; snapshotter: string }>): Promise<void> {
  const { importArchive } = await import('../../image/import.js');
  const { store, images } = await stores(a.root);
  const platforms = await platformsOf(a);
  const found = await importArchive({ store, images, namespace: a.namespace, file: a.file, baseName: a['base-name'], indexName: a['index-name'], platforms, log: (l) => process.stderr.write(`tsctr: ${l}\n`) });
  // ctr unpacks the platform it imported: the first --platform, else this host's.
  const unpackFor = Array.isArray(platforms) ? platforms[0] : undefined;
  for (const f of found) {
    await recordEvent(a.root, a.namespace, '/images/create', { name: f.name, labels: (await images.find(a.namespace, f.name))?.labels ?? {} });
    const note = a.unpack ? await unpackPulled(a.root, a.namespace, f.name, a.snapshotter, true, unpackFor) : undefined;
    const plats = f.platforms?.length ? `\t${f.platforms.join(',')}` : '';
    process.stdout.write(`${f.name}\t${f.target.digest}${plats}${note ? `\t${note}` : ''}\n`);
  }
}

async function exportCommand(a: A<PlatformArgs & { file: string; refs: string[]; 'skip-manifest-json': boolean }>): Promise<void> {
  const { exportImages } = await import('../../image/export.js');
  const { store, images } = await stores(a.root);
  const r = await exportImages({ store, images, namespace: a.namespace, names: a.refs, file: a.file, platforms: await platformsOf(a), skipDockerManifest: a['skip-manifest-json'] });
  process.stdout.write(`${a.file}: ${r.images.map((i) => i.name).join(', ')} (${r.blobs} blobs, ${formatSize(r.size)})\n`);
}

async function labelCommand(a: A<{ ref: string; labels: string[] }>): Promise<void> {
  const { findImage } = await import('../../image/image.js');
  const { images } = await stores(a.root);
  const rec = await findImage(images, a.namespace, a.ref);
  const r = a.labels.length ? await images.setLabels(a.namespace, rec.name, parseLabels(a.labels)) : rec;
  if (a.labels.length) await recordEvent(a.root, a.namespace, '/images/update', { name: r.name, labels: r.labels });
  for (const [k, v] of Object.entries(r.labels)) process.stdout.write(`${k}=${v}\n`);
}
