// A container's CNI networking (run --cni): a network namespace made before
// the process, CNI ADD for each network, the names files; and the teardown
// that undoes all of it on every path. What was set up is recorded in
// <task dir>/network.json *before* it is set up, so a tsctr killed at any
// moment leaves a record the next command can undo (CNI DEL is idempotent).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError, NotFoundError } from '../../errors.js';
import type { Sys } from '../../sys/index.js';
import { readJson, writeJsonAtomic } from '../../util/fs.js';
import type { Mount } from '../../oci/spec/index.js';
import { CniPluginError } from './cni-exec.js';
import { addNetwork, checkNetwork, delNetwork, type Runtime } from './cni.js';
import { DEFAULT_BIN_DIRS, DEFAULT_NETWORK, findNetwork, type NetworkConfList } from './cni-config.js';
import { containerAddresses, type CniResult } from './cni-result.js';
import { hostnameFile, hostsFile, resolvConf, type DnsFlags } from './names.js';
import { createNetns, removeNetns } from './netns.js';
import { ensureDefaultNetwork, searchDirs, type NetworkDirs } from './networks.js';
import type { PortMapping } from './ports.js';
import { checkPortsFree } from './port-conflicts.js';

export { DEFAULT_BIN_DIRS };

export interface Attachment {
  network: string;
  ifName: string;
  conf: NetworkConfList;
  /** The ADD result (raw JSON): prevResult for CHECK and DEL. */
  result?: Record<string, unknown>;
  addresses?: string[];
}

export interface NetworkState {
  netns: string;
  containerId: string;
  binDirs: string[];
  args: string;
  ports: PortMapping[];
  /** The tsctr that set it up: when it is dead and no task state exists, the record is a leftover. */
  owner: { pid: number; startTime: string };
  attachments: Attachment[];
}

export interface NetworkRequest extends NetworkDirs {
  namespace: string;
  id: string;
  hostname: string;
  taskDir: string;
  sys: Sys;
  /** Network names; empty means the default network (tsctr0). */
  networks: string[];
  binDirs: string[];
  publish: PortMapping[];
  dns: DnsFlags;
  notice: (line: string) => void;
  trace?: (line: string) => void;
}

export interface ContainerNetwork {
  netns: string;
  addresses: string[];
  /** Bind mounts of /etc/hosts, /etc/hostname, /etc/resolv.conf for the spec. */
  mounts: Mount[];
}

const stateFile = (taskDir: string) => join(taskDir, 'network.json');
export const netnsPath = (taskDir: string) => join(taskDir, 'netns');

export function readNetworkState(taskDir: string): NetworkState | undefined {
  return readJson<NetworkState>(stateFile(taskDir));
}

/** CNI_CONTAINERID: unique on the host, readable in iptables comments; the suffix tells namespaces apart. */
export function cniContainerId(namespace: string, id: string): string {
  return `${id}-${createHash('sha256').update(namespace).digest('hex').slice(0, 8)}`;
}

function runtimeFor(st: NetworkState, a: Attachment, netns = st.netns, trace?: (l: string) => void): Runtime {
  // Published ports go to the first network only: two portmap plugins would fight over the host port.
  const first = st.attachments[0] === a;
  return { containerId: st.containerId, netns, ifName: a.ifName, binDirs: st.binDirs, args: st.args, capabilityArgs: first && st.ports.length ? { portMappings: st.ports } : {}, trace };
}

/** The spec's view of the names files (what a dry run shows too). */
export function namesMounts(taskDir: string): Mount[] {
  return ['hosts', 'hostname', 'resolv.conf'].map((f) => ({ destination: `/etc/${f}`, type: 'bind', source: join(taskDir, 'etc', f), options: ['rbind'] }));
}

export async function setupContainerNetwork(req: NetworkRequest): Promise<ContainerNetwork> {
  const names = req.networks.length ? req.networks : [DEFAULT_NETWORK];
  if (new Set(names).size !== names.length) throw new InvalidArgumentError(`--net: a network is named twice (${names.join(', ')})`);
  if (!req.networks.length) ensureDefaultNetwork(req);
  const confs = names.map((n) => findNetwork(n, searchDirs(req)).conf);
  await checkPortsFree(req.state, req.taskDir, req.publish);
  mkdirSync(req.taskDir, { recursive: true });
  const st: NetworkState = {
    netns: netnsPath(req.taskDir), containerId: cniContainerId(req.namespace, req.id), binDirs: req.binDirs, args: 'IgnoreUnknown=1', ports: req.publish,
    owner: { pid: process.pid, startTime: processStartTime(process.pid) ?? '' },
    attachments: confs.map((conf, i) => ({ network: conf.name, ifName: `eth${i}`, conf })),
  };
  writeJsonAtomic(stateFile(req.taskDir), st);
  try {
    await createNetns(req.sys, st.netns);
    const results: CniResult[] = [];
    for (const a of st.attachments) {
      const r = await addNetwork(a.conf, runtimeFor(st, a, st.netns, req.trace));
      a.result = r.raw;
      a.addresses = containerAddresses(r);
      writeJsonAtomic(stateFile(req.taskDir), st);
      results.push(r);
    }
    const addresses = st.attachments.flatMap((a) => a.addresses ?? []);
    writeNamesFiles(req, addresses, results[0]);
    return { netns: st.netns, addresses, mounts: namesMounts(req.taskDir) };
  } catch (e) {
    // Undone here, once; the same failure again on DEL (a config both refuse) is not news.
    await teardownContainerNetwork(req.taskDir, req.sys, req.trace).catch((e2: Error) => {
      if (e2.message.replace(' DEL ', ' ADD ') !== (e as Error).message) req.notice(`cleanup: ${e2.message}`);
    });
    throw e;
  }
}

function writeNamesFiles(req: NetworkRequest, addresses: string[], first: CniResult | undefined): void {
  const dir = join(req.taskDir, 'etc');
  mkdirSync(dir, { recursive: true });
  let host = '';
  try { host = readFileSync('/etc/resolv.conf', 'utf8'); } catch { /* none on the host */ }
  const resolv = resolvConf(host, req.dns, first?.dns);
  if (resolv.warning) req.notice(`warning: ${resolv.warning}`);
  writeFileSync(join(dir, 'hosts'), hostsFile(req.hostname, addresses), { mode: 0o644 });
  writeFileSync(join(dir, 'hostname'), hostnameFile(req.hostname), { mode: 0o644 });
  writeFileSync(join(dir, 'resolv.conf'), resolv.text, { mode: 0o644 });
}

/** /proc/<pid>/stat field 22 (as the container store reads it): tells a reused pid from the owner. */
function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function isMounted(path: string): boolean {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === path);
}

/**
 * CNI DEL for every network (in reverse), then the namespace goes. Quiet
 * when there is nothing to undo; returns what was done. Every step is tried;
 * the first error is thrown after, and the record is kept for another try.
 */
export async function teardownContainerNetwork(taskDir: string, sys: Sys, trace?: (l: string) => void): Promise<string[]> {
  const st = readNetworkState(taskDir);
  if (!st) return [];
  // A namespace that was never mounted (killed in between) is no namespace: DEL without one releases the rest.
  const netns = existsSync(st.netns) && isMounted(st.netns) ? st.netns : '';
  let first: unknown;
  for (const a of [...st.attachments].reverse()) {
    try { await delNetwork(a.conf, runtimeFor(st, a, netns, trace), a.result); } catch (e) { first ??= e; }
  }
  try { removeNetns(sys, st.netns); } catch (e) { first ??= e; }
  if (first) throw first;
  rmSync(stateFile(taskDir), { force: true });
  rmSync(join(taskDir, 'etc'), { recursive: true, force: true });
  return [`removed network ${st.attachments.map((a) => a.network).join(', ')} (CNI DEL)`];
}

/**
 * A record whose tsctr died before it saved the task state (killed while
 * the network was being set up): nothing else would find it.
 */
export async function cleanupNetworkLeftover(taskDir: string, sys: Sys): Promise<string[]> {
  const st = readNetworkState(taskDir);
  if (!st || existsSync(join(taskDir, 'state.json'))) return [];
  if (processStartTime(st.owner.pid) === st.owner.startTime) return [];
  return teardownContainerNetwork(taskDir, sys);
}

/** CNI CHECK of every network of a running container. */
export async function checkContainerNetwork(taskDir: string, id: string): Promise<string[]> {
  const st = readNetworkState(taskDir);
  if (!st) throw new NotFoundError(`container "${id}" has no CNI network`, { hint: 'only containers started with --cni have one' });
  const lines: string[] = [];
  for (const a of st.attachments) {
    const notes: string[] = [];
    // portmap before 1.2 checks IPv6 rules it never made for an IPv4-only container (containernetworking/plugins#819).
    const knownBug = (e: unknown) => {
      const hit = e instanceof CniPluginError && e.plugin === 'portmap' && /ipv6/i.test(e.message) && !(a.addresses ?? []).some((x) => x.includes(':'));
      if (hit) notes.push('portmap\'s IPv6 check skipped (plugin bug containernetworking/plugins#819: it checks IPv6 rules of an IPv4-only container)');
      return hit;
    };
    await checkNetwork(a.conf, runtimeFor(st, a), a.result, knownBug);
    lines.push(`${a.network} (${a.ifName}): ok${notes.length ? `; ${notes.join('; ')}` : ''}`);
  }
  return lines;
}

export { networkSummary } from './summary.js';
