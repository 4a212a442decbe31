// `tsctr run` flags + the image config → an OCI runtime spec. Pure: the
// caller reads files (--env-file, the seccomp profile, /etc/passwd) first.
import { InvalidArgumentError } from '../errors.js';
import { CAPABILITIES, defaultSpec, findCapability, type IdMapping, type Mount, type NamespaceName, type Spec } from '../oci/spec/index.js';

/** The process part of an image config (image-spec config.md). */
export interface ImageProcessConfig {
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Env?: string[] | null;
  WorkingDir?: string;
  User?: string;
}

export interface RunFlags {
  id: string;
  namespace: string;
  args: string[];
  tty: boolean;
  /** -i: a detached task without a terminal gets a stdin pipe the monitor feeds from attach clients (STDIN_ANNOTATION). */
  interactive?: boolean;
  env: string[];
  /** Lines of --env-file files, already read. */
  envFileLines: string[];
  mounts: string[];
  netHost: boolean;
  hostname?: string;
  cwd?: string;
  privileged: boolean;
  readOnly: boolean;
  capAdd: string[];
  capDrop: string[];
  memoryLimit?: number;
  cpus?: number;
  pidsLimit?: number;
  uidmap: string[];
  gidmap: string[];
  withNs: string[];
}

/** Set to "open" by -i; read when the task starts detached (start.ts), so a later `tasks start -d` keeps it. */
export const STDIN_ANNOTATION = 'io.tsctr.stdin';

/** Whether a task of this spec gets an open stdin pipe when detached without a terminal. */
export const stdinOpenOf = (spec: Spec): boolean => spec.annotations?.[STDIN_ANNOTATION] === 'open';

const ALL_CAPS = Object.keys(CAPABILITIES);

/** The command to run: flags' args replace Cmd; Entrypoint stays (docker/ctr semantics). */
export function resolveArgs(image: ImageProcessConfig | undefined, args: string[]): string[] {
  const entry = image?.Entrypoint ?? [];
  const cmd = args.length ? args : image?.Cmd ?? [];
  const all = [...entry, ...cmd];
  if (all.length === 0) throw new InvalidArgumentError('no command to run: the image has no Entrypoint or Cmd', { hint: 'name a command after the container id, e.g. tsctr run IMAGE ID sh' });
  return all;
}

/** Merges environments: later entries replace earlier ones with the same name. */
export function mergeEnv(...lists: string[][]): string[] {
  const map = new Map<string, string>();
  for (const l of lists) for (const e of l) {
    const eq = e.indexOf('=');
    if (eq <= 0) throw new InvalidArgumentError(`environment entry "${e}": expected NAME=value`);
    map.set(e.slice(0, eq), e);
  }
  return [...map.values()];
}

export function parseEnvFile(text: string): string[] {
  return text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
}

/** --mount type=bind,src=/a,dst=/b,options=rbind:ro (ctr's syntax). */
export function parseMountFlag(s: string): Mount {
  const kv = new Map<string, string>();
  for (const part of s.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new InvalidArgumentError(`--mount "${s}": "${part}" is not key=value`, { hint: 'use --mount type=bind,src=/host/dir,dst=/in/container,options=rbind:ro' });
    kv.set(part.slice(0, eq), part.slice(eq + 1));
  }
  const type = kv.get('type') ?? 'bind';
  const source = kv.get('src') ?? kv.get('source');
  const destination = kv.get('dst') ?? kv.get('destination') ?? kv.get('target');
  if (!destination || !destination.startsWith('/')) throw new InvalidArgumentError(`--mount "${s}": dst must be an absolute path in the container`);
  if (type === 'bind' && (!source || !source.startsWith('/'))) throw new InvalidArgumentError(`--mount "${s}": a bind mount needs an absolute src on the host`);
  for (const k of kv.keys()) if (!['type', 'src', 'source', 'dst', 'destination', 'target', 'options'].includes(k)) throw new InvalidArgumentError(`--mount "${s}": unknown key "${k}"`);
  const options = (kv.get('options') ?? (type === 'bind' ? 'rbind' : '')).split(':').filter(Boolean);
  if (type === 'bind' && !options.includes('bind') && !options.includes('rbind')) options.unshift('rbind');
  return { type, source: source ?? type, destination, options };
}

/** --uidmap container:host:size */
export function parseIdMap(flag: string, s: string): IdMapping {
  const m = /^(\d+):(\d+):(\d+)$/.exec(s);
  if (!m) throw new InvalidArgumentError(`${flag} "${s}": expected container-id:host-id:size, e.g. 0:100000:65536`);
  const [containerID, hostID, size] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (size === 0) throw new InvalidArgumentError(`${flag} "${s}": size must be at least 1`);
  return { containerID, hostID, size };
}

const NS_ALIASES: Record<string, NamespaceName> = { pid: 'pid', network: 'network', net: 'network', mount: 'mount', mnt: 'mount', ipc: 'ipc', uts: 'uts', user: 'user', cgroup: 'cgroup', time: 'time' };

/** --with-ns network:/var/run/netns/x */
export function parseWithNs(s: string): { type: NamespaceName; path: string } {
  const colon = s.indexOf(':');
  const type = NS_ALIASES[s.slice(0, colon)];
  const path = s.slice(colon + 1);
  if (colon <= 0 || !type) throw new InvalidArgumentError(`--with-ns "${s}": expected TYPE:PATH with TYPE one of pid, network, mount, ipc, uts, user, cgroup`);
  if (!path.startsWith('/')) throw new InvalidArgumentError(`--with-ns "${s}": the namespace path must be absolute, e.g. /proc/1234/ns/net`);
  return { type, path };
}

/**
 * hostCaps: what this process may hand out (its bounding set). "All" means
 * those: asking the kernel for a capability outside it fails capset with
 * EPERM (this VM's bounding set lacks CAP_SYS_RESOURCE).
 */
function applyCaps(spec: Spec, f: RunFlags, hostCaps: string[]): void {
  const caps = spec.process!.capabilities!;
  const ALL = hostCaps;
  let set = new Set(f.privileged ? ALL : caps.bounding ?? []);
  const norm = (c: string) => {
    if (c.toUpperCase() === 'ALL') return 'ALL';
    const n = findCapability(c);
    if (n === undefined) throw new InvalidArgumentError(`unknown capability "${c}"`, { hint: 'use names like CAP_NET_ADMIN or NET_ADMIN' });
    return Object.keys(CAPABILITIES)[n]!;
  };
  for (const c of f.capAdd.map(norm)) {
    if (c === 'ALL') set = new Set(ALL);
    else if (!ALL.includes(c)) throw new InvalidArgumentError(`--cap-add ${c}: not in tsctr's own bounding set, so no container can have it`, { hint: 'see the capabilities row of tsctr check' });
    else set.add(c);
  }
  for (const c of f.capDrop.map(norm)) { if (c === 'ALL') set.clear(); else set.delete(c); }
  const list = [...set].sort((a, b) => findCapability(a)! - findCapability(b)!);
  caps.bounding = [...list];
  caps.effective = [...list];
  caps.permitted = [...list];
}

export function buildSpec(image: ImageProcessConfig | undefined, f: RunFlags, hostCaps: string[] = ALL_CAPS): Spec {
  const env = mergeEnv(image?.Env ?? [], parseEnvFile(f.envFileLines.join('\n')), f.env);
  const spec = defaultSpec({ id: f.id, namespace: f.namespace, args: resolveArgs(image, f.args), env: env.length ? env : undefined, cwd: f.cwd ?? (image?.WorkingDir || '/'), hostname: f.hostname ?? f.id });
  const proc = spec.process!;
  const linux = spec.linux!;
  proc.terminal = f.tty;
  if (f.tty && !proc.env!.some((e) => e.startsWith('TERM='))) proc.env!.push('TERM=xterm');
  if (f.interactive) spec.annotations = { ...spec.annotations, [STDIN_ANNOTATION]: 'open' };
  applyCaps(spec, f, hostCaps);
  // The defaults too may name a capability the host lacks: keep only what it can give.
  for (const k of ['bounding', 'effective', 'permitted'] as const) proc.capabilities![k] = proc.capabilities![k]!.filter((c) => hostCaps.includes(c));
  if (f.privileged) {
    linux.maskedPaths = [];
    linux.readonlyPaths = [];
    linux.resources!.devices = [{ allow: true, access: 'rwm' }];
    for (const m of spec.mounts!) if (m.destination === '/sys' || m.destination === '/sys/fs/cgroup') m.options = m.options!.filter((o) => o !== 'ro');
    proc.noNewPrivileges = false;
  }
  if (f.readOnly) spec.root!.readonly = true;
  for (const m of f.mounts) spec.mounts!.push(parseMountFlag(m));
  if (f.netHost) {
    linux.namespaces = linux.namespaces!.filter((n) => n.type !== 'network');
    // Host networking shares the host's /etc/hosts and resolv.conf view; keep the hostname the host's too.
    delete spec.hostname;
    linux.namespaces = linux.namespaces.filter((n) => n.type !== 'uts');
  }
  for (const w of f.withNs.map(parseWithNs)) {
    linux.namespaces = linux.namespaces!.filter((n) => n.type !== w.type);
    linux.namespaces.push({ type: w.type, path: w.path });
    if (w.type === 'uts') delete spec.hostname;
  }
  if (f.uidmap.length || f.gidmap.length) {
    if (!f.uidmap.length || !f.gidmap.length) throw new InvalidArgumentError('--uidmap and --gidmap go together', { hint: 'e.g. --uidmap 0:100000:65536 --gidmap 0:100000:65536' });
    linux.uidMappings = f.uidmap.map((s) => parseIdMap('--uidmap', s));
    linux.gidMappings = f.gidmap.map((s) => parseIdMap('--gidmap', s));
    if (!linux.namespaces!.some((n) => n.type === 'user')) linux.namespaces!.push({ type: 'user' });
  }
  const res = linux.resources!;
  if (f.memoryLimit !== undefined) {
    if (!(f.memoryLimit > 0)) throw new InvalidArgumentError(`--memory-limit ${f.memoryLimit}: must be a positive number of bytes`);
    res.memory = { limit: f.memoryLimit };
  }
  if (f.cpus !== undefined) {
    if (!(f.cpus > 0)) throw new InvalidArgumentError(`--cpus ${f.cpus}: must be greater than 0, e.g. 0.5`);
    res.cpu = { quota: Math.round(f.cpus * 100000), period: 100000 };
  }
  if (f.pidsLimit !== undefined) {
    if (!Number.isInteger(f.pidsLimit) || f.pidsLimit < 1) throw new InvalidArgumentError(`--pids-limit ${f.pidsLimit}: must be a whole number of at least 1`);
    res.pids = { limit: f.pidsLimit };
  }
  return spec;
}
