// Global options every command receives, and what the handlers share.
import type { Argv } from 'yargs';

export interface GlobalArgs {
  root: string;
  state: string;
  namespace: string;
  debug: boolean;
}

export function addGlobalOptions<T>(y: Argv<T>) {
  return y
    .option('root', { type: 'string', default: process.env.TSCTR_ROOT ?? '/var/lib/tsctr', describe: 'root directory for content, images and snapshots', global: true })
    .option('state', { type: 'string', default: process.env.TSCTR_STATE ?? '/run/tsctr', describe: 'state directory for running containers', global: true })
    .option('namespace', { alias: 'n', type: 'string', default: process.env.TSCTR_NAMESPACE ?? 'default', describe: 'namespace to use (env TSCTR_NAMESPACE)', global: true })
    .option('debug', { type: 'boolean', default: false, describe: 'print stack traces and debug output', global: true });
}

const NS_RE = /^[a-z0-9]([a-z0-9._-]{0,74}[a-z0-9])?$/;
export function validateNamespace(ns: string): string | undefined {
  return NS_RE.test(ns) ? undefined : `invalid namespace "${ns}": use lowercase letters, digits, '.', '_' and '-' (at most 76 characters)`;
}

let operation: string | undefined;
/** Names what the command is doing, for the one-line error (e.g. `run c1`). */
export function setOperation(op: string): void {
  operation = op;
}
export function currentOperation(): string | undefined {
  return operation;
}
