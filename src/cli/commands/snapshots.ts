// `tsctr snapshots …`, as ctr snapshots: ls, prepare, view, mounts, commit,
// rm, tree, usage, info, label, diff. `--snapshotter` picks overlayfs (the
// default) or native for every subcommand.
import * as fs from 'node:fs';
import type { Argv } from 'yargs';
import { InvalidArgumentError } from '../../errors.js';
import type { Info, Mount, Snapshotter } from '../../snapshot/index.js';
import type { GlobalArgs } from '../context.js';
import { addListFlags, listFormatOf, parseLabels, snapshotterOption, type ListArgs } from '../flags.js';
import { formatSize, printJson, printList } from '../render.js';
import { recordEvent } from '../../container/events/index.js';

type A<T = object> = GlobalArgs & { snapshotter: string } & T;

export async function openSnapshotter(a: A): Promise<Snapshotter> {
  const { getSnapshotter } = await import('../../snapshot/index.js');
  const { loadSys } = await import('../../sys/index.js');
  return getSnapshotter(a.root, a.snapshotter, await loadSys(), a.namespace);
}

async function printMounts(mounts: Mount[], target: string | undefined): Promise<void> {
  if (!target) return;
  const { mountCommands } = await import('../../snapshot/index.js');
  for (const l of mountCommands(mounts, target)) process.stdout.write(l + '\n');
}

const keyParent = (c: Argv) => c
  .positional('key', { type: 'string', demandOption: true })
  .positional('parent', { type: 'string', describe: 'committed parent snapshot (a chain ID for image layers)' })
  .option('target', { alias: 't', type: 'string', describe: 'print the mount commands for this target' })
  .option('label', { type: 'string', array: true, default: [], describe: 'key=value label, repeatable' });

export default function register(y: Argv): Argv {
  return y
    .option('snapshotter', { ...snapshotterOption(), global: true })
    .command(['ls', 'list'], 'list snapshots', (c) => addListFlags(c, 'keys'),
      async (a) => listCommand(a as unknown as A<ListArgs>))
    .command('prepare <key> [parent]', 'create an active (writable) snapshot', keyParent,
      async (a) => createCommand('prepare', a as unknown as A<{ key: string; parent?: string; target?: string; label: string[] }>))
    .command('view <key> [parent]', 'create a read-only view of a committed snapshot', keyParent,
      async (a) => createCommand('view', a as unknown as A<{ key: string; parent?: string; target?: string; label: string[] }>))
    .command(['mounts <target> <key>', 'm'], 'print mount commands for a snapshot', (c) => c.positional('target', { type: 'string', demandOption: true }).positional('key', { type: 'string', demandOption: true }),
      async (a) => {
        const args = a as unknown as A<{ target: string; key: string }>;
        await printMounts(await (await openSnapshotter(args)).mounts(args.key), args.target);
      })
    .command('commit <name> <key>', 'commit an active snapshot under a name', (c) => c.positional('name', { type: 'string', demandOption: true }).positional('key', { type: 'string', demandOption: true })
      .option('label', { type: 'string', array: true, default: [] }),
    async (a) => {
      const args = a as unknown as A<{ name: string; key: string; label: string[] }>;
      await (await openSnapshotter(args)).commit(args.name, args.key, { labels: parseLabels(args.label) });
      await recordEvent(args.root, args.namespace, '/snapshot/commit', { key: args.key, name: args.name, snapshotter: args.snapshotter });
    })
    .command(['rm <keys..>', 'remove', 'delete'], 'remove snapshots (refused while they have children)', (c) => c.positional('keys', { type: 'string', array: true, demandOption: true }),
      async (a) => {
        const args = a as unknown as A<{ keys: string[] }>;
        const sn = await openSnapshotter(args);
        for (const k of args.keys) { await sn.remove(k); await recordEvent(args.root, args.namespace, '/snapshot/remove', { key: k, snapshotter: args.snapshotter }); }
      })
    .command('tree', 'show the snapshots as a tree of parents and children', (c) => c,
      async (a) => treeCommand(a as unknown as A))
    .command('usage [keys..]', 'disk usage of snapshots', (c) => addListFlags(c, 'keys').positional('keys', { type: 'string', array: true, default: [] }).option('b', { type: 'boolean', default: false, describe: 'sizes in bytes' }),
      async (a) => usageCommand(a as unknown as A<ListArgs & { keys: string[]; b: boolean }>))
    .command('info <key>', 'print a snapshot\'s metadata as JSON', (c) => c.positional('key', { type: 'string', demandOption: true }),
      async (a) => {
        const args = a as unknown as A<{ key: string }>;
        printJson(await (await openSnapshotter(args)).stat(args.key));
      })
    .command('label <key> [labels..]', 'set labels on a snapshot (key= removes)', (c) => c.positional('key', { type: 'string', demandOption: true }).positional('labels', { type: 'string', array: true, default: [] }),
      async (a) => {
        const args = a as unknown as A<{ key: string; labels: string[] }>;
        const info = await (await openSnapshotter(args)).update(args.key, parseLabels(args.labels));
        for (const [k, v] of Object.entries(info.labels)) process.stdout.write(`${k}=${v}\n`);
      })
    .command('diff <key>', 'the changes a snapshot makes to its parent: an OCI layer tar, or a list', (c) => c.positional('key', { type: 'string', demandOption: true })
      .option('list', { alias: 'l', type: 'boolean', default: false, describe: 'list changes (A added, M modified, D deleted) instead of writing a tar' })
      .option('output', { alias: 'o', type: 'string', describe: 'write the tar to this file (default: stdout)' }),
    async (a) => diffCommand(a as unknown as A<{ key: string; list: boolean; output?: string }>))
    .demandCommand(1, 'name a subcommand; see `tsctr snapshots --help`');
}

async function listCommand(a: A<ListArgs>): Promise<void> {
  const list = await (await openSnapshotter(a)).list();
  printList(listFormatOf(a), list, { headers: ['KEY', 'PARENT', 'KIND'], row: (i) => [i.name, i.parent ?? '', i.kind], id: (i) => i.name });
}

async function createCommand(verb: 'prepare' | 'view', a: A<{ key: string; parent?: string; target?: string; label: string[] }>): Promise<void> {
  const sn = await openSnapshotter(a);
  const mounts = await sn[verb](a.key, a.parent, { labels: parseLabels(a.label) });
  await recordEvent(a.root, a.namespace, '/snapshot/prepare', { key: a.key, parent: a.parent ?? '', snapshotter: a.snapshotter });
  await printMounts(mounts, a.target);
}

async function treeCommand(a: A): Promise<void> {
  const list = await (await openSnapshotter(a)).list();
  const children = new Map<string, Info[]>();
  for (const i of list) {
    const p = i.parent ?? '';
    children.set(p, [...(children.get(p) ?? []), i]);
  }
  const print = (i: Info, depth: number) => {
    process.stdout.write(`${depth ? ' '.repeat((depth - 1) * 2) + '\\_ ' : ''}${i.name}${i.kind === 'committed' ? '' : ` (${i.kind})`}\n`);
    for (const c of children.get(i.name) ?? []) print(c, depth + 1);
  };
  for (const root of list.filter((i) => !i.parent)) print(root, 0);
}

async function usageCommand(a: A<ListArgs & { keys: string[]; b: boolean }>): Promise<void> {
  const sn = await openSnapshotter(a);
  const keys = a.keys.length ? a.keys : (await sn.list()).map((i) => i.name);
  const rows: { key: string; size: number; inodes: number }[] = [];
  for (const k of keys) rows.push({ key: k, ...(await sn.usage(k)) });
  printList(listFormatOf(a), rows, { headers: ['KEY', 'SIZE', 'INODES'], row: (r) => [r.key, a.b ? r.size : formatSize(r.size), r.inodes], id: (r) => r.key, json: (r) => ({ key: r.key, size: r.size, inodes: r.inodes }) });
}

async function diffCommand(a: A<{ key: string; list: boolean; output?: string }>): Promise<void> {
  const { snapshotChanges, writeChangesTar } = await import('../../unpack/diff.js');
  const { loadSys } = await import('../../sys/index.js');
  const sys = await loadSys();
  const changes = await snapshotChanges(await openSnapshotter(a), a.key, sys);
  if (a.list) return void changes.forEach((c) => process.stdout.write(`${c.kind} /${c.path}\n`));
  if (!a.output && process.stdout.isTTY) throw new InvalidArgumentError('refusing to write a tar to a terminal', { hint: 'use -o FILE, redirect stdout, or --list' });
  const out = a.output ? fs.createWriteStream(a.output) : process.stdout;
  await writeChangesTar(changes, out, sys);
  if (a.output) await new Promise<void>((res, rej) => out.end((e?: Error | null) => (e ? rej(e) : res())));
}
