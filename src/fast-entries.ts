// The fast path (README "Start-up"): for each front end of entries.ts, the
// parser bin/launch.cjs asks first, and each quick command it may answer with,
// as [module under dist/src, export]. tools/build-bundle.mjs makes one small
// bundle per quick command, dist/bundle/<front end>.fast.<command>.cjs, holding
// only that export's imports (no yargs, cli-table3 or chalk), and one of this
// module, fast-argv.cjs, which the launcher loads to parse.
//   TSCTR_FAST=0   always take the yargs front end (what the equivalence test compares against)
import { parseTsctrFast, type FastCommand } from './cli/fast-argv.js';
import { parseRuncFast } from './cli-runc/fast-argv.js';

export type { FastCommand };

export const FAST: Record<string, { parse: (argv: readonly string[], env: Record<string, string | undefined>) => FastCommand | undefined; commands: Record<string, [module: string, exportName: string]> }> = {
  tsctr: {
    parse: parseTsctrFast,
    commands: {
      version: ['cli/quick/version.js', 'fast'],
      'images-ls': ['cli/quick/images-ls.js', 'fast'],
      'containers-ls': ['cli/quick/containers-ls.js', 'fast'],
      'tasks-ls': ['cli/quick/tasks-ls.js', 'fast'],
    },
  },
  'tsctr-runc': {
    parse: parseRuncFast,
    commands: {
      create: ['cli-runc/verbs.js', 'fastCreate'], start: ['cli-runc/verbs.js', 'fastStart'], state: ['cli-runc/verbs.js', 'fastState'],
      kill: ['cli-runc/verbs.js', 'fastKill'], delete: ['cli-runc/verbs.js', 'fastDelete'], list: ['cli-runc/verbs.js', 'fastList'],
    },
  },
};

/** What the launcher calls: the quick command for this command line, or undefined (take yargs). Never throws. */
export function pickFast(name: string, argv: readonly string[], env: Record<string, string | undefined>): FastCommand | undefined {
  try {
    const f = Object.hasOwn(FAST, name) ? FAST[name]! : undefined;
    const c = f?.parse(argv, env);
    return c && Object.hasOwn(f!.commands, c.command) ? c : undefined;
  } catch {
    return undefined;
  }
}
