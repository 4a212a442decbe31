// create, start, run, state, kill, delete, list: runc's lifecycle commands.
import type { Argv } from 'yargs';
import { create, kill, remove, start, stateOf, type Runtime } from '../oci/lifecycle.js';
import { parseSignal } from '../oci/signals.js';
import { checkId, ociState, type ContainerRecord, type Status } from '../oci/state.js';
import { closeSync } from 'node:fs';
import { checkConsoleFlags, connectConsoleSocket } from '../oci/console.js';
import { loadBundle } from '../oci/bundle.js';
import { SIGNALS } from '../sys/constants.js';
import { exitCodeOf } from '../sys/index.js';
import { openRuntime, out } from './runtime.js';

interface CreateArgs { id: string; bundle: string; 'pid-file'?: string; 'console-socket'?: string; 'no-pivot': boolean; 'preserve-fds': number }

function createOptions(y: Argv) {
  return y.positional('id', { type: 'string', demandOption: true, describe: 'container id' })
    .option('bundle', { alias: 'b', type: 'string', default: '.', describe: 'path to the bundle (config.json and rootfs)' })
    .option('pid-file', { type: 'string', describe: 'write the process id to this file' })
    .option('console-socket', { type: 'string', describe: 'unix socket that receives the pty master (SCM_RIGHTS)' })
    .option('no-pivot', { type: 'boolean', default: false, describe: 'MS_MOVE + chroot instead of pivot_root' })
    .option('no-new-keyring', { type: 'boolean', default: false, describe: 'accepted (no session keyring is made)' })
    .option('preserve-fds', { type: 'number', default: 0, describe: 'pass N more fds (3..3+N-1) to the process' });
}

/** create's steps shared with run: with process.terminal, the container opens the pty and sends its master to the console socket. */
async function createFrom(rt: Runtime, a: CreateArgs, detach = true): Promise<ContainerRecord> {
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

export default function register(y: Argv): Argv {
  return y
    .command('create <id>', 'create a container (its process waits for start)', createOptions, async (a) => {
      await createFrom(await openRuntime(), a as unknown as CreateArgs);
    })
    .command('start <id>', 'start a created container', (c) => c.positional('id', { type: 'string', demandOption: true }), async (a) => {
      await start(await openRuntime(), a.id);
    })
    .command('run <id>', 'create and start a container; wait for it unless --detach', (c) => createOptions(c).option('detach', { alias: 'd', type: 'boolean', default: false }), async (a) => {
      const rt = await openRuntime();
      const r = await createFrom(rt, a as unknown as CreateArgs, a.detach);
      try {
        await start(rt, a.id);
      } catch (e) {
        await remove(rt, a.id, true).catch(() => undefined);
        throw e;
      }
      if (a.detach) return;
      // The process is our child: forward signals, wait, then delete as runc run does.
      const fwd = (s: NodeJS.Signals) => { try { rt.sys.kill(r.pid, SIGNALS[s]!); } catch { /* gone */ } };
      for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const) process.on(s, fwd);
      const status = await rt.sys.wait(r.pid);
      await remove(rt, a.id, true);
      process.exitCode = exitCodeOf(status);
    })
    .command('state <id>', 'print the state of a container (JSON)', (c) => c.positional('id', { type: 'string', demandOption: true }), async (a) => {
      const rt = await openRuntime();
      const { record, status } = stateOf(rt, a.id);
      out(JSON.stringify(fullState(record, status), null, '  ') + '\n');
    })
    .command('kill <id> [signal]', 'send a signal to the container\'s process (default SIGTERM)', (c) => c.positional('id', { type: 'string', demandOption: true }).positional('signal', { type: 'string', default: 'SIGTERM' }).option('all', { alias: 'a', type: 'boolean', default: false, describe: 'signal every process in the container' }), async (a) => {
      await kill(await openRuntime(), a.id, parseSignal(a.signal), a.all);
    })
    .command('delete <id>', 'delete a container and everything it holds', (c) => c.positional('id', { type: 'string', demandOption: true }).option('force', { alias: 'f', type: 'boolean', default: false, describe: 'kill a running container first' }), async (a) => {
      await remove(await openRuntime(), a.id, a.force);
    })
    .command(['list', 'ls'], 'list containers', (c) => c.option('format', { alias: 'f', choices: ['table', 'json'], default: 'table' }).option('quiet', { alias: 'q', type: 'boolean', default: false }), async (a) => {
      const rt = await openRuntime();
      const rows = rt.dir.ids().flatMap((id) => { try { const s = stateOf(rt, id); return [fullState(s.record, s.status)]; } catch { return []; } });
      if (a.quiet) out(rows.map((r) => r.id + '\n').join(''));
      else if (a.format === 'json') out(JSON.stringify(rows) + '\n');
      else out(table(rows));
    });
}

/** runc's state JSON: the runtime-spec fields plus rootfs, created and owner, which go-runc reads. */
function fullState(r: ContainerRecord, status: Status) {
  return { ...ociState(r, status), pid: status === 'stopped' ? 0 : r.pid, rootfs: r.rootfs, created: r.created, owner: '' };
}

function table(rows: ReturnType<typeof fullState>[]): string {
  const head = ['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'];
  const cells = rows.map((r) => [r.id, String(r.pid), r.status, r.bundle, r.created, 'root']);
  const w = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  return [head, ...cells].map((c) => c.map((v, i) => (i < c.length - 1 ? v.padEnd(w[i]! + 3) : v)).join('').trimEnd() + '\n').join('');
}
