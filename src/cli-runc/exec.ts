// tsctr-runc exec: runc's flags onto the core (src/oci/exec.ts). As go-runc
// (containerd's shim) calls it: exec --process FILE --detach --pid-file F
// [--console-socket S] ID. By hand: exec [flags] ID PROGRAM [ARGS…]; flags
// end at the id, as runc's do, so `exec ID sh -c 'echo ok'` keeps its -c.
import type { Argv } from 'yargs';
import { InvalidArgumentError } from '../errors.js';
import { execProcess, waitForeground } from '../oci/exec.js';
import { stateOf } from '../oci/lifecycle.js';
import { loadProcessFile, validateProcess } from '../oci/process-json.js';
import type { Process } from '../oci/spec/index.js';
import { exitCodeOf } from '../sys/index.js';
import { openRuntime } from './runtime.js';

interface ExecArgs {
  id: string; args: string[]; process?: string; tty: boolean; 'console-socket'?: string; detach: boolean;
  'pid-file'?: string; cwd?: string; env: string[]; user?: string; 'additional-gids': number[]; cap: string[];
  'no-new-privs': boolean; 'preserve-fds': number; 'ignore-paused': boolean; 'process-label'?: string; apparmor?: string;
}

// Flags that take a value: the id is the first word that is neither a flag nor such a value.
const VALUED = new Set(['--process', '-p', '--console-socket', '--pid-file', '--cwd', '--env', '-e', '--user', '-u',
  '--additional-gids', '-g', '--cap', '-c', '--preserve-fds', '--process-label', '--apparmor', '--cgroup']);

const GLOBAL_VALUED = new Set(['--root', '--log', '--log-format', '--criu', '--rootless']);

/**
 * Puts "--" after the container id so that the program's own flags are
 * not read as ours (runc stops at the first argument too). argv is the
 * whole command line, global flags included.
 */
export function rewriteArgv(argv: string[]): string[] {
  let at = 0;
  for (; at < argv.length && argv[at]!.startsWith('-'); at++) if (GLOBAL_VALUED.has(argv[at]!)) at++;
  if (argv[at] !== 'exec') return argv;
  for (let i = at + 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return argv;
    if (a.startsWith('-')) { if (VALUED.has(a)) i++; continue; }
    return i + 1 < argv.length && argv[i + 1] !== '--' ? [...argv.slice(0, i + 1), '--', ...argv.slice(i + 1)] : argv;
  }
  return argv;
}

function execOptions(y: Argv) {
  return y.positional('id', { type: 'string', demandOption: true, describe: 'container id' })
    .positional('args', { type: 'string', array: true, default: [], describe: 'the program and its arguments' })
    .option('process', { alias: 'p', type: 'string', describe: 'an OCI process JSON file (replaces the other process flags)' })
    .option('tty', { alias: 't', type: 'boolean', default: false, describe: 'allocate a pty (needs --console-socket)' })
    .option('console-socket', { type: 'string', describe: 'unix socket that receives the pty master (SCM_RIGHTS)' })
    .option('detach', { alias: 'd', type: 'boolean', default: false, describe: 'return once the process runs' })
    .option('pid-file', { type: 'string', describe: 'write the process id to this file' })
    .option('cwd', { type: 'string', describe: 'working directory in the container' })
    .option('env', { alias: 'e', type: 'string', describe: 'KEY=value, added to the environment' })
    .option('user', { alias: 'u', type: 'string', describe: 'UID[:GID]' })
    .option('additional-gids', { alias: 'g', type: 'string', describe: 'supplementary group ids' })
    .option('cap', { alias: 'c', type: 'string', describe: 'add a capability (CAP_…)' })
    .option('no-new-privs', { type: 'boolean', default: false, describe: 'set no_new_privs' })
    .option('preserve-fds', { type: 'number', default: 0, describe: 'pass N more fds (3..3+N-1) to the process' })
    .option('ignore-paused', { type: 'boolean', default: false, describe: 'exec even when the container is paused' })
    .option('process-label', { type: 'string', describe: 'refused: no SELinux support' })
    .option('apparmor', { type: 'string', describe: 'refused: no AppArmor support' })
    .option('cgroup', { type: 'string', hidden: true });
}

/** The process runc's getProcess builds: --process as is, else the container's own with the flags applied. */
function processFrom(a: ExecArgs, base: Process | undefined): Process {
  if (a['process-label']) throw new InvalidArgumentError('--process-label is not supported by tsctr-runc (no SELinux support)');
  if (a.apparmor) throw new InvalidArgumentError('--apparmor is not supported by tsctr-runc (no AppArmor support)');
  if (a.process) {
    if (a.args.length) throw new InvalidArgumentError('exec: give either --process FILE or a program after the id, not both');
    return loadProcessFile(a.process);
  }
  if (!a.args.length) throw new InvalidArgumentError('exec: name a program to run after the container id', { hint: `tsctr-runc exec ${a.id} sh` });
  const p: Record<string, unknown> = { ...structuredClone(base ?? { user: { uid: 0, gid: 0 }, cwd: '/' }), apparmorProfile: undefined, selinuxLabel: undefined };
  p.args = a.args;
  p.terminal = a.tty;
  if (a.cwd !== undefined) p.cwd = a.cwd;
  p.env = [...((p.env as string[] | undefined) ?? []), ...a.env];
  const user = p.user as Process['user'];
  if (a.user !== undefined) {
    const m = /^(\d+)(?::(\d+))?$/.exec(a.user);
    if (!m) throw new InvalidArgumentError(`--user ${JSON.stringify(a.user)}: must be UID or UID:GID (numbers)`);
    user.uid = Number(m[1]);
    if (m[2] !== undefined) user.gid = Number(m[2]);
  }
  if (a['additional-gids'].length) user.additionalGids = [...(user.additionalGids ?? []), ...a['additional-gids']];
  if (a.cap.length) {
    const caps = (p.capabilities ?? {}) as Record<string, string[]>;
    for (const set of ['bounding', 'effective', 'inheritable', 'permitted', 'ambient']) caps[set] = [...(caps[set] ?? []), ...a.cap];
    p.capabilities = caps;
  }
  if (a['no-new-privs']) p.noNewPrivileges = true;
  return validateProcess(p);
}

/** runc exits 255 when exec fails (its -1); the shim only checks for non-zero. */
export const FAILURE_STATUS = 255;

export default function register(y: Argv): Argv {
  return y.command('exec <id> [args..]', 'run a process in a container', execOptions, async (argv) => {
    const a = argv as unknown as ExecArgs;
    // Repeatable flags, one value each (an array option would swallow the id and the program).
    const list = (v: unknown) => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);
    a.env = list(argv.env);
    a.cap = list(argv.cap);
    a['additional-gids'] = list(argv['additional-gids']).map((g) => {
      if (!/^\d+$/.test(g) || Number(g) > 0xffffffff) throw new InvalidArgumentError(`--additional-gids ${JSON.stringify(g)}: must be a group id from 0 to 4294967295`);
      return Number(g);
    });
    // After the "--" rewriteArgv put behind the id, yargs leaves the program in _ (after "exec").
    if (!a.args.length) a.args = (argv._ as unknown[]).slice(1).map(String);
    const rt = await openRuntime();
    const { record } = stateOf(rt, a.id);
    const proc = processFrom(a, record.spec.process);
    const e = await execProcess(rt, {
      id: a.id, process: proc, consoleSocket: a['console-socket'], pidFile: a['pid-file'], detach: a.detach,
      preserveFds: a['preserve-fds'], ignorePaused: a['ignore-paused'],
    });
    if (a.detach) return;
    process.exitCode = exitCodeOf(await waitForeground(rt, e));
  });
}
