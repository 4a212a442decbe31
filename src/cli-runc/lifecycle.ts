// create, start, run, state, kill, delete, list: runc's lifecycle commands.
import type { Argv } from 'yargs';
import { remove, start } from '../oci/lifecycle.js';
import { SIGNALS } from '../sys/constants.js';
import { exitCodeOf } from '../sys/index.js';
import { openRuntime } from './runtime.js';
import { createFrom, createVerb, deleteVerb, killVerb, listVerb, startVerb, stateVerb, type CreateArgs } from './verbs.js';

function createOptions(y: Argv) {
  return y.positional('id', { type: 'string', demandOption: true, describe: 'container id' })
    .option('bundle', { alias: 'b', type: 'string', default: '.', describe: 'path to the bundle (config.json and rootfs)' })
    .option('pid-file', { type: 'string', describe: 'write the process id to this file' })
    .option('console-socket', { type: 'string', describe: 'unix socket that receives the pty master (SCM_RIGHTS)' })
    .option('no-pivot', { type: 'boolean', default: false, describe: 'MS_MOVE + chroot instead of pivot_root' })
    .option('no-new-keyring', { type: 'boolean', default: false, describe: 'accepted (no session keyring is made)' })
    .option('preserve-fds', { type: 'number', default: 0, describe: 'pass N more fds (3..3+N-1) to the process' });
}

export default function register(y: Argv): Argv {
  return y
    .command('create <id>', 'create a container (its process waits for start)', createOptions, (a) => createVerb(a as unknown as CreateArgs))
    .command('start <id>', 'start a created container', (c) => c.positional('id', { type: 'string', demandOption: true }), (a) => startVerb(a))
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
    .command('state <id>', 'print the state of a container (JSON)', (c) => c.positional('id', { type: 'string', demandOption: true }), (a) => stateVerb(a))
    .command('kill <id> [signal]', 'send a signal to the container\'s process (default SIGTERM)', (c) => c.positional('id', { type: 'string', demandOption: true }).positional('signal', { type: 'string', default: 'SIGTERM' }).option('all', { alias: 'a', type: 'boolean', default: false, describe: 'signal every process in the container' }), (a) => killVerb(a))
    .command('delete <id>', 'delete a container and everything it holds', (c) => c.positional('id', { type: 'string', demandOption: true }).option('force', { alias: 'f', type: 'boolean', default: false, describe: 'kill a running container first' }), (a) => deleteVerb(a))
    .command(['list', 'ls'], 'list containers', (c) => c.option('format', { alias: 'f', choices: ['table', 'json'], default: 'table' }).option('quiet', { alias: 'q', type: 'boolean', default: false }), (a) => listVerb(a));
}
