// The flags of `run` and `containers create`, declared once (ctr's
// commands.ContainerFlags): what the container is (image or --rootfs, its
// process, limits, namespaces, network). `run` adds --rm, -d, --dry-run.
import { readFileSync } from 'node:fs';
import type { Argv } from 'yargs';
import { InvalidArgumentError } from '../errors.js';
import type { GlobalArgs } from './context.js';
import { snapshotterOption } from './flags.js';
import { parseSize } from './flags-size.js';
import { addNetworkFlags, NETWORK_VALUE_OPTIONS, networkFlagsOf, type NetworkArgs } from './flags-network.js';

// Options that take a value: the first word that is neither these nor their
// value is the image; everything from there on belongs to the container.
export const RUN_VALUE_OPTIONS = new Set(['--env', '-e', '--env-file', '--mount', '--hostname', '--cwd', '--user', '-u', '--cap-add', '--cap-drop', '--memory-limit', '--cpus', '--pids-limit', '--seccomp-profile', '--uidmap', '--gidmap', '--rootfs', '--with-ns', '--snapshotter', '--label', '--root', '--state', '--namespace', '-n', ...NETWORK_VALUE_OPTIONS]);

/** Inserts `--` before the image (or, with --rootfs, the id): from there on, words are the container's. */
export function insertDashDash(argv: string[], from: number): string[] {
  for (let i = from; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return argv;
    if (RUN_VALUE_OPTIONS.has(a)) { i++; continue; }
    if (!a.startsWith('-')) return [...argv.slice(0, i), '--', ...argv.slice(i)];
  }
  return argv;
}

export interface ContainerArgs extends GlobalArgs, NetworkArgs {
  tty: boolean; interactive: boolean; env: string[]; 'env-file': string[]; mount: string[]; 'net-host': boolean; hostname?: string; cwd?: string;
  user?: string; privileged: boolean; 'read-only': boolean; 'cap-add': string[]; 'cap-drop': string[]; 'memory-limit'?: string;
  cpus?: number; 'pids-limit'?: number; seccomp: boolean; 'seccomp-profile'?: string; uidmap: string[]; gidmap: string[];
  rootfs?: string; 'with-ns': string[]; 'no-pivot': boolean; snapshotter: string; trace: boolean; label?: string | string[]; '--'?: string[];
}

export function addContainerFlags<T>(y: Argv<T>) {
  return addNetworkFlags(y)
    // --no-pivot is a flag of its own (ctr's), not the negation of a --pivot.
    .parserConfiguration({ 'populate--': true, 'parse-positional-numbers': false, 'boolean-negation': false })
    .option('tty', { alias: 't', type: 'boolean', default: false, describe: 'allocate a terminal (pty) for the container' })
    .option('interactive', { alias: 'i', type: 'boolean', default: false, describe: 'keep stdin open for a detached task (-d without -t): tasks attach forwards its input. A foreground run always reads the caller\'s stdin' })
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
    .option('label', { type: 'string', describe: 'a container label KEY=VALUE (repeatable)' })
    .option('snapshotter', snapshotterOption('snapshotter for the container rootfs'))
    .option('trace', { type: 'boolean', default: false, describe: 'print each launch step as it runs, with errno and time' });
}

/** IMAGE ID [CMD…] (or ID [CMD…] with --rootfs) from the words after `--`. */
export function positionalsOf(a: ContainerArgs, usage: string): { image?: string; id: string; cmd: string[] } {
  const words = (a['--'] ?? []).map(String);
  const image = a.rootfs ? undefined : words[0];
  const [id, ...cmd] = a.rootfs ? words : words.slice(1);
  if (!a.rootfs && !image) throw new InvalidArgumentError('name an image and a container id', { hint: usage });
  if (!id) throw new InvalidArgumentError('name a container id after the image', { hint: usage });
  return { image, id, cmd };
}

/** What create.ts takes from the flags (sys, rm and the rest come from the command). */
export function containerRequestOf(a: ContainerArgs, p: { image?: string; id: string; cmd: string[] }, labels: Record<string, string>) {
  const readLines = (f: string) => { try { return readFileSync(f, 'utf8').split('\n'); } catch (e) { throw new InvalidArgumentError(`--env-file "${f}": ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`); } };
  return {
    root: a.root, state: a.state, namespace: a.namespace, image: p.image, rootfsDir: a.rootfs, snapshotter: a.snapshotter,
    flags: {
      id: p.id, namespace: a.namespace, args: p.cmd, tty: a.tty, interactive: a.interactive, env: a.env, envFileLines: a['env-file'].flatMap(readLines), mounts: a.mount,
      netHost: a['net-host'], hostname: a.hostname, cwd: a.cwd, privileged: a.privileged, readOnly: a['read-only'], capAdd: a['cap-add'], capDrop: a['cap-drop'],
      memoryLimit: a['memory-limit'] !== undefined ? parseSize(a['memory-limit'], '--memory-limit') : undefined, cpus: a.cpus, pidsLimit: a['pids-limit'],
      uidmap: a.uidmap, gidmap: a.gidmap, withNs: a['with-ns'],
    },
    network: networkFlagsOf(a),
    user: a.user, seccomp: a.seccomp, seccompProfile: a['seccomp-profile'], noPivot: a['no-pivot'], labels,
    trace: a.trace ? (l: string) => process.stderr.write(l + '\n') : undefined,
  };
}
