// The yargs root: the only place that calls process.exit and turns errors
// into text. Command groups are loaded only when named, so start-up pays for
// just the command that runs.
import { createRequire } from 'node:module';
import type { Argv } from 'yargs';
import { addGlobalOptions, validateNamespace } from './context.js';
import { GLOBAL_VALUE_OPTIONS_LIST, UsageError, operands, reportFailure } from './report.js';
import { endQuietlyOnEpipe, skipHelpCache } from './yargs-help.js';

interface GroupModule {
  default: (y: Argv) => Argv;
  /** Lets a command stop option parsing at its first operand, as ctr does (`run IMAGE ID sh -c …`). */
  prepareArgv?: (argv: string[], commandIndex: number) => string[];
}

interface Group {
  command: string;
  aliases?: string[];
  describe: string;
  load: () => Promise<GroupModule>;
}

// One file per command group under ./commands. A group's module registers its subcommands.
export const GROUPS: Group[] = [
  { command: 'images', aliases: ['image', 'i'], describe: 'manage images', load: () => import('./commands/images.js') },
  { command: 'content', describe: 'manage content in the blob store', load: () => import('./commands/content.js') },
  { command: 'namespaces', aliases: ['namespace', 'ns'], describe: 'manage namespaces', load: () => import('./commands/namespaces.js') },
  { command: 'snapshots', aliases: ['snapshot'], describe: 'manage snapshots', load: () => import('./commands/snapshots.js') },
  { command: 'containers', aliases: ['container', 'c'], describe: 'manage containers', load: () => import('./commands/containers.js') },
  { command: 'tasks', aliases: ['task', 't'], describe: 'manage tasks (running containers)', load: () => import('./commands/tasks.js') },
  { command: 'network', aliases: ['networks', 'net'], describe: 'manage CNI networks', load: () => import('./commands/network.js') },
  { command: 'oci', describe: 'OCI runtime spec tools', load: () => import('./commands/oci.js') },
  { command: 'run', describe: 'run a container', load: () => import('./commands/run.js') },
  { command: 'events', aliases: ['event'], describe: 'print events as commands record them (follows the journal)', load: () => import('./commands/events.js') },
  { command: 'check', describe: 'check that this machine can run containers', load: () => import('./commands/check.js') },
  { command: 'version', describe: 'print versions of tsctr and its parts', load: () => import('./commands/version.js') },
];

// yargs 17's CommonJS build loads in about a third of the time of its ESM
// build (measured: ~50 ms vs ~120 ms on top of Node's own start-up).
const yargs = createRequire(import.meta.url)('yargs/yargs') as (args: string[]) => Argv;

export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  endQuietlyOnEpipe();
  const first = firstCommand(argv);
  if (first !== undefined && first !== 'completion' && !GROUPS.some((g) => g.command === first || g.aliases?.includes(first))) {
    const near = GROUPS.map((g) => g.command).filter((c) => c.startsWith(first.slice(0, 2)));
    process.stderr.write(`tsctr: unknown command "${first}"${near.length ? `; did you mean ${near.join(' or ')}?` : ''} (see tsctr --help)\n`);
    process.exitCode = 2;
    return;
  }
  const group = GROUPS.find((g) => g.command === first || (g.aliases ?? []).includes(first ?? ''));
  const mod = group ? await group.load() : undefined;
  if (mod?.prepareArgv) argv = mod.prepareArgv(argv, argv.indexOf(first!));
  const y = addGlobalOptions(yargs(argv))
    .scriptName('tsctr')
    .usage('$0 <command> [options]\n\nA daemonless, ctr-style container tool with its own OCI runtime.')
    .strict()
    // Container ids and commands are words, never numbers: `run IMG 1 sleep 5`.
    .parserConfiguration({ 'parse-positional-numbers': false })
    .demandCommand(1, 'name a command; see `tsctr --help`')
    .recommendCommands()
    .completion('completion', 'print a bash/zsh completion script')
    .version(await readVersion())
    .help()
    .alias('h', 'help')
    .wrap(Math.min(110, process.stdout.columns || 100))
    .middleware((args) => {
      const bad = validateNamespace(String(args.namespace));
      if (bad) throw new UsageError(bad);
    })
    .fail((msg, err) => {
      // A .check() that answers a string reaches here with that string as err: a usage error too.
      if (err && typeof err !== 'string') throw err;
      throw new UsageError(msg ?? 'invalid usage');
    });
  for (const g of GROUPS) {
    if (g === group && mod) {
      y.command({ command: g.command, aliases: g.aliases, describe: g.describe, builder: (sub: Argv) => mod.default(sub), handler: () => {} });
    } else {
      y.command({ command: g.command, aliases: g.aliases, describe: g.describe, builder: (sub: Argv) => sub, handler: () => {} });
    }
  }
  skipHelpCache(y);
  try {
    await y.parseAsync();
  } catch (err) {
    reportFailure(err, argv);
  }
}

export { GLOBAL_VALUE_OPTIONS_LIST, UsageError };

export function firstCommand(argv: string[]): string | undefined {
  return operands(argv)[0];
}

async function readVersion(): Promise<string> {
  const { readFileSync } = await import('node:fs');
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
