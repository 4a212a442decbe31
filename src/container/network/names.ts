// The container's /etc/hosts, /etc/hostname and /etc/resolv.conf: written
// under the task's state directory and bind-mounted over the image's paths
// through spec mounts (so nothing is written through a symlink the image
// controls). Pure: the caller reads the host's resolv.conf.
import { isIP } from 'node:net';
import { InvalidArgumentError } from '../../errors.js';
import type { CniDns } from './cni-result.js';

export function hostsFile(hostname: string, addresses: string[]): string {
  const lines = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback'];
  for (const a of addresses) lines.push(`${a}\t${hostname}`);
  return lines.join('\n') + '\n';
}

export function hostnameFile(hostname: string): string {
  return hostname + '\n';
}

export interface DnsFlags { dns: string[]; search: string[]; options: string[] }

export function validateDnsFlags(f: DnsFlags): void {
  for (const ip of f.dns) if (!isIP(ip)) throw new InvalidArgumentError(`--dns "${ip}": not an IP address`);
  for (const s of [...f.search, ...f.options]) {
    if (!/^[^\s#;]{1,253}$/.test(s)) throw new InvalidArgumentError(`--dns-search/--dns-option "${s.slice(0, 64)}": one word, no spaces`);
  }
}

function isLocalhost(ip: string): boolean {
  return ip.startsWith('127.') || ip === '::1';
}

/**
 * resolv.conf: --dns servers, else the CNI result's, else the host's
 * (without loopback servers, which the container cannot reach from its own
 * namespace). Search and options: the flags', else the result's, else the host's.
 */
export function resolvConf(hostText: string, flags: DnsFlags, result?: CniDns): { text: string; warning?: string } {
  const host = { nameservers: [] as string[], search: [] as string[], options: [] as string[] };
  for (const line of hostText.split('\n')) {
    const [key, ...words] = line.trim().split(/\s+/);
    if (key === 'nameserver' && words[0] && isIP(words[0])) host.nameservers.push(words[0]);
    else if (key === 'search' || key === 'domain') host.search = words.filter(Boolean);
    else if (key === 'options') host.options.push(...words.filter(Boolean));
  }
  const dropped = host.nameservers.filter(isLocalhost);
  host.nameservers = host.nameservers.filter((ip) => !isLocalhost(ip));
  const pick = <T>(...lists: T[][]) => lists.find((l) => l.length) ?? [];
  const nameservers = pick(flags.dns, result?.nameservers ?? [], host.nameservers);
  const search = pick(flags.search, result?.search ?? [], host.search);
  const options = pick(flags.options, result?.options ?? [], host.options);
  const lines = [
    ...(search.length ? [`search ${search.join(' ')}`] : []),
    ...nameservers.map((n) => `nameserver ${n}`),
    ...(options.length ? [`options ${options.join(' ')}`] : []),
  ];
  const warning = !nameservers.length && dropped.length
    ? `the host's resolv.conf names only loopback servers (${dropped.join(', ')}), which the container cannot reach; use --dns`
    : undefined;
  return { text: lines.join('\n') + (lines.length ? '\n' : ''), warning };
}
