// tsctr network ls|inspect|create|rm|check: a thin layer over CNI config
// files (they stay the source of truth) and CNI CHECK of a container.
import type { Argv } from 'yargs';
import type { GlobalArgs } from '../context.js';
import { addCniDirFlags, type CniDirArgs } from '../flags-network.js';
import { addListFlags, listFormatOf, type ListArgs } from '../flags.js';
import { printJson, printList } from '../render.js';

type Args = GlobalArgs & CniDirArgs;

async function dirsOf(a: Args) {
  const { DEFAULT_CONF_DIR } = await import('../../container/network/networks.js');
  return { root: a.root, state: a.state, confDir: a['cni-conf-dir'] ?? DEFAULT_CONF_DIR };
}

export default function register(y: Argv): Argv {
  return addCniDirFlags(y)
    .command(['ls', 'list'], 'list CNI networks (tsctr\'s own, then --cni-conf-dir\'s)', (s) => addListFlags(s, 'network names'), async (argv) => {
      const a = argv as unknown as Args & ListArgs;
      const { listNetworks } = await import('../../container/network/networks.js');
      const { describeBridge } = await import('../../container/network/cni-config.js');
      const list = listNetworks(await dirsOf(a));
      printList(listFormatOf(a), list, {
        headers: ['NAME', 'BRIDGE', 'SUBNET', 'PLUGINS', 'FILE'],
        row: (n) => {
          const b = n.conf ? describeBridge(n.conf) : { bridge: undefined, subnets: [] };
          return [n.name, b.bridge ?? '-', b.subnets.join(',') || '-', n.conf ? n.conf.plugins.map((p) => p.type).join(',') : `invalid: ${n.error}`, n.path];
        },
        id: (n) => n.name,
        json: (n) => ({ name: n.name, file: n.path, own: n.own, ...(n.conf ? describeBridge(n.conf) : {}), plugins: n.conf?.plugins.map((p) => p.type), error: n.error }),
      });
    })
    .command('inspect <name>', 'print a network\'s config file, path and the containers on it', (s) => s.positional('name', { type: 'string', demandOption: true }), async (argv) => {
      const a = argv as unknown as Args & { name: string };
      const { findNetwork } = await import('../../container/network/cni-config.js');
      const { networkUsers, searchDirs } = await import('../../container/network/networks.js');
      const d = await dirsOf(a);
      const n = findNetwork(a.name, searchDirs(d));
      printJson({ name: n.name, file: n.path, containers: networkUsers(d.state, n.name), config: n.conf });
    })
    .command('create <name>', 'create a bridge network (bridge, host-local IPAM, portmap, firewall) in tsctr\'s config directory', (s) => s
      .positional('name', { type: 'string', demandOption: true })
      .option('subnet', { type: 'string', describe: 'IPv4 subnet, e.g. 10.213.5.0/24 (default: the first free /24 of 10.213.0.0/16)' })
      .option('gateway', { type: 'string', describe: 'the bridge\'s address (default: the subnet\'s first)' })
      .option('bridge', { type: 'string', describe: 'bridge device name, at most 15 characters (default: the network name)' }), async (argv) => {
      const a = argv as unknown as Args & { name: string; subnet?: string; gateway?: string; bridge?: string };
      const { createNetwork } = await import('../../container/network/networks.js');
      const n = createNetwork(await dirsOf(a), { name: a.name, subnet: a.subnet, gateway: a.gateway, bridge: a.bridge });
      process.stdout.write(`${n.name}\t${n.path}\n`);
    })
    .command(['rm <name..>', 'remove'], 'remove tsctr networks: the config, the unused bridge, host-local\'s empty state', (s) => s.positional('name', { type: 'string', array: true, demandOption: true }), async (argv) => {
      const a = argv as unknown as Args & { name: string[] };
      const { removeNetwork } = await import('../../container/network/networks.js');
      const d = await dirsOf(a);
      for (const name of a.name) {
        const done = removeNetwork(d, name);
        process.stdout.write(name + '\n');
        if (a.debug) for (const l of done) process.stderr.write(`debug: ${l}\n`);
      }
    })
    .command('check <id>', 'run CNI CHECK for a running container\'s networks', (s) => s.positional('id', { type: 'string', demandOption: true }), async (argv) => {
      const a = argv as unknown as Args & { id: string };
      const { openManager } = await import('../container-manager.js');
      const { liveTask } = await import('../../container/manage.js');
      const { checkContainerNetwork } = await import('../../container/network/index.js');
      const { NotFoundError } = await import('../../errors.js');
      const m = await openManager(a);
      m.store.get(a.id);
      if (!(await liveTask(m, a.id))) throw new NotFoundError(`container "${a.id}" has no running task`, { hint: 'CHECK needs a running container' });
      for (const line of await checkContainerNetwork(m.store.taskDir(a.id), a.id)) process.stdout.write(`${a.id}: ${line}\n`);
    })
    .demandCommand(1, 'name a subcommand: ls, inspect, create, rm, check');
}
