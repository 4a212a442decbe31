// tsctr-runc: runc's command line on the OCI runtime core (src/oci), so that
// containerd's runc shim (go-runc) and the OCI runtime-tools can drive it.
// The only place that turns errors into text and an exit status: one line on
// stderr as runc prints it, and with --log a logrus-style line (text, or JSON
// {level, msg, time} with --log-format json, the shim shows the last one).
import { existsSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Argv } from 'yargs';
import { RuncUsageError, reportError, runcGlobals, setRuncGlobals, type RuncGlobals } from './report.js';
import { endQuietlyOnEpipe, skipHelpCache } from '../cli/yargs-help.js';

interface CommandModule {
  default: (y: Argv) => Argv;
  /** Rewrites the command line before parsing (exec: flags end at the container id). */
  rewriteArgv?: (argv: string[]) => string[];
  /** The exit status of a failure other than a usage error (runc exec: 255). */
  FAILURE_STATUS?: number;
}

export const COMMANDS: Record<string, () => Promise<CommandModule>> = {
  create: () => import('./lifecycle.js'), start: () => import('./lifecycle.js'), run: () => import('./lifecycle.js'),
  state: () => import('./lifecycle.js'), kill: () => import('./lifecycle.js'), delete: () => import('./lifecycle.js'),
  list: () => import('./lifecycle.js'),
  exec: () => import('./exec.js'), ps: () => import('./process.js'), events: () => import('./process.js'),
  pause: () => import('./process.js'), resume: () => import('./process.js'), update: () => import('./process.js'),
  spec: () => import('./info.js'), features: () => import('./info.js'), checkpoint: () => import('./info.js'), restore: () => import('./info.js'),
};

const yargs = createRequire(import.meta.url)('yargs/yargs') as (args: string[]) => Argv;

export async function main(argv: string[]): Promise<void> {
  endQuietlyOnEpipe();
  const name = commandWord(argv);
  setRuncGlobals({ ...runcGlobals(), ...logFlags(argv) });
  if (name === 'update') argv = joinDashValues(argv);
  const mods = new Map<() => Promise<CommandModule>, CommandModule>();
  const loader = name ? COMMANDS[name] : undefined;
  if (loader) mods.set(loader, await loader());
  const mod = loader ? mods.get(loader) : undefined;
  if (mod?.rewriteArgv) argv = mod.rewriteArgv(argv);
  const y = yargs(argv)
    .scriptName('tsctr-runc')
    .usage('$0 [global options] <command> [options]\n\nAn OCI runtime with runc\'s command line (tsctr).')
    .option('root', { type: 'string', default: '/run/tsctr-runc', describe: 'root directory for storage of container state (tmpfs)' })
    .option('log', { type: 'string', describe: 'log file for errors (default: stderr only)' })
    .option('log-format', { choices: ['text', 'json'], default: 'text', describe: 'log format' })
    .option('debug', { type: 'boolean', default: false, describe: 'debug output (stack traces)' })
    .option('systemd-cgroup', { type: 'boolean', default: false, describe: 'manage cgroups through systemd (not available here)' })
    .option('criu', { type: 'string', hidden: true })
    .option('rootless', { type: 'string', hidden: true })
    .parserConfiguration({ 'parse-positional-numbers': false, 'halt-at-non-option': false, 'boolean-negation': false })
    .strict()
    .demandCommand(1, 'name a command; see tsctr-runc --help')
    .version(false)
    .option('version', { alias: 'v', type: 'boolean', describe: 'print the version' })
    .help().alias('h', 'help')
    .middleware((a) => {
      setRuncGlobals({ root: String(a.root), log: a.log as string | undefined, logFormat: a['log-format'] as 'text' | 'json', debug: !!a.debug, systemdCgroup: !!a['systemd-cgroup'] });
      if (runcGlobals().systemdCgroup && !existsSync('/run/systemd/system')) throw new RuncUsageError('systemd cgroup flag passed, but systemd support for managing cgroups is not available (systemd is not running: /run/systemd/system is missing)');
    })
    .fail((msg, err) => { throw err ?? new RuncUsageError(msg ?? 'invalid usage'); });
  for (const [cmd, load] of Object.entries(COMMANDS)) {
    const m = mods.get(load);
    if (m) m.default(y);
    else if (!mods.has(load)) y.command(cmd, '', () => {}, () => {});
  }
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
    try {
      writeSync(1, `tsctr-runc version 0.1.0\nspec: 1.2.0\n`);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EPIPE') throw e; // the reader went away: nothing to say
    }
    return;
  }
  skipHelpCache(y);
  try {
    await y.parseAsync();
  } catch (err) {
    reportError(err);
    const own = typeof (err as { exitCode?: number }).exitCode === 'number' ? (err as { exitCode: number }).exitCode : 1;
    process.exitCode = err instanceof RuncUsageError ? 1 : (mod?.FAILURE_STATUS ?? own);
  }
}

export const VALUED = ['--root', '--log', '--log-format', '--criu', '--rootless'];

/** The command: the first word that is neither a flag nor a global flag's value (bin/launch.cjs finds it the same way). */
export function commandWord(argv: string[]): string | undefined {
  return argv.find((a, i) => !a.startsWith('-') && !VALUED.includes(argv[i - 1] ?? ''));
}

/**
 * --log and --log-format read ahead of the parser: a usage error (an unknown
 * flag the shim passes) must reach the log too, as the shim only shows the
 * log's last error line.
 */
export function logFlags(argv: string[]): Partial<RuncGlobals> {
  const r: Partial<RuncGlobals> = {};
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split(/=(.*)/s, 2) as [string, string | undefined];
    const value = inline ?? argv[i + 1];
    if (flag === '--log' && value) r.log = value;
    else if (flag === '--log-format' && (value === 'json' || value === 'text')) r.logFormat = value;
    if (!flag.startsWith('-')) break; // the command: global flags come before it
    if (inline === undefined && VALUED.includes(flag)) i++;
  }
  return r;
}

/** yargs reads a lone "-" as a positional, never as a flag's value: `update -r -` (stdin) becomes `-r=-`. */
export function joinDashValues(argv: string[]): string[] {
  const out: string[] = [];
  for (const a of argv) {
    const prev = out[out.length - 1];
    if (a === '-' && (prev === '--resources' || prev === '-r')) out[out.length - 1] = `${prev}=-`;
    else out.push(a);
  }
  return out;
}

// What the command modules import from here (report.ts holds them, without yargs).
export { RuncUsageError, errorText, logLine, reportError, runcGlobals, warn, type RuncGlobals } from './report.js';
