// The run flags of networking (--cni, --net, -p, --dns…) and what they do to
// a spec: the network namespace is joined by path, and the names files are
// bind-mounted. run.ts calls these; the work is in index.ts.
import { InvalidArgumentError } from '../../errors.js';
import type { Spec } from '../../oci/spec/index.js';
import { DEFAULT_BIN_DIRS } from './cni-config.js';
import { validateDnsFlags, type DnsFlags } from './names.js';
import { DEFAULT_CONF_DIR } from './networks.js';
import { parsePublishList, type PortMapping } from './ports.js';

export interface NetworkFlags {
  cni: boolean;
  /** --net NAME (repeatable): implies --cni. */
  networks: string[];
  confDir?: string;
  binDirs: string[];
  /** -p flags, unparsed: imply --cni. */
  publish: string[];
  dns: string[];
  dnsSearch: string[];
  dnsOptions: string[];
}

export interface ParsedNetworkFlags {
  networks: string[];
  confDir: string;
  binDirs: string[];
  publish: PortMapping[];
  dns: DnsFlags;
}

/** undefined when the container gets no CNI network. Refuses combinations that cannot work. */
export function parseNetworkFlags(f: NetworkFlags | undefined, other: { netHost: boolean; withNs: string[]; uidmap: string[] }): ParsedNetworkFlags | undefined {
  if (!f) return undefined;
  const on = f.cni || f.networks.length > 0 || f.publish.length > 0;
  if (!on) {
    if (f.dns.length || f.dnsSearch.length || f.dnsOptions.length) throw new InvalidArgumentError('--dns, --dns-search and --dns-option need a CNI network', { hint: 'add --cni' });
    return undefined;
  }
  if (other.netHost) throw new InvalidArgumentError('--cni (or --net, -p) and --net-host cannot be used together', { hint: 'a container either shares the host network or joins a CNI network' });
  if (other.withNs.some((w) => /^(net|network):/.test(w))) throw new InvalidArgumentError('--cni and --with-ns network:… cannot be used together');
  // A namespace owned by the host's user namespace cannot be joined from inside a new one (setns: EPERM).
  if (other.uidmap.length) throw new InvalidArgumentError('--cni with --uidmap is not supported yet', { hint: 'run the networked container without a user namespace' });
  const dns = { dns: f.dns, search: f.dnsSearch, options: f.dnsOptions };
  validateDnsFlags(dns);
  return { networks: f.networks, confDir: f.confDir ?? DEFAULT_CONF_DIR, binDirs: f.binDirs.length ? f.binDirs : DEFAULT_BIN_DIRS, publish: parsePublishList(f.publish), dns };
}

/** The container joins the prepared namespace and gets the names files. */
export function applyNetworkToSpec(spec: Spec, netns: string, mounts: NonNullable<Spec['mounts']>): void {
  const linux = spec.linux!;
  linux.namespaces = (linux.namespaces ?? []).filter((n) => n.type !== 'network');
  linux.namespaces.push({ type: 'network', path: netns });
  spec.mounts = [...(spec.mounts ?? []), ...mounts];
}
