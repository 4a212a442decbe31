// `tsctr namespaces …`, as ctr namespaces: ls, create, rm, label.
import type { Argv } from 'yargs';
import type { GlobalArgs } from '../context.js';
import { validateNamespace } from '../context.js';
import { addListFlags, listFormatOf, parseLabels, type ListArgs } from '../flags.js';
import { printList } from '../render.js';
import { InvalidArgumentError } from '../../errors.js';
import { snapshotsHeldBy } from '../../snapshot/metadata.js';
import { recordEvent } from '../../container/events/index.js';

type A<T = object> = GlobalArgs & T;
const imageStore = async (root: string) => new (await import('../../image/store.js')).ImageStore(root);

function checkName(n: string): string {
  const bad = validateNamespace(n);
  if (bad) throw new InvalidArgumentError(bad);
  return n;
}

export default function register(y: Argv): Argv {
  return y
    .command(['ls', 'list'], 'list namespaces', (c) => addListFlags(c, 'names'),
      async (a) => {
        const args = a as unknown as A<ListArgs>;
        const list = await (await imageStore(args.root)).namespaces();
        printList(listFormatOf(args), list, { headers: ['NAME', 'LABELS'], row: (n) => [n.name, Object.entries(n.labels).map(([k, v]) => `${k}=${v}`).join(',') || ''], id: (n) => n.name });
      })
    .command('create <name> [labels..]', 'create a namespace, with optional key=value labels', (c) => c
      .positional('name', { type: 'string', demandOption: true })
      .positional('labels', { type: 'string', array: true, default: [] }),
    async (a) => {
      const args = a as unknown as A<{ name: string; labels: string[] }>;
      await (await imageStore(args.root)).createNamespace(checkName(args.name), parseLabels(args.labels));
      await recordEvent(args.root, args.name, '/namespaces/create', { name: args.name, labels: parseLabels(args.labels) });
    })
    .command('label <name> [labels..]', 'set labels on a namespace (key= removes)', (c) => c
      .positional('name', { type: 'string', demandOption: true })
      .positional('labels', { type: 'string', array: true, default: [] }),
    async (a) => {
      const args = a as unknown as A<{ name: string; labels: string[] }>;
      await (await imageStore(args.root)).setNamespaceLabels(checkName(args.name), parseLabels(args.labels));
      await recordEvent(args.root, args.name, '/namespaces/update', { name: args.name, labels: parseLabels(args.labels) });
    })
    .command(['rm <names..>', 'remove', 'delete'], 'remove empty namespaces', (c) => c.positional('names', { type: 'string', array: true, demandOption: true }),
      async (a) => {
        const args = a as unknown as A<{ names: string[] }>;
        const store = await imageStore(args.root);
        for (const n of args.names) {
          await store.removeNamespace(checkName(n), (ns) => snapshotsHeldBy(args.root, ns));
          await recordEvent(args.root, n, '/namespaces/delete', { name: n });
          process.stdout.write(n + '\n');
        }
      })
    .demandCommand(1, 'name a subcommand; see `tsctr namespaces --help`');
}
