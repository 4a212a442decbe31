// tsctr run [flags] IMAGE ID [COMMAND] [ARG...]   (or --rootfs DIR ID …)
import { readFileSync } from 'node:fs';
import type { Argv } from 'yargs';
import { InvalidArgumentError } from '../../errors.js';
import { setOperation, type GlobalArgs } from '../context.js';
import { snapshotterOption } from '../flags.js';
import { parseSize } from '../flags-size.js';
import { addNetworkFlags, NETWORK_VALUE_OPTIONS, networkFlagsOf, type NetworkArgs } from '../flags-network.js';

// Options that take a value: the first word that is neither these nor their
// value is the image; everything from there on belongs to the container.
const VALUE_OPTIONS = new Set(['--env', '-e', '--env-file', '--mount', '--hostname', '--cwd', '--user', '-u', '--cap-add', '--cap-drop', '--memory-limit', '--cpus', '--pids-limit', '--seccomp-profile', '--uidmap', '--gidmap', '--rootfs', '--with-ns', '--snapshotter', '--root', '--state', '--namespace', '-n', ...NETWORK_VALUE_OPTIONS]);

export function prepareArgv(argv: string[], commandIndex: number): string[] {
  for (let i = commandIndex + 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return argv;
    if (VALUE_OPTIONS.has(a)) { i++; continue; }
    if (!a.startsWith('-')) return [...argv.slice(0, i), '--', ...argv.slice(i)];
  }
  return argv;
}

interface RunArgs extends GlobalArgs, NetworkArgs {
  tty: boolean; rm: boolean; env: string[]; 'env-file': string[]; mount: string[]; 'net-host': boolean; hostname?: string; cwd?: string;
  user?: string; detach: boolean; privileged: boolean; 'read-only': boolean; 'cap-add': string[]; 'cap-drop': string[]; 'memory-limit'?: string;
  cpus?: number; 'pids-limit'?: number; seccomp: boolean; 'seccomp-profile'?: string; uidmap: string[]; gidmap: string[];
  rootfs?: string; 'with-ns': string[]; 'no-pivot': boolean; snapshotter: string; trace: boolean; 'dry-run': boolean; '--'?: string[];
}

export default function register(y: Argv): Argv {
  return addNetworkFlags(y)
    .usage('tsctr run [flags] IMAGE ID [COMMAND] [ARG...]\ntsctr run [flags] --rootfs DIR ID [COMMAND] [ARG...]\n\nRun a container in the foreground; exits with its exit code (128+signal when killed).')
    // --no-pivot is a flag of its own (ctr's), not the negation of a --pivot.
    .parserConfiguration({ 'populate--': true, 'parse-positional-numbers': false, 'boolean-negation': false })
    .option('tty', { alias: 't', type: 'boolean', default: false, describe: 'allocate a terminal (pty) for the container' })
    .option('rm', { type: 'boolean', default: false, describe: 'remove the container and its snapshot when it exits' })
    .option('detach', { alias: 'd', type: 'boolean', default: false, describe: 'leave the container running in the background (output in the task\'s log)' })
    .option('env', { alias: 'e', type: 'string', array: true, default: [], describe: 'set an environment variable NAME=value (repeatable)' })
    .option('env-file', { type: 'string', array: true, default: [], describe: 'read NAME=value lines from a file' })
    .option('mount', { type: 'string', array: true, default: [], describe: 'add a mount: type=bind,src=/a,dst=/b,options=rbind:ro' })
    .option('net-host', { type: 'boolean', default: false, describe: 'share the host network (no new network namespace)' })
    .option('hostname', { type: 'string', describe: 'the container hostname (default: the ID)' })
    .option('cwd', { type: 'string', describe: 'working directory inside the container' })
    .option('user', { alias: 'u', type: 'string', describe: 'uid[:gid] or name[:group] from the image\'s /etc/passwd, /etc/group' })
    .option('privileged', { type: 'boolean', default: false, describe: 'all capabilities, no masked paths, all devices allowed' })
    .option('read-only', { type: 'boolean', default: false, describe: 'mount the root filesystem read-only' })
    .option('cap-add', { type: 'string', array: true, default: [], describe: 'add a capability (NET_ADMIN, ALL)' })
    .option('cap-drop', { type: 'string', array: true, default: [], describe: 'drop a capability (CHOWN, ALL)' })
    .option('memory-limit', { type: 'string', describe: 'memory limit in bytes, or with a k/m/g suffix' })
    .option('cpus', { type: 'number', describe: 'CPU limit, e.g. 0.5' })
    .option('pids-limit', { type: 'number', describe: 'maximum number of processes' })
    .option('seccomp', { type: 'boolean', default: false, describe: 'enable the default seccomp profile' })
    .option('seccomp-profile', { type: 'string', describe: 'an OCI seccomp profile (JSON file)' })
    .option('uidmap', { type: 'string', array: true, default: [], describe: 'user namespace uid map container:host:size' })
    .option('gidmap', { type: 'string', array: true, default: [], describe: 'user namespace gid map container:host:size' })
    .option('rootfs', { type: 'string', describe: 'use this directory as the root filesystem instead of an image' })
    .option('with-ns', { type: 'string', array: true, default: [], describe: 'join a namespace TYPE:PATH (e.g. network:/var/run/netns/x)' })
    .option('no-pivot', { type: 'boolean', default: false, describe: 'chroot instead of pivot_root (for a ramfs root)' })
    .option('snapshotter', snapshotterOption('snapshotter for the container rootfs'))
    .option('trace', { type: 'boolean', default: false, describe: 'print each launch step as it runs, with errno and time' })
    .option('dry-run', { type: 'boolean', default: false, describe: 'print the launch plan and do not run' })
    .example('tsctr run -t --rm docker.io/library/busybox:latest c1 sh', 'an interactive shell')
    .example('echo hi | tsctr run --rm busybox c2 cat', 'pipes pass through')
    .example('tsctr run -d busybox web httpd -f', 'in the background; see tsctr tasks ls / logs / exec')
    .example('tsctr run -d --cni -p 8080:80 busybox web httpd -f -p 80', 'on the tsctr0 bridge network, port 8080 of the host published')
    .command('$0', false, {}, async (argv) => {
      const a = argv as unknown as RunArgs;
      const ops = (a['--'] ?? []).map(String);
      const image = a.rootfs ? undefined : ops[0];
      const [id, ...cmd] = a.rootfs ? ops : ops.slice(1);
      if (!a.rootfs && !image) throw new InvalidArgumentError('name an image and a container id', { hint: 'tsctr run [flags] IMAGE ID [COMMAND]' });
      if (!id) throw new InvalidArgumentError('name a container id after the image', { hint: 'tsctr run [flags] IMAGE ID [COMMAND]' });
      setOperation(`run ${id}`);
      const { loadSys } = await import('../../sys/index.js');
      const { runContainer } = await import('../../container/run.js');
      const readLines = (f: string) => { try { return readFileSync(f, 'utf8').split('\n'); } catch (e) { throw new InvalidArgumentError(`--env-file "${f}": ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`); } };
      const code = await runContainer({
        root: a.root, state: a.state, namespace: a.namespace, sys: await loadSys(), image, rootfsDir: a.rootfs, snapshotter: a.snapshotter,
        flags: {
          id, namespace: a.namespace, args: cmd, tty: a.tty, env: a.env, envFileLines: a['env-file'].flatMap(readLines), mounts: a.mount,
          netHost: a['net-host'], hostname: a.hostname, cwd: a.cwd, privileged: a.privileged, readOnly: a['read-only'], capAdd: a['cap-add'], capDrop: a['cap-drop'],
          memoryLimit: a['memory-limit'] !== undefined ? parseSize(a['memory-limit'], '--memory-limit') : undefined, cpus: a.cpus, pidsLimit: a['pids-limit'],
          uidmap: a.uidmap, gidmap: a.gidmap, withNs: a['with-ns'],
        },
        network: networkFlagsOf(a),
        user: a.user, seccomp: a.seccomp, seccompProfile: a['seccomp-profile'], rm: a.rm, detach: a.detach, noPivot: a['no-pivot'],
        trace: a.trace ? (l) => process.stderr.write(l + '\n') : undefined,
        dryRun: a['dry-run'] ? (l) => process.stdout.write(l + '\n') : undefined,
        notice: (l) => process.stderr.write(`tsctr: ${l}\n`),
      });
      process.exitCode = code;
    });
}
