// `tsctr namespaces …`, as ctr namespaces: ls, create, rm, label.
import type { Argv } from 'yargs';
import type { GlobalArgs } from '../context.js';
import { validateNamespace } from '../context.js';
import { parseLabels } from '../flags.js';
import { printJson, printTable } from '../render.js';
import { InvalidArgumentError } from '../../errors.js';

type A<T = object> = GlobalArgs & T;
const imageStore = async (root: string) => new (await import('../../image/store.js')).ImageStore(root);

function checkName(n: string): string {
  const bad = validateNamespace(n);
  if (bad) throw new InvalidArgumentError(bad);
  return n;
}

export default function register(y: Argv): Argv {
  return y
    .command(['ls', 'list'], 'list namespaces', (c) => c
      .option('quiet', { alias: 'q', type: 'boolean', default: false })
      .option('json', { type: 'boolean', default: false }),
    async (a) => {
      const args = a as unknown as A<{ quiet: boolean; json: boolean }>;
      const list = await (await imageStore(args.root)).namespaces();
      if (args.quiet) return void list.forEach((n) => process.stdout.write(n.name + '\n'));
      if (args.json) return printJson(list);
      printTable(['NAME', 'LABELS'], list.map((n) => [n.name, Object.entries(n.labels).map(([k, v]) => `${k}=${v}`).join(',') || '']));
    })
    .command('create <name> [labels..]', 'create a namespace, with optional key=value labels', (c) => c
      .positional('name', { type: 'string', demandOption: true })
      .positional('labels', { type: 'string', array: true, default: [] }),
    async (a) => {
      const args = a as unknown as A<{ name: string; labels: string[] }>;
      await (await imageStore(args.root)).createNamespace(checkName(args.name), parseLabels(args.labels));
    })
    .command('label <name> [labels..]', 'set labels on a namespace (key= removes)', (c) => c
      .positional('name', { type: 'string', demandOption: true })
      .positional('labels', { type: 'string', array: true, default: [] }),
    async (a) => {
      const args = a as unknown as A<{ name: string; labels: string[] }>;
      await (await imageStore(args.root)).setNamespaceLabels(checkName(args.name), parseLabels(args.labels));
    })
    .command(['rm <names..>', 'remove', 'delete'], 'remove empty namespaces', (c) => c.positional('names', { type: 'string', array: true, demandOption: true }),
      async (a) => {
        const args = a as unknown as A<{ names: string[] }>;
        const store = await imageStore(args.root);
        for (const n of args.names) {
          await store.removeNamespace(checkName(n));
          process.stdout.write(n + '\n');
        }
      })
    .demandCommand(1, 'name a subcommand; see `tsctr namespaces --help`');
}
