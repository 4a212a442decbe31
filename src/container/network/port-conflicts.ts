// portmap only adds DNAT rules: it never notices that a host port is taken.
// Two containers publishing one port would both "succeed" (the first rule
// wins), and a host server on that port would silently stop receiving. So
// before ADD: no other tsctr container (any namespace of this --state) may
// publish the port, and binding it on the host must work.
import { createSocket } from 'node:dgram';
import { readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { AlreadyExistsError } from '../../errors.js';
import { readJson } from '../../util/fs.js';
import { formatPortMapping, type PortMapping } from './ports.js';

const overlaps = (a: PortMapping, b: PortMapping) => a.protocol === b.protocol && a.hostPort === b.hostPort && (!a.hostIP || !b.hostIP || a.hostIP === b.hostIP);

function publishedByOthers(state: string, self: string): { who: string; m: PortMapping }[] {
  const out: { who: string; m: PortMapping }[] = [];
  const dirs = (p: string) => { try { return readdirSync(p, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name); } catch { return []; } };
  for (const ns of dirs(state)) {
    for (const id of dirs(join(state, ns))) {
      const dir = join(state, ns, id);
      if (dir === self) continue;
      let st: { ports?: PortMapping[] } | undefined;
      try { st = readJson(join(dir, 'network.json')); } catch { continue; }
      for (const m of st?.ports ?? []) out.push({ who: `${ns}/${id}`, m });
    }
  }
  return out;
}

function canBind(m: PortMapping): Promise<string | undefined> {
  return new Promise((resolve) => {
    if (m.protocol === 'udp') {
      const s = createSocket(m.hostIP.includes(':') ? 'udp6' : 'udp4');
      s.once('error', (e: NodeJS.ErrnoException) => { s.close(); resolve(e.code); });
      s.bind(m.hostPort, m.hostIP || undefined, () => s.close(() => resolve(undefined)));
      return;
    }
    const srv = createServer();
    srv.once('error', (e: NodeJS.ErrnoException) => resolve(e.code));
    srv.listen({ port: m.hostPort, host: m.hostIP || undefined, exclusive: true }, () => srv.close(() => resolve(undefined)));
  });
}

/** Throws AlreadyExists naming who has the port. */
export async function checkPortsFree(state: string, taskDir: string, ports: PortMapping[]): Promise<void> {
  const others = publishedByOthers(state, taskDir);
  for (const m of ports) {
    const clash = others.find((o) => overlaps(o.m, m));
    if (clash) throw new AlreadyExistsError(`-p ${formatPortMapping(m)}: host port ${m.hostPort}/${m.protocol} is already published by container ${clash.who}`, { hint: 'pick another host port' });
    const code = await canBind(m);
    if (code === 'EADDRINUSE') throw new AlreadyExistsError(`-p ${formatPortMapping(m)}: host port ${m.hostPort}/${m.protocol} is in use on this host`, { hint: 'pick another host port, or stop what listens there (ss -lntup)' });
  }
}
