// How a failed command ends, for the yargs front end (main.ts) and the quick
// commands (fast-run.ts) alike: one line on stderr, a stack only with --debug
// or for a bug, exit 2 for a usage error, else the error's own code or 1.
import { currentOperation } from './context.js';
import { formatError, isExpected } from './errors.js';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The global options that take a value (bin/launch.cjs skips them too, to find the command word: see tools/build-bundle.mjs). */
export const GLOBAL_VALUE_OPTIONS_LIST = ['--root', '--state', '--namespace', '-n'];
const GLOBAL_VALUE_OPTIONS = new Set(GLOBAL_VALUE_OPTIONS_LIST);

/** Words that are neither options nor the global options' values: the command, subcommand, operands. */
export function operands(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') { out.push(...argv.slice(i + 1)); break; }
    if (GLOBAL_VALUE_OPTIONS.has(a)) { i++; continue; }
    if (!a.startsWith('-')) out.push(a);
  }
  return out;
}

export function reportFailure(err: unknown, argv: string[]): void {
  const debug = argv.includes('--debug');
  const op = currentOperation() ?? operands(argv).slice(0, 2).join(' ');
  if (err instanceof UsageError) {
    process.stderr.write(`tsctr: ${err.message}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(formatError(err, op) + '\n');
    if (debug || !isExpected(err)) process.stderr.write((err instanceof Error ? err.stack : String(err)) + '\n');
    process.exitCode = typeof (err as { exitCode?: number }).exitCode === 'number' ? (err as { exitCode: number }).exitCode : 1;
  }
}
