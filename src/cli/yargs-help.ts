// What both front ends (src/cli, src/cli-runc) change in how yargs runs.
import type { Argv } from 'yargs';

/**
 * yargs renders the whole help text after starting every command's handler
 * (usage.cacheHelpMessage, ~14 ms of `images ls` here), to show it should the
 * handler fail later. Failures here never show help (.fail() throws, the catch
 * in main prints one line), so the text is only made when --help asks for it.
 */
export function skipHelpCache(y: Argv): void {
  const usage = (y as unknown as { getInternalMethods?: () => { getUsageInstance: () => { cacheHelpMessage?: () => void } } }).getInternalMethods?.().getUsageInstance();
  if (usage && typeof usage.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => {};
}

/**
 * yargs writes --help and --version through process.stdout, asynchronously; a
 * reader that went away (`tsctr --version | true`) made that an unhandled EPIPE
 * with a stack trace. Output just ends, as the quick commands' does (table.ts).
 */
export function endQuietlyOnEpipe(): void {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    process.exit(process.exitCode ?? 0);
  });
}
