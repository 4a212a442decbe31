// CNI network configuration lists (SPEC.md "Network configuration lists"):
// parsing .conflist files (and single-plugin .conf/.json ones, as libcni
// does), finding a network by name in config directories, resolving a
// plugin's binary in the plugin directories, and the bridge network tsctr
// creates for itself. A config file and a plugin name are input to a path
// resolver: test/unit/container/network/cni-config.test.ts tries to break them.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { InvalidArgumentError, NotFoundError } from '../../errors.js';
import { CNI_VERSIONS } from './cni-result.js';

export interface PluginConf { type: string; capabilities?: Record<string, boolean>; [k: string]: unknown }
export interface NetworkConfList {
  cniVersion: string;
  name: string;
  disableCheck?: boolean;
  plugins: PluginConf[];
}
export interface NetworkFile { name: string; path: string; conf?: NetworkConfList; error?: string }

const MAX_CONF = 1 << 20;
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const TYPE_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function validateNetworkName(name: string): void {
  if (!NAME_RE.test(name)) throw new InvalidArgumentError(`invalid network name ${JSON.stringify(name.slice(0, 80))}: use letters, digits, '_', '.' and '-' (at most 64, starting with a letter or digit)`);
}

/** Parses a config file's text: a list, or one plugin's config (wrapped as a list of one). */
export function parseConfList(text: string, file: string): NetworkConfList {
  const bad = (m: string) => new InvalidArgumentError(`CNI config "${file}": ${m}`);
  if (text.length > MAX_CONF) throw bad(`larger than ${MAX_CONF} bytes`);
  let v: unknown;
  try { v = JSON.parse(text); } catch (e) { throw bad(`not JSON (${(e as Error).message})`); }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad('not a JSON object');
  const o = v as Record<string, unknown>;
  if (typeof o.name !== 'string') throw bad('no "name"');
  validateNetworkName(o.name);
  const cniVersion = o.cniVersion ?? '0.3.0';
  if (typeof cniVersion !== 'string' || !(CNI_VERSIONS as readonly string[]).includes(cniVersion)) throw bad(`cniVersion ${JSON.stringify(cniVersion)} is not one tsctr speaks (${CNI_VERSIONS.join(', ')})`);
  const plugins = Array.isArray(o.plugins) ? o.plugins : o.type !== undefined && o.plugins === undefined ? [o] : undefined;
  if (!plugins || plugins.length === 0) throw bad('"plugins" must be a non-empty list');
  if (plugins.length > 32) throw bad('more than 32 plugins');
  for (const [i, p] of plugins.entries()) {
    if (typeof p !== 'object' || p === null || Array.isArray(p)) throw bad(`plugins[${i}] is not an object`);
    const t = (p as PluginConf).type;
    if (typeof t !== 'string' || !TYPE_RE.test(t)) throw bad(`plugins[${i}].type ${JSON.stringify(t)} is not a plugin name`);
    const caps = (p as PluginConf).capabilities;
    if (caps !== undefined && (typeof caps !== 'object' || caps === null || Array.isArray(caps))) throw bad(`plugins[${i}].capabilities is not an object`);
  }
  return { cniVersion, name: o.name, disableCheck: o.disableCheck === true || o.disableCheck === 'true', plugins: plugins as PluginConf[] };
}

/** Every network config in the directories, in libcni's order (file name), first directory first. Broken files are listed with their error. */
export function listNetworkFiles(dirs: string[]): NetworkFile[] {
  const out: NetworkFile[] = [];
  for (const dir of dirs) {
    let names: string[];
    try { names = readdirSync(dir).sort(); } catch { continue; }
    for (const f of names) {
      if (!/\.(conflist|conf|json)$/.test(f) || f.startsWith('.')) continue;
      const path = join(dir, f);
      try {
        const st = statSync(path);
        if (!st.isFile()) continue;
        if (st.size > MAX_CONF) throw new InvalidArgumentError(`CNI config "${path}": larger than ${MAX_CONF} bytes`);
        const conf = parseConfList(readFileSync(path, 'utf8'), path);
        out.push({ name: conf.name, path, conf });
      } catch (e) {
        out.push({ name: f.replace(/\.[^.]+$/, ''), path, error: (e as Error).message });
      }
    }
  }
  return out;
}

/** The first config named `name` (the first directory wins, as the first file does in libcni). */
export function findNetwork(name: string, dirs: string[]): NetworkFile & { conf: NetworkConfList } {
  validateNetworkName(name);
  const all = listNetworkFiles(dirs);
  const hit = all.find((n) => n.conf?.name === name);
  if (hit?.conf) return hit as NetworkFile & { conf: NetworkConfList };
  const broken = all.find((n) => n.error && n.name === name);
  if (broken) throw new InvalidArgumentError(broken.error!);
  throw new NotFoundError(`CNI network "${name}" not found in ${dirs.join(', ')}`, { hint: 'list networks with tsctr network ls, or create one with tsctr network create' });
}

/** Directories searched for plugins when --cni-bin-dir is not given: Debian's, then containerd's. */
export const DEFAULT_BIN_DIRS = ['/usr/lib/cni', '/opt/cni/bin'];

/** The plugin's executable: a regular file named exactly `type` in the first directory that has one. */
export function findPlugin(type: string, binDirs: string[]): string {
  if (!TYPE_RE.test(type)) throw new InvalidArgumentError(`CNI plugin ${JSON.stringify(type.slice(0, 80))}: not a plugin name`);
  for (const dir of binDirs) {
    const p = join(dir, type);
    try {
      const st = statSync(p);
      if (st.isFile() && st.mode & 0o111) return p;
    } catch { /* next directory */ }
  }
  throw new NotFoundError(`CNI plugin "${type}" not found in ${binDirs.join(', ')}`, { hint: 'install Debian\'s containernetworking-plugins (apt-get install containernetworking-plugins), or point --cni-bin-dir at the plugins' });
}

// IPv4 subnets for the bridge networks tsctr writes.

export interface Subnet { network: number; prefix: number }

export function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
}
export function intToIpv4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

export function parseSubnet(s: string): Subnet {
  const m = /^([0-9.]+)\/([0-9]{1,2})$/.exec(s);
  if (!m || isIP(m[1]!) !== 4) throw new InvalidArgumentError(`subnet "${s}": expected an IPv4 network like 10.213.0.0/24`);
  const prefix = Number(m[2]);
  if (prefix < 8 || prefix > 29) throw new InvalidArgumentError(`subnet "${s}": the prefix must be between /8 and /29`);
  const size = 2 ** (32 - prefix);
  const ip = ipv4ToInt(m[1]!);
  if (ip % size !== 0) throw new InvalidArgumentError(`subnet "${s}": host bits are set; did you mean ${intToIpv4(ip - (ip % size))}/${prefix}?`);
  return { network: ip, prefix };
}

export function subnetsOverlap(a: Subnet, b: Subnet): boolean {
  const p = Math.min(a.prefix, b.prefix);
  const size = 2 ** (32 - p);
  return Math.floor(a.network / size) === Math.floor(b.network / size);
}

export function inSubnet(ip: string, s: Subnet): boolean {
  return isIP(ip) === 4 && subnetsOverlap({ network: ipv4ToInt(ip), prefix: 32 }, s);
}

export const DEFAULT_NETWORK = 'tsctr0';
/** Not 10.88 (podman/nerdctl) nor 10.4 (nerdctl) nor 172.17 (docker): unlikely to clash. Env TSCTR_CNI_SUBNET changes it. */
export const DEFAULT_SUBNET = '10.213.0.0/24';

export interface BridgeNetwork {
  name: string;
  bridge: string;
  subnet: string;
  gateway?: string;
  /** host-local's dataDir: under tsctr's --state. */
  ipamDataDir: string;
}

/** The conflist of a tsctr bridge network: bridge + host-local, portmap (published ports), firewall. */
export function bridgeConfList(n: BridgeNetwork): NetworkConfList {
  validateNetworkName(n.name);
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(n.bridge)) throw new InvalidArgumentError(`bridge name "${n.bridge}": at most 15 letters, digits, '_', '.' or '-'`);
  const s = parseSubnet(n.subnet);
  const gateway = n.gateway ?? intToIpv4(s.network + 1);
  if (!inSubnet(gateway, s)) throw new InvalidArgumentError(`gateway ${gateway} is not in subnet ${n.subnet}`);
  return {
    cniVersion: '1.0.0',
    name: n.name,
    plugins: [
      {
        type: 'bridge', bridge: n.bridge, isGateway: true, ipMasq: true, hairpinMode: true,
        ipam: { type: 'host-local', ranges: [[{ subnet: n.subnet, gateway }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: n.ipamDataDir },
      },
      // snat: published ports answer on 127.0.0.1 too (portmap sets route_localnet on the bridge).
      { type: 'portmap', capabilities: { portMappings: true }, snat: true },
      { type: 'firewall', backend: 'iptables' },
    ],
  };
}

/** The bridge and subnets of a conflist's bridge plugin, when it has one (for ls and overlap checks). */
export function describeBridge(c: NetworkConfList): { bridge?: string; subnets: string[] } {
  const b = c.plugins.find((p) => p.type === 'bridge');
  const ipam = b?.ipam as { ranges?: { subnet?: unknown }[][]; subnet?: unknown } | undefined;
  const subnets: string[] = [];
  if (ipam && typeof ipam === 'object') {
    if (typeof ipam.subnet === 'string') subnets.push(ipam.subnet);
    if (Array.isArray(ipam.ranges)) for (const r of ipam.ranges) if (Array.isArray(r)) for (const x of r) if (x && typeof x.subnet === 'string') subnets.push(x.subnet);
  }
  return { bridge: typeof b?.bridge === 'string' ? b.bridge : undefined, subnets };
}
