// `tsctr content …`, as ctr content: ls, get, rm, fetch, active, prune.
import type { Argv } from 'yargs';
import type { GlobalArgs } from '../context.js';
import { addConcurrencyFlag, addListFlags, addPlatformFlags, addRegistryFlags, listFormatOf, platformsOf, remoteOptionsOf, type ListArgs, type PlatformArgs, type RegistryArgs } from '../flags.js';
import { formatAge, formatSize, printList } from '../render.js';
import { Progress } from '../progress.js';
import { recordEvent } from '../../container/events/index.js';

type A<T = object> = GlobalArgs & T;
// Only the two stores: image/index.js would also load tar and the registry client.
const stores = async (root: string) => {
  const [{ ContentStore }, { ImageStore }] = await Promise.all([import('../../content/store.js'), import('../../image/store.js')]);
  return { store: new ContentStore(root), images: new ImageStore(root) };
};

export default function register(y: Argv): Argv {
  return y
    .command(['ls', 'list'], 'list blobs in the content store', (c) => addListFlags(c, 'digests'),
    async (a) => listCommand(a as unknown as A<ListArgs>))
    .command('get <digest>', 'write a blob to stdout', (c) => c.positional('digest', { type: 'string', demandOption: true }),
      async (a) => getCommand(a as unknown as A<{ digest: string }>))
    .command(['rm <digests..>', 'remove', 'delete'], 'remove blobs (even if an image needs them)', (c) => c.positional('digests', { type: 'string', array: true, demandOption: true }),
      async (a) => removeCommand(a as unknown as A<{ digests: string[] }>))
    .command('fetch <ref>', 'fetch an image\'s content without naming an image', (c) => addConcurrencyFlag(addPlatformFlags(addRegistryFlags(c)))
      .positional('ref', { type: 'string', demandOption: true })
      .option('quiet', { alias: 'q', type: 'boolean', default: false }),
    async (a) => fetchCommand(a as unknown as A<RegistryArgs & PlatformArgs & { ref: string; quiet: boolean; 'max-concurrent-downloads': number }>))
    .command('active', 'list ingests: downloads in progress or left by an interrupted pull', (c) => addListFlags(c, 'ingest refs'),
      async (a) => activeCommand(a as unknown as A<ListArgs>))
    .command('prune', 'remove blobs no image of any namespace references', (c) => c
      .option('dry-run', { type: 'boolean', default: false, describe: 'only print what would be removed' })
      .option('ingests', { type: 'boolean', default: false, describe: 'also drop interrupted downloads' }),
    async (a) => pruneCommand(a as unknown as A<{ 'dry-run': boolean; ingests: boolean }>))
    .demandCommand(1, 'name a subcommand; see `tsctr content --help`');
}

async function listCommand(a: A<ListArgs>): Promise<void> {
  const { store } = await stores(a.root);
  printList(listFormatOf(a), await store.list(), { headers: ['DIGEST', 'SIZE', 'AGE'], row: (b) => [b.digest, formatSize(b.size), formatAge(b.createdAt)], id: (b) => b.digest });
}

async function getCommand(a: A<{ digest: string }>): Promise<void> {
  const { pipeline } = await import('node:stream/promises');
  const { store } = await stores(a.root);
  if (!(await store.has(a.digest))) await store.readBlob(a.digest); // throws NotFound with a hint
  await pipeline(store.openBlob(a.digest), process.stdout, { end: false });
}

async function removeCommand(a: A<{ digests: string[] }>): Promise<void> {
  const { store } = await stores(a.root);
  for (const d of a.digests) {
    await store.delete(d);
    await recordEvent(a.root, a.namespace, '/content/delete', { digest: d });
    process.stdout.write(d + '\n');
  }
}

async function fetchCommand(a: A<RegistryArgs & PlatformArgs & { ref: string; quiet: boolean; 'max-concurrent-downloads': number }>): Promise<void> {
  const { pullImage } = await import('../../image/pull.js');
  const { createRegistryClient } = await import('../../remote/index.js');
  const { store, images } = await stores(a.root);
  const progress = new Progress({ quiet: a.quiet });
  const r = await pullImage({ store, images, namespace: a.namespace, ref: a.ref, client: createRegistryClient(remoteOptionsOf(a)), platforms: await platformsOf(a), maxConcurrent: a['max-concurrent-downloads'], onProgress: progress.update, record: false });
  progress.finish();
  process.stdout.write(`${r.name}: ${r.target.digest} (fetched ${r.fetched}, existed ${r.existed}; not recorded as an image, so \`content prune\` removes it)\n`);
}

async function activeCommand(a: A<ListArgs>): Promise<void> {
  const { store } = await stores(a.root);
  printList(listFormatOf(a), await store.ingests(), {
    headers: ['REF', 'SIZE', 'EXPECTED', 'UPDATED', 'STATE'],
    row: (i) => [i.ref, formatSize(i.offset), i.expected ? formatSize(i.expected.size) : '-', formatAge(i.updatedAt), i.active ? 'active' : 'interrupted'],
    id: (i) => i.ref,
  });
}

async function pruneCommand(a: A<{ 'dry-run': boolean; ingests: boolean }>): Promise<void> {
  const { collectGarbage } = await import('../../image/gc.js');
  const { store, images } = await stores(a.root);
  const r = await collectGarbage(store, async () => (await images.allTargets()).map((t) => t.image.target), { dryRun: a['dry-run'], ingests: a.ingests, onWait: () => process.stderr.write('tsctr: waiting for running pulls and imports to finish…\n') });
  if (!a['dry-run']) for (const b of r.removed) await recordEvent(a.root, a.namespace, '/content/delete', { digest: b.digest });
  for (const b of r.removed) process.stdout.write(`${a['dry-run'] ? 'would remove' : 'removed'} ${b.digest} (${formatSize(b.size)})\n`);
  for (const i of r.removedIngests) process.stdout.write(`${a['dry-run'] ? 'would remove' : 'removed'} ingest ${i}\n`);
  process.stdout.write(`${r.removed.length} blob(s), ${formatSize(r.removed.reduce((s, b) => s + b.size, 0))}; kept ${r.kept}\n`);
}
