// The fast path's parser for tsctr-runc (see src/cli/fast-argv.ts): the verbs
// engines run several times per container (create, start, state, kill,
// delete, list) in the forms go-runc writes them. Undefined sends the command
// line to yargs unchanged: --help, --version, --systemd-cgroup (yargs checks
// for systemd), the hidden --criu/--rootless, anything unknown or odd.
import { optionSpec, scanArgs, type FastCommand } from '../cli/fast-argv.js';
import type { RuncGlobals } from './report.js';

const GLOBAL = { '--root': ['root', 'string'], '--log': ['log', 'string'], '--log-format': ['log-format', 'string'], '--debug': ['debug', 'boolean'] } as const;

const VALUED = ['--root', '--log', '--log-format'];

/** Each verb: its own flags (as lifecycle.ts declares them), and how many words follow it (id, kill's optional signal). */
const VERBS: Record<string, { spec: ReturnType<typeof optionSpec>; min: number; max: number }> = {
  state: { spec: optionSpec(GLOBAL), min: 1, max: 1 },
  start: { spec: optionSpec(GLOBAL), min: 1, max: 1 },
  delete: { spec: optionSpec({ ...GLOBAL, '--force': ['force', 'boolean'], '-f': ['force', 'boolean'] }), min: 1, max: 1 },
  kill: { spec: optionSpec({ ...GLOBAL, '--all': ['all', 'boolean'], '-a': ['all', 'boolean'] }), min: 1, max: 2 },
  list: { spec: optionSpec({ ...GLOBAL, '--format': ['format', 'string'], '-f': ['format', 'string'], '--quiet': ['quiet', 'boolean'], '-q': ['quiet', 'boolean'] }), min: 0, max: 0 },
  create: {
    spec: optionSpec({
      ...GLOBAL, '--bundle': ['bundle', 'string'], '-b': ['bundle', 'string'], '--pid-file': ['pid-file', 'string'], '--console-socket': ['console-socket', 'string'],
      '--no-pivot': ['no-pivot', 'boolean'], '--no-new-keyring': ['no-new-keyring', 'boolean'], '--preserve-fds': ['preserve-fds', 'string'],
    }),
    min: 1, max: 1,
  },
};

export function parseRuncFast(argv: readonly string[]): FastCommand | undefined {
  // The verb is the first word that is not a global flag's value, as main.ts commandWord finds it.
  const verbAt = argv.findIndex((a, i) => typeof a === 'string' && a !== '' && a[0] !== '-' && !VALUED.includes(argv[i - 1] ?? ''));
  // Not `ls`: main.ts loads a command module by COMMANDS' words, which have no `ls`, so yargs refuses it.
  const word = argv[verbAt];
  const verb = word !== undefined && Object.hasOwn(VERBS, word) ? VERBS[word]! : undefined;
  if (!verb) return undefined;
  const s = scanArgs(argv, verb.spec);
  if (!s || s.words[0] !== argv[verbAt] || s.words.length - 1 < verb.min || s.words.length - 1 > verb.max) return undefined;
  const v = s.values;
  const logFormat = (v.get('log-format') as string | undefined) ?? 'text';
  if (logFormat !== 'text' && logFormat !== 'json') return undefined;
  const globals: RuncGlobals = { root: (v.get('root') as string | undefined) ?? '/run/tsctr-runc', log: v.get('log') as string | undefined, logFormat, debug: v.has('debug'), systemdCgroup: false };
  const [, id, signal] = s.words;
  let args: Record<string, unknown>;
  switch (word) {
    case 'state': case 'start': args = { id }; break;
    case 'delete': args = { id, force: v.has('force') }; break;
    case 'kill': args = { id, signal: signal ?? 'SIGTERM', all: v.has('all') }; break;
    case 'list': {
      const format = (v.get('format') as string | undefined) ?? 'table';
      if (format !== 'table' && format !== 'json') return undefined;
      args = { format, quiet: v.has('quiet') };
      break;
    }
    default: {
      // yargs reads --preserve-fds as a number: only plain decimal digits are taken here.
      const fds = (v.get('preserve-fds') as string | undefined) ?? '0';
      if (!/^[0-9]{1,9}$/.test(fds)) return undefined;
      args = { id, bundle: (v.get('bundle') as string | undefined) ?? '.', 'pid-file': v.get('pid-file'), 'console-socket': v.get('console-socket'), 'no-pivot': v.has('no-pivot'), 'no-new-keyring': v.has('no-new-keyring'), 'preserve-fds': Number(fds) };
    }
  }
  return { command: word!, args: { globals, args } };
}
