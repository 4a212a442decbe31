// tsctr's own CNI networks: conflists in <root>/cni/net.d (the files stay
// the source of truth; this is a thin layer over them), the default bridge
// network created on first use, and `network ls|inspect|create|rm`.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { AlreadyExistsError, FailedPreconditionError, InvalidArgumentError, NotFoundError } from '../../errors.js';
import { readJson, writeJsonAtomic } from '../../util/fs.js';
import { removeUnusedSharedChains } from './shared-chains.js';
import {
  bridgeConfList, DEFAULT_NETWORK, DEFAULT_SUBNET, describeBridge, intToIpv4, listNetworkFiles, parseSubnet, subnetsOverlap, validateNetworkName,
  type NetworkFile, type Subnet,
} from './cni-config.js';

export const DEFAULT_CONF_DIR = '/etc/cni/net.d';

export function ownConfDir(root: string): string { return join(root, 'cni', 'net.d'); }
export function ipamDataDir(state: string): string { return join(state, 'cni', 'host-local'); }

export interface NetworkDirs { root: string; state: string; confDir: string }

/** Where `--net NAME` looks: tsctr's own networks first, then --cni-conf-dir. */
export function searchDirs(d: NetworkDirs): string[] {
  return [ownConfDir(d.root), d.confDir];
}

export function listNetworks(d: NetworkDirs): (NetworkFile & { own: boolean })[] {
  const own = ownConfDir(d.root);
  return listNetworkFiles(searchDirs(d)).map((n) => ({ ...n, own: n.path.startsWith(own + '/') }));
}

/** IPv4 routes of the host (/proc/net/route, little-endian hex), the default route left out. */
export function hostRoutes(text = readProcRoute()): { iface: string; subnet: Subnet }[] {
  const out = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8 || !/^[0-9A-Fa-f]{8}$/.test(f[1]!) || !/^[0-9A-Fa-f]{8}$/.test(f[7]!)) continue;
    const le = (h: string) => parseInt(h.match(/../g)!.reverse().join(''), 16);
    const mask = le(f[7]!);
    const prefix = mask.toString(2).replace(/0+$/, '').length;
    if (prefix === 0) continue;
    out.push({ iface: f[0]!, subnet: { network: le(f[1]!), prefix } });
  }
  return out;
}

function readProcRoute(): string {
  try { return readFileSync('/proc/net/route', 'utf8'); } catch { return ''; }
}

/** Subnets already taken: other networks' configs and the host's routes (except through this network's own bridge). */
function takenSubnets(d: NetworkDirs, bridge: string): { what: string; subnet: Subnet }[] {
  const out: { what: string; subnet: Subnet }[] = [];
  for (const n of listNetworks(d)) {
    for (const s of n.conf ? describeBridge(n.conf).subnets : []) {
      try { out.push({ what: `network "${n.name}"`, subnet: parseSubnet(s) }); } catch { /* not an IPv4 subnet we need to avoid */ }
    }
  }
  for (const r of hostRoutes()) if (r.iface !== bridge) out.push({ what: `a route on ${r.iface}`, subnet: r.subnet });
  return out;
}

export interface CreateOptions { name: string; bridge?: string; subnet?: string; gateway?: string }

export function createNetwork(d: NetworkDirs, o: CreateOptions): NetworkFile {
  validateNetworkName(o.name);
  const bridge = o.bridge ?? o.name;
  if (listNetworks(d).some((n) => n.name === o.name)) throw new AlreadyExistsError(`CNI network "${o.name}" already exists`, { hint: 'see tsctr network ls' });
  if (bridge.length > 15) throw new InvalidArgumentError(`network "${o.name}": the bridge name "${bridge}" is longer than 15 characters`, { hint: 'name the bridge with --bridge' });
  const taken = takenSubnets(d, bridge);
  let subnet = o.subnet;
  if (subnet) {
    const s = parseSubnet(subnet);
    const clash = taken.find((t) => subnetsOverlap(t.subnet, s));
    if (clash) throw new InvalidArgumentError(`subnet ${subnet} overlaps ${clash.what} (${intToIpv4(clash.subnet.network)}/${clash.subnet.prefix})`, { hint: 'pick another --subnet' });
  } else {
    // 10.213.0.0/24 is kept for the default network, so creating others first cannot take it.
    for (let i = o.name === DEFAULT_NETWORK ? 0 : 1; i < 256 && !subnet; i++) {
      const s: Subnet = { network: parseSubnet(DEFAULT_SUBNET).network + i * 256, prefix: 24 };
      if (!taken.some((t) => subnetsOverlap(t.subnet, s))) subnet = `${intToIpv4(s.network)}/24`;
    }
    if (!subnet) throw new FailedPreconditionError('no free /24 left in 10.213.0.0/16', { hint: 'name one with --subnet' });
  }
  const conf = bridgeConfList({ name: o.name, bridge, subnet, gateway: o.gateway, ipamDataDir: ipamDataDir(d.state) });
  const path = join(ownConfDir(d.root), `${o.name}.conflist`);
  writeJsonAtomic(path, conf);
  return { name: o.name, path, conf };
}

/** The default network, written on first use (subnet: env TSCTR_CNI_SUBNET, else 10.213.0.0/24 or the next free /24). */
export function ensureDefaultNetwork(d: NetworkDirs): void {
  if (existsSync(join(ownConfDir(d.root), `${DEFAULT_NETWORK}.conflist`))) return;
  try {
    // Without TSCTR_CNI_SUBNET: 10.213.0.0/24, or the first free /24 after it when a route has it.
    createNetwork(d, { name: DEFAULT_NETWORK, subnet: process.env.TSCTR_CNI_SUBNET || undefined });
  } catch (e) {
    // Another tsctr wrote it at the same moment.
    if (!(e instanceof AlreadyExistsError)) throw e;
  }
}

/** Containers (namespace/id) whose recorded network state names this network. */
export function networkUsers(state: string, name: string): string[] {
  const users: string[] = [];
  const dirs = (p: string) => { try { return readdirSync(p, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name); } catch { return []; } };
  for (const ns of dirs(state)) {
    for (const id of dirs(join(state, ns))) {
      const s = readJson<{ attachments?: { network?: string }[] }>(join(state, ns, id, 'network.json'));
      if (s?.attachments?.some((a) => a.network === name)) users.push(`${ns}/${id}`);
    }
  }
  return users;
}

/** Removes one of tsctr's networks: its conflist, its (unused) bridge and host-local's empty state for it. */
export function removeNetwork(d: NetworkDirs, name: string): string[] {
  validateNetworkName(name);
  const n = listNetworks(d).find((x) => x.name === name);
  if (!n) throw new NotFoundError(`CNI network "${name}" not found`, { hint: 'see tsctr network ls' });
  if (!n.own) throw new FailedPreconditionError(`network "${name}" is not tsctr's (${n.path})`, { hint: 'tsctr removes only the networks it created; edit the CNI config directory yourself' });
  const users = networkUsers(d.state, name);
  if (users.length) throw new FailedPreconditionError(`network "${name}" is in use by ${users.join(', ')}`, { hint: 'remove those containers first' });
  const done: string[] = [];
  const bridge = n.conf ? describeBridge(n.conf).bridge : undefined;
  if (bridge && existsSync(`/sys/class/net/${bridge}/bridge`)) {
    if (readdirSync(`/sys/class/net/${bridge}/brif`).length === 0) {
      const r = spawnSync('ip', ['link', 'delete', 'dev', bridge], { encoding: 'utf8' });
      if (r.status === 0) done.push(`deleted bridge ${bridge}`);
      else throw new FailedPreconditionError(`network "${name}": ip link delete ${bridge}: ${(r.stderr || r.error?.message || '').trim()}`);
    }
  }
  const ipam = join(ipamDataDir(d.state), name);
  if (existsSync(ipam) && readdirSync(ipam).every((f) => f === 'lock' || f.startsWith('last_reserved_ip'))) {
    rmSync(ipam, { recursive: true, force: true });
  }
  rmSync(n.path, { force: true });
  done.push(`removed ${n.path}`);
  done.push(...removeUnusedSharedChains());
  return done;
}
