// Flag groups declared once and appended where needed (ctr's
// commands.RegistryFlags): registry access and platform choice.
import type { Argv } from 'yargs';
import { InvalidArgumentError } from '../errors.js';
import type { Platform } from '../descriptor/index.js';
import type { RemoteOptions } from '../remote/index.js';

/** --snapshotter, the same everywhere (env TSCTR_SNAPSHOTTER). */
export function snapshotterOption(describe = 'snapshotter to use') {
  return { type: 'string', choices: ['overlayfs', 'native'], default: process.env.TSCTR_SNAPSHOTTER ?? 'overlayfs', describe } as const;
}

export interface RegistryArgs {
  'plain-http': boolean;
  tlscacert?: string | string[];
  'skip-verify': boolean;
  user?: string;
  'hosts-dir'?: string;
}

export interface PlatformArgs {
  platform?: string | string[];
  'all-platforms': boolean;
}

export function addRegistryFlags<T>(y: Argv<T>) {
  return y
    .option('plain-http', { type: 'boolean', default: false, describe: 'talk HTTP, not HTTPS, to the registry' })
    .option('tlscacert', { type: 'string', describe: 'CA certificate (PEM) to trust for the registry, repeatable' })
    .option('skip-verify', { alias: 'k', type: 'boolean', default: false, describe: 'do not verify the registry TLS certificate' })
    .option('user', { alias: 'u', type: 'string', describe: 'registry credentials "user[:password]" (asked for when missing)' })
    .option('hosts-dir', { type: 'string', describe: 'containerd-style hosts directory (<dir>/<host>/hosts.toml)' });
}

export function addPlatformFlags<T>(y: Argv<T>, what = 'pull') {
  return y
    .option('platform', { type: 'string', describe: `platform to ${what}, os/arch[/variant] (repeatable; default: this host)` })
    .option('all-platforms', { type: 'boolean', default: false, describe: `${what} every platform of the image` });
}

/** Output of listing commands: --format table|json (--json kept as an alias), -q for ids only. */
export const LIST_FORMATS = ['table', 'json'] as const;
export type ListFormat = (typeof LIST_FORMATS)[number] | 'quiet';

export interface ListArgs {
  format?: string;
  json: boolean;
  quiet: boolean;
}

export function addListFlags<T>(y: Argv<T>, ids = 'ids') {
  return y
    .option('format', { type: 'string', describe: `output format: ${LIST_FORMATS.join(' or ')} (default table)` })
    .option('json', { type: 'boolean', default: false, describe: 'same as --format json' })
    .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: `print only ${ids}, one per line` })
    // A string answer is a usage error: one line, exit 2.
    .check((a) => checkListFormat((a as { format?: unknown }).format) ?? true);
}

/** Undefined when the value is fine, else the one-line complaint naming the allowed values. */
export function checkListFormat(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  const one = Array.isArray(v) ? v[v.length - 1] : v;
  if (typeof one === 'string' && (LIST_FORMATS as readonly string[]).includes(one)) return undefined;
  return `--format ${JSON.stringify(String(one))}: unknown output format; allowed: ${LIST_FORMATS.join(', ')}`;
}

/** -q wins over a format; --json means --format json; a repeated --format takes the last. */
export function listFormatOf(a: ListArgs): ListFormat {
  if (a.quiet) return 'quiet';
  const f = Array.isArray(a.format) ? (a.format as string[])[a.format.length - 1] : a.format;
  if (a.json || f === 'json') return 'json';
  return 'table';
}

export function addConcurrencyFlag<T>(y: Argv<T>) {
  return y.option('max-concurrent-downloads', { type: 'number', default: 3, describe: 'blobs fetched at the same time' });
}

// Repeatable flags are plain strings (yargs gathers repeats into an array):
// an `array: true` option would swallow the positional arguments after it.
export function listOf(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** The parsed platform choice: undefined means this host. */
export async function platformsOf(args: PlatformArgs): Promise<Platform[] | 'all' | undefined> {
  if (args['all-platforms']) return 'all';
  const list = listOf(args.platform);
  if (list.length === 0) return undefined;
  const { parsePlatform } = await import('../image/platform.js');
  return list.flatMap((p) => p.split(',')).map(parsePlatform);
}

export function remoteOptionsOf(args: RegistryArgs & { debug?: boolean }): RemoteOptions {
  return {
    plainHttp: args['plain-http'],
    skipVerify: args['skip-verify'],
    tlsCaCert: listOf(args.tlscacert),
    user: args.user,
    hostsDir: args['hosts-dir'],
    askPassword: process.stdin.isTTY ? askPassword : undefined,
    log: args.debug ? (l) => process.stderr.write(`debug: ${l}\n`) : undefined,
  };
}

/** Read a password from the terminal without echoing it. */
export async function askPassword(prompt: string): Promise<string> {
  process.stderr.write(prompt);
  const stdin = process.stdin;
  stdin.setRawMode?.(true);
  stdin.resume();
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d: Buffer) => {
      for (const ch of d.toString('utf8')) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          done();
          resolve(buf);
          return;
        }
        if (ch === '\u0003') {
          done();
          reject(new Error('interrupted'));
          return;
        }
        if (ch === '\u007f') buf = buf.slice(0, -1);
        else buf += ch;
      }
    };
    const done = () => {
      stdin.off('data', onData);
      stdin.setRawMode?.(false);
      stdin.pause();
      process.stderr.write('\n');
    };
    stdin.on('data', onData);
  });
}

/** key=value pairs from the command line; `key=` (empty value) means remove. */
export function parseLabels(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of list) {
    const i = s.indexOf('=');
    if (i <= 0) throw new InvalidArgumentError(`invalid label "${s}"`, { hint: 'use key=value (key= removes the label)' });
    const key = s.slice(0, i);
    // An assignment to "__proto__" would be dropped silently (or reach the prototype): refuse it by name.
    if (key === '__proto__') throw new InvalidArgumentError(`invalid label key "${key}"`, { hint: 'pick another key' });
    out[key] = s.slice(i + 1);
  }
  return out;
}
