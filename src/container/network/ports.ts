// -p/--publish [hostIP:]hostPort:containerPort[/tcp|udp] → the portMappings
// capability argument of the CNI portmap plugin (CNI CONVENTIONS.md,
// "portMappings"). Pure; the malicious-input suite is test/unit/container/network/ports.test.ts.
import { isIP } from 'node:net';
import { InvalidArgumentError } from '../../errors.js';

export interface PortMapping {
  hostPort: number;
  containerPort: number;
  protocol: 'tcp' | 'udp';
  /** Empty: every host address. */
  hostIP: string;
}

const HINT = 'use -p [hostIP:]hostPort:containerPort[/tcp|udp], e.g. -p 8080:80 or -p 127.0.0.1:8080:80/tcp';

function port(s: string, what: string, flag: string): number {
  if (!/^[0-9]{1,5}$/.test(s)) throw new InvalidArgumentError(`-p "${flag}": ${what} "${s}" is not a port number`, { hint: HINT });
  const n = Number(s);
  if (n < 1 || n > 65535) throw new InvalidArgumentError(`-p "${flag}": ${what} ${n} is out of range (1-65535)`, { hint: HINT });
  return n;
}

export function parsePublish(flag: string): PortMapping {
  if (flag.length > 128 || /[\s\0]/.test(flag)) throw new InvalidArgumentError(`-p ${JSON.stringify(flag.slice(0, 64))}: not a port mapping`, { hint: HINT });
  let rest = flag;
  let protocol: 'tcp' | 'udp' = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    const p = rest.slice(slash + 1).toLowerCase();
    if (p !== 'tcp' && p !== 'udp') throw new InvalidArgumentError(`-p "${flag}": protocol "${p}" is not tcp or udp`, { hint: HINT });
    protocol = p;
    rest = rest.slice(0, slash);
  }
  // The host IP may be an IPv6 address in brackets: [::1]:8080:80.
  let hostIP = '';
  const bracket = /^\[([^\]]*)\]:(.*)$/.exec(rest);
  if (bracket) {
    hostIP = bracket[1]!;
    rest = bracket[2]!;
    if (isIP(hostIP) !== 6) throw new InvalidArgumentError(`-p "${flag}": "${hostIP}" is not an IPv6 address`, { hint: HINT });
  }
  const parts = rest.split(':');
  if (!bracket && parts.length === 3) {
    hostIP = parts.shift()!;
    if (hostIP !== '' && isIP(hostIP) !== 4) throw new InvalidArgumentError(`-p "${flag}": "${hostIP}" is not an IP address`, { hint: HINT });
  }
  if (parts.length !== 2) throw new InvalidArgumentError(`-p "${flag}": expected hostPort:containerPort`, { hint: HINT });
  return { hostPort: port(parts[0]!, 'host port', flag), containerPort: port(parts[1]!, 'container port', flag), protocol, hostIP };
}

/** Parses every -p and refuses the same host port twice. */
export function parsePublishList(flags: string[]): PortMapping[] {
  const list = flags.map(parsePublish);
  const seen = new Set<string>();
  for (const m of list) {
    const key = `${m.protocol}/${m.hostIP || '*'}/${m.hostPort}`;
    if (seen.has(key)) throw new InvalidArgumentError(`-p: host port ${m.hostPort}/${m.protocol}${m.hostIP ? ` on ${m.hostIP}` : ''} is published twice`);
    seen.add(key);
  }
  return list;
}

export function formatPortMapping(m: PortMapping): string {
  const host = m.hostIP ? (m.hostIP.includes(':') ? `[${m.hostIP}]:` : `${m.hostIP}:`) : '';
  return `${host}${m.hostPort}->${m.containerPort}/${m.protocol}`;
}
