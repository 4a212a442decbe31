// Networking flags, declared once: run's (--cni, --net, -p, --dns…) and the
// CNI directories the network commands share.
import type { Argv } from 'yargs';
import { listOf } from './flags.js';

export const NETWORK_VALUE_OPTIONS = ['--net', '--cni-conf-dir', '--cni-bin-dir', '--publish', '-p', '--dns', '--dns-search', '--dns-option'];

export interface CniDirArgs { 'cni-conf-dir'?: string; 'cni-bin-dir'?: string | string[] }
export interface NetworkArgs extends CniDirArgs {
  cni: boolean; net?: string | string[]; publish?: string | string[]; dns?: string | string[]; 'dns-search'?: string | string[]; 'dns-option'?: string | string[];
}

export function addCniDirFlags<T>(y: Argv<T>) {
  return y
    .option('cni-conf-dir', { type: 'string', describe: 'CNI network configs (default /etc/cni/net.d; tsctr\'s own networks are in <root>/cni/net.d)' })
    .option('cni-bin-dir', { type: 'string', describe: 'CNI plugin directory, repeatable (default /usr/lib/cni, then /opt/cni/bin)' });
}

export function addNetworkFlags<T>(y: Argv<T>) {
  return addCniDirFlags(y)
    .option('cni', { type: 'boolean', default: false, describe: 'join a CNI network (default: tsctr0, a bridge tsctr creates on first use)' })
    .option('net', { type: 'string', describe: 'join this CNI network (repeatable; implies --cni)' })
    .option('publish', { alias: 'p', type: 'string', describe: 'publish a port [hostIP:]hostPort:containerPort[/tcp|udp] (repeatable; implies --cni)' })
    .option('dns', { type: 'string', describe: 'a nameserver for the container\'s resolv.conf (repeatable; default: the host\'s)' })
    .option('dns-search', { type: 'string', describe: 'a search domain for resolv.conf (repeatable)' })
    .option('dns-option', { type: 'string', describe: 'a resolv.conf option, e.g. ndots:2 (repeatable)' });
}

export function networkFlagsOf(a: NetworkArgs) {
  return {
    cni: a.cni, networks: listOf(a.net), confDir: a['cni-conf-dir'], binDirs: listOf(a['cni-bin-dir']), publish: listOf(a.publish).map(String),
    dns: listOf(a.dns), dnsSearch: listOf(a['dns-search']), dnsOptions: listOf(a['dns-option']),
  };
}
