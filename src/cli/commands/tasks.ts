import type { Argv } from 'yargs';
import { openManager } from '../container-manager.js';
import { setOperation, type GlobalArgs } from '../context.js';
import { NotFoundError } from '../../errors.js';
import { exitCodeOf } from '../../sys/types.js';
import { addListFlags, listFormatOf, type ListArgs } from '../flags.js';
import { formatMetric, printList } from '../render.js';
import { listTasksCommand } from '../quick/tasks-ls.js';


const EXEC_VALUE_OPTIONS = new Set(['--env', '-e', '--cwd', '--user', '-u', '--exec-id', '--root', '--state', '--namespace', '-n']);

/** `tasks exec ID sh -c …`: options end at the container id, as in `run`. */
export function prepareArgv(argv: string[], commandIndex: number): string[] {
  const sub = argv.findIndex((a, i) => i > commandIndex && !a.startsWith('-'));
  if (sub < 0 || argv[sub] !== 'exec') return argv;
  for (let i = sub + 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return argv;
    if (EXEC_VALUE_OPTIONS.has(a)) { i++; continue; }
    if (!a.startsWith('-')) return [...argv.slice(0, i + 1), '--', ...argv.slice(i + 1)];
  }
  return argv;
}

export default function register(y: Argv): Argv {
  return y
    .command(['ls', 'list'], 'list tasks: running, and stopped detached ones', (s) => addListFlags(s, 'task ids'), async (argv) => listTasksCommand(argv as unknown as GlobalArgs & ListArgs))
    .command('start <id>', 'start a container\'s task; waits for it and exits with its code unless -d', (s) => s.positional('id', { type: 'string', demandOption: true })
      .option('detach', { alias: 'd', type: 'boolean', default: false, describe: 'leave the task running under tsctr-monitor (output in its log)' })
      .option('tty', { alias: 't', type: 'boolean', default: false, describe: 'allocate a terminal (also when the container was created without -t)' })
      .option('trace', { type: 'boolean', default: false, describe: 'print each launch step as it runs' }), async (argv) => {
      const a = argv as unknown as GlobalArgs & { id: string; detach: boolean; tty: boolean; trace: boolean };
      setOperation(`tasks start ${a.id}`);
      const { startTask } = await import('../../container/start.js');
      const m = await openManager(a);
      process.exitCode = await startTask({ store: m.store, sys: m.sys, id: a.id, detach: a.detach, tty: a.tty, notice: m.notice, trace: a.trace ? (l) => process.stderr.write(l + '\n') : undefined });
    })
    .command(['rm <id>', 'delete', 'del', 'remove'], 'delete a stopped task (release its mounts and cgroup); prints its exit status', (s) => s.positional('id', { type: 'string', demandOption: true })
      .option('force', { alias: 'f', type: 'boolean', default: false, describe: 'kill a running task first' }), async (argv) => {
      const a = argv as unknown as GlobalArgs & { id: string; force: boolean };
      const { deleteTask } = await import('../../container/manage.js');
      const st = await deleteTask(await openManager(a), a.id, a.force);
      process.stdout.write(`${a.id}: ${st ? `exited with status ${exitCodeOf(st)}` : 'exit status unknown'}\n`);
    })
    .command('pause <id>', 'freeze every process of a task (cgroup freezer); tasks ls shows PAUSED', (s) => s.positional('id', { type: 'string', demandOption: true }), async (argv) => {
      const a = argv as unknown as GlobalArgs & { id: string };
      const { pauseTask } = await import('../../container/pause.js');
      await pauseTask(await openManager(a), a.id);
    })
    .command('resume <id>', 'thaw a paused task', (s) => s.positional('id', { type: 'string', demandOption: true }), async (argv) => {
      const a = argv as unknown as GlobalArgs & { id: string };
      const { resumeTask } = await import('../../container/pause.js');
      await resumeTask(await openManager(a), a.id);
    })
    .command('logs <id>', 'print the output of a detached task (run -d)', (s) => s.positional('id', { type: 'string', demandOption: true }), async (argv) => {
      const a = argv as unknown as GlobalArgs & { id: string };
      const m = await openManager(a);
      const t = m.store.getTask(a.id);
      if (!t?.logFile) throw new NotFoundError(`container "${a.id}" has no detached task with a log`, { hint: 'only run -d keeps a log; a foreground run writes to your terminal' });
      const { createReadStream, existsSync } = await import('node:fs');
      // The monitor keeps the last 1-2 MiB: log.1 is the older segment.
      for (const f of [`${t.logFile}.1`, t.logFile].filter((f, i) => i === 1 || existsSync(f))) {
        await new Promise<void>((resolve, reject) => createReadStream(f).on('error', reject).on('end', resolve).pipe(process.stdout, { end: false }));
      }
    })
    .command('attach <id>', 'connect your terminal to a detached task (run -d -t); the detach keys leave it running', (s) => s.positional('id', { type: 'string', demandOption: true })
      .option('detach-keys', { type: 'string', describe: 'keys that detach, Docker\'s syntax (default ctrl-p,ctrl-q)' })
      .example('tsctr tasks attach web', 'type ctrl-p ctrl-q to detach; attach exits with the task\'s exit code when it ends')
      .example('tsctr tasks attach --detach-keys ctrl-x,y web', 'detach with ctrl-x then y'), async (argv) => {
      const a = argv as unknown as GlobalArgs & { id: string; 'detach-keys'?: string };
      setOperation(`tasks attach ${a.id}`);
      const { parseDetachKeys, DEFAULT_DETACH_KEYS } = await import('../../container/attach-protocol.js');
      const detachKeys = parseDetachKeys(a['detach-keys'] ?? DEFAULT_DETACH_KEYS);
      const { attachTask } = await import('../../container/attach.js');
      const m = await openManager(a);
      process.exitCode = await attachTask({ store: m.store, sys: m.sys, id: a.id, detachKeys, onDetach: () => process.stderr.write(`\r\ntsctr: detached from ${a.id}; it keeps running (tsctr tasks attach ${a.id} to come back)\r\n`) });
    })
    .command('kill <id>', 'signal a task (default SIGTERM)', (s) => s.positional('id', { type: 'string', demandOption: true })
      .option('signal', { alias: 's', type: 'string', default: 'SIGTERM', describe: 'signal name or number' })
      .option('all', { alias: 'a', type: 'boolean', default: false, describe: 'signal every process in the container (the cgroup is frozen meanwhile)' })
      .option('trace', { type: 'boolean', default: false, describe: 'print how each process was signalled' }), async (argv) => {
      const a = argv as unknown as GlobalArgs & { id: string; signal: string; all: boolean; trace: boolean };
      const { killTask, parseSignal } = await import('../../container/manage.js');
      await killTask(await openManager(a), a.id, parseSignal(a.signal), a.all, a.trace ? (l) => process.stderr.write(l + '\n') : undefined);
    })
    .command('ps <id>', 'list the processes of a task (host pids)', (s) => addListFlags(s, 'pids').positional('id', { type: 'string', demandOption: true }), async (argv) => {
      const a = argv as unknown as GlobalArgs & ListArgs & { id: string };
      const { taskPids } = await import('../../container/manage.js');
      const { readFileSync } = await import('node:fs');
      const cmd = (pid: number) => { try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim(); } catch { return ''; } };
      const rows = (await taskPids(await openManager(a), a.id)).map((pid) => ({ pid, command: cmd(pid) }));
      printList(listFormatOf(a), rows, { headers: ['PID', 'COMMAND'], row: (r) => [r.pid, r.command], id: (r) => r.pid });
    })
    .command('metrics <id>', 'print cgroup usage of a task (JSON: name, value, unit)', (s) => addListFlags(s, 'metric names').positional('id', { type: 'string', demandOption: true }), async (argv) => {
      const a = argv as unknown as GlobalArgs & ListArgs & { id: string };
      const { taskMetrics } = await import('../../container/manage.js');
      const m = await taskMetrics(await openManager(a), a.id);
      printList(listFormatOf(a), m, { headers: ['METRIC', 'VALUE'], row: (x) => [x.name, formatMetric(x.value, x.unit)], id: (x) => x.name, json: (x) => ({ ...x, value: x.value ?? null }) });
    })
    .command('exec <id>', 'run another process in a running container', (s) => s
      .usage('tsctr tasks exec [flags] ID COMMAND [ARG...]')
      .parserConfiguration({ 'populate--': true, 'parse-positional-numbers': false })
      .positional('id', { type: 'string', demandOption: true })
      .option('tty', { alias: 't', type: 'boolean', default: false, describe: 'allocate a terminal' })
      .option('env', { alias: 'e', type: 'string', describe: 'add NAME=value (repeatable)' })
      .option('cwd', { type: 'string', describe: 'working directory (default: the container\'s)' })
      .option('user', { alias: 'u', type: 'string', describe: 'uid[:gid] or a name from the container\'s /etc/passwd' })
      .option('exec-id', { type: 'string', describe: 'the exec process\'s id in events (default exec-<random>)' })
      .option('trace', { type: 'boolean', default: false, describe: 'print each launch step' }), async (argv) => {
      const a = argv as unknown as GlobalArgs & { id: string; '--'?: string[]; tty: boolean; env?: string | string[]; cwd?: string; user?: string; 'exec-id'?: string; trace: boolean };
      setOperation(`tasks exec ${a.id}`);
      const { execInContainer } = await import('../../container/exec.js');
      const m = await openManager(a);
      process.exitCode = await execInContainer({
        root: a.root, state: a.state, namespace: a.namespace, sys: m.sys, id: a.id, args: (a['--'] ?? []).map(String),
        tty: a.tty, env: ([] as string[]).concat(a.env ?? []), cwd: a.cwd, user: a.user, execId: a['exec-id'], notice: m.notice, trace: a.trace ? (l) => process.stderr.write(l + '\n') : undefined,
      });
    })
    .demandCommand(1, 'name a subcommand: start, ls, attach, exec, kill, pause, resume, ps, metrics, logs, rm');
}
