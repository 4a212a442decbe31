// How tsctr-runc reports, for the yargs front end (main.ts) and the fast path
// (fast-run.ts) alike: the global flags that say where the log goes, one line
// on stderr as runc prints it, and with --log a logrus-style line (text, or
// JSON {level, msg, time} with --log-format json, the shim shows the last one).
import { appendFileSync, writeSync } from 'node:fs';
import { isExpected } from '../cli/errors.js';

export interface RuncGlobals {
  root: string;
  log?: string;
  logFormat: 'text' | 'json';
  debug: boolean;
  systemdCgroup: boolean;
}

let globals: RuncGlobals = { root: '/run/tsctr-runc', logFormat: 'text', debug: false, systemdCgroup: false };
export const runcGlobals = (): RuncGlobals => globals;
export function setRuncGlobals(g: RuncGlobals): void {
  globals = g;
}

export class RuncUsageError extends Error {}

/** One line on stderr (runc's "tsctr-runc: msg"), and the log line the shim reads. */
export function reportError(err: unknown): void {
  const msg = errorText(err);
  writeSync(2, `${msg}\n`);
  if (globals.debug || !(isExpected(err) || err instanceof RuncUsageError)) writeSync(2, `${err instanceof Error ? err.stack : String(err)}\n`);
  logLine('error', msg);
}

export function errorText(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  const hint = (err as { hint?: string }).hint;
  return hint ? `${msg} (hint: ${hint})` : msg;
}

export function logLine(level: 'error' | 'warning' | 'info' | 'debug', msg: string): void {
  if (!globals.log) return;
  const time = new Date().toISOString();
  const line = globals.logFormat === 'json' ? JSON.stringify({ level, msg, time }) : `time="${time}" level=${level} msg=${JSON.stringify(msg)}`;
  try { appendFileSync(globals.log, line + '\n'); } catch { /* the log is best effort */ }
}

/** A warning: on stderr and in the log. */
export function warn(line: string): void {
  writeSync(2, line + '\n');
  logLine('warning', line.replace(/^warning: /, ''));
}
