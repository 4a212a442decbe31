// What runc's lifecycle verbs do once their flags are parsed, for the yargs
// front end (lifecycle.ts registers them) and the fast path (src/fast-entries.ts:
// bin/launch.cjs runs each verb's own bundle, built from the `fast*` exports
// here, with the flags src/cli-runc/fast-argv.ts parsed). The fast bundles are
// tree-shaken: `state` carries nothing of create's.
import { closeSync } from 'node:fs';
import { create, kill, remove, start, stateOf, type Runtime } from '../oci/lifecycle.js';
import { parseSignal } from '../oci/signals.js';
import { checkId, ociState, type ContainerRecord, type Status } from '../oci/state.js';
import { checkConsoleFlags, connectConsoleSocket } from '../oci/console.js';
import { loadBundle } from '../oci/bundle.js';
import { RuncUsageError, reportError, setRuncGlobals, type RuncGlobals } from './report.js';
import { openRuntime, out } from './runtime.js';

export interface CreateArgs { id: string; bundle: string; 'pid-file'?: string; 'console-socket'?: string; 'no-pivot': boolean; 'preserve-fds': number }
export interface KillArgs { id: string; signal: string; all: boolean }
export interface ListArgs { format: string; quiet: boolean }

/** create's steps shared with run: with process.terminal, the container opens the pty and sends its master to the console socket. */
export async function createFrom(rt: Runtime, a: CreateArgs, detach = true): Promise<ContainerRecord> {
  checkId(a.id);
  const { spec } = loadBundle(a.bundle);
  checkConsoleFlags(spec.process ?? {}, a['console-socket'], detach, 'run');
  const console = a['console-socket'] && spec.process?.terminal ? connectConsoleSocket(rt.sys, a['console-socket'], spec.process) : undefined;
  try {
    return await create(rt, { id: a.id, bundle: a.bundle, pidFile: a['pid-file'], noPivot: a['no-pivot'], preserveFds: a['preserve-fds'], ...(console ? { stdio: 'pty', consoleSocket: console } : {}) });
  } finally {
    if (console) closeSync(console.fd);
  }
}

export const createVerb = async (a: CreateArgs) => { await createFrom(await openRuntime(), a); };
export const startVerb = async (a: { id: string }) => { await start(await openRuntime(), a.id); };
export const killVerb = async (a: KillArgs) => { await kill(await openRuntime(), a.id, parseSignal(a.signal), a.all); };
export const deleteVerb = async (a: { id: string; force: boolean }) => { await remove(await openRuntime(), a.id, a.force); };

export async function stateVerb(a: { id: string }): Promise<void> {
  const rt = await openRuntime();
  const { record, status } = stateOf(rt, a.id);
  out(JSON.stringify(fullState(record, status), null, '  ') + '\n');
}

export async function listVerb(a: ListArgs): Promise<void> {
  const rt = await openRuntime();
  const rows = rt.dir.ids().flatMap((id) => { try { const s = stateOf(rt, id); return [fullState(s.record, s.status)]; } catch { return []; } });
  if (a.quiet) out(rows.map((r) => r.id + '\n').join(''));
  else if (a.format === 'json') out(JSON.stringify(rows) + '\n');
  else out(table(rows));
}

/** runc's state JSON: the runtime-spec fields plus rootfs, created and owner, which go-runc reads. */
export function fullState(r: ContainerRecord, status: Status) {
  return { ...ociState(r, status), pid: status === 'stopped' ? 0 : r.pid, rootfs: r.rootfs, created: r.created, owner: '' };
}

function table(rows: ReturnType<typeof fullState>[]): string {
  const head = ['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'];
  const cells = rows.map((r) => [r.id, String(r.pid), r.status, r.bundle, r.created, 'root']);
  const w = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  return [head, ...cells].map((c) => c.map((v, i) => (i < c.length - 1 ? v.padEnd(w[i]! + 3) : v)).join('').trimEnd() + '\n').join('');
}

/** A verb on the fast path: the globals the yargs middleware would set, and main.ts's failure handling. */
function fastVerb<T>(body: (a: T) => Promise<void>) {
  return async (p: { globals: RuncGlobals; args: T }): Promise<void> => {
    setRuncGlobals(p.globals);
    try {
      await body(p.args);
    } catch (err) {
      reportError(err);
      const own = typeof (err as { exitCode?: number }).exitCode === 'number' ? (err as { exitCode: number }).exitCode : 1;
      process.exitCode = err instanceof RuncUsageError ? 1 : own;
    }
  };
}

export const fastCreate = /* @__PURE__ */ fastVerb(createVerb);
export const fastStart = /* @__PURE__ */ fastVerb(startVerb);
export const fastState = /* @__PURE__ */ fastVerb(stateVerb);
export const fastKill = /* @__PURE__ */ fastVerb(killVerb);
export const fastDelete = /* @__PURE__ */ fastVerb(deleteVerb);
export const fastList = /* @__PURE__ */ fastVerb(listVerb);
