// The fast path's parser: bin/launch.cjs asks it, before any yargs is loaded,
// whether a command line is one of the quick commands (version, images ls,
// containers ls, tasks ls; tsctr-runc's in src/cli-runc/fast-argv.ts) written
// in a form it fully understands. If so the launcher runs that command's small
// bundle (src/cli/quick/*.ts) with the arguments parsed here, exactly as the
// yargs front end would have given them; if not (undefined), the command line
// goes to yargs unchanged. So the parser only has to be right about what it
// accepts: --help, -h, --version, an unknown or repeated flag, a missing or
// empty value, a value that starts with '-', `--`, a lone '-', an extra word,
// an alias yargs would expand (--no-x, camelCase, dotted), a bad namespace or
// format: all go to yargs, which prints what it always printed.
// test/unit/cli/fast-argv.test.ts (hostile input) and
// test/integration/cli/fast-equivalence.test.ts (both paths, same bytes) hold it to that.
import { validateNamespace } from './context.js';

export interface OptionSpec {
  key: string;
  kind: 'string' | 'boolean';
}

export interface Scanned {
  words: string[];
  values: Map<string, string | true>;
}

/**
 * Splits argv into words and the options of `spec` (flag spelling → key):
 * `--flag value`, `--flag=value`, `-f value`, `-f=value`, a boolean as just
 * `--flag`. Undefined for anything else (see the top of this file).
 */
export function scanArgs(argv: readonly string[], spec: ReadonlyMap<string, OptionSpec>): Scanned | undefined {
  const words: string[] = [];
  const values = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (typeof a !== 'string' || a === '') return undefined;
    if (a[0] !== '-') { words.push(a); continue; }
    const eq = a.indexOf('=');
    const flag = eq > 0 ? a.slice(0, eq) : a;
    const o = spec.get(flag);
    if (!o || values.has(o.key)) return undefined;
    if (o.kind === 'boolean') {
      if (eq > 0) return undefined;
      values.set(o.key, true);
      continue;
    }
    const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
    if (v === undefined || v === '' || v[0] === '-') return undefined;
    values.set(o.key, v);
  }
  return { words, values };
}

export function optionSpec(table: Record<string, readonly [key: string, kind: OptionSpec['kind']]>): Map<string, OptionSpec> {
  return new Map(Object.entries(table).map(([flag, [key, kind]]) => [flag, { key, kind }]));
}

const GLOBAL = { '--root': ['root', 'string'], '--state': ['state', 'string'], '--namespace': ['namespace', 'string'], '-n': ['namespace', 'string'], '--debug': ['debug', 'boolean'] } as const;
const LIST_SPEC = optionSpec({ ...GLOBAL, '--format': ['format', 'string'], '--json': ['json', 'boolean'], '--quiet': ['quiet', 'boolean'], '-q': ['quiet', 'boolean'] });
/** `version` takes --json but not the listings' --format and -q. */
const NOT_VERSION = ['format', 'quiet'];

/** The command words (as src/cli/main.ts GROUPS spells them and their aliases) → the quick command. */
const LISTS = new Map([['images', 'images-ls'], ['image', 'images-ls'], ['i', 'images-ls'], ['containers', 'containers-ls'], ['container', 'containers-ls'], ['c', 'containers-ls'], ['tasks', 'tasks-ls'], ['task', 'tasks-ls'], ['t', 'tasks-ls']]);
const LS = new Set(['ls', 'list']);

export interface FastCommand {
  /** The quick command: its bundle is dist/bundle/<entry>.fast.<command>.cjs. */
  command: string;
  /** What its `fast` entry takes. */
  args: Record<string, unknown>;
}

export function parseTsctrFast(argv: readonly string[], env: Record<string, string | undefined>): FastCommand | undefined {
  const s = scanArgs(argv, LIST_SPEC);
  if (!s) return undefined;
  let command: string | undefined;
  if (s.words.length === 1 && s.words[0] === 'version' && !NOT_VERSION.some((k) => s.values.has(k))) command = 'version';
  else if (s.words.length === 2 && LS.has(s.words[1]!)) command = LISTS.get(s.words[0]!);
  if (!command) return undefined;
  const v = s.values;
  // The defaults addGlobalOptions (src/cli/context.ts) gives yargs.
  const args = {
    root: (v.get('root') as string | undefined) ?? env.TSCTR_ROOT ?? '/var/lib/tsctr',
    state: (v.get('state') as string | undefined) ?? env.TSCTR_STATE ?? '/run/tsctr',
    namespace: (v.get('namespace') as string | undefined) ?? env.TSCTR_NAMESPACE ?? 'default',
    debug: v.has('debug'),
    format: v.get('format') as string | undefined,
    json: v.has('json'),
    quiet: v.has('quiet'),
  };
  if (validateNamespace(args.namespace)) return undefined; // yargs' middleware says why
  if (args.format !== undefined && args.format !== 'table' && args.format !== 'json') return undefined;
  return { command, args };
}
