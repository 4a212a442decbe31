// `tsctr check` rows for networking: are the CNI plugins (and iptables,
// which portmap and firewall call) installed, and can a throwaway bridge
// network be set up, checked and torn down in a throwaway netns? Not
// required: containers without --cni need none of it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Sys } from '../sys/index.js';
import { addNetwork, checkNetwork, delNetwork, type Runtime } from '../container/network/cni.js';
import { bridgeConfList, DEFAULT_BIN_DIRS, findPlugin, parseSubnet, subnetsOverlap } from '../container/network/cni-config.js';
import { CniPluginError } from '../container/network/cni-exec.js';
import { containerAddresses } from '../container/network/cni-result.js';
import { createNetns, removeNetns } from '../container/network/netns.js';
import { hostRoutes } from '../container/network/networks.js';
import type { CheckResult } from './probes.js';

const PLUGINS = ['bridge', 'host-local', 'portmap', 'firewall', 'loopback'];
/** A /29 of 10.213.255.0/24 chosen by pid: two checks running at once (parallel test suites) rarely share one. */
const probeSubnet = () => `10.213.255.${(process.pid % 32) * 8}/29`;
const INSTALL = 'apt-get install containernetworking-plugins iptables';

export async function checkNetworking(sys: Sys, binDirs: string[] = DEFAULT_BIN_DIRS): Promise<CheckResult[]> {
  const rows: CheckResult[] = [];
  const missing = PLUGINS.filter((p) => { try { findPlugin(p, binDirs); return false; } catch { return true; } });
  rows.push(missing.length
    ? { name: 'cni plugins', status: 'warn', detail: `missing ${missing.join(', ')} in ${binDirs.join(', ')}`, hint: `run --cni needs them: ${INSTALL}`, required: false }
    : { name: 'cni plugins', status: 'ok', detail: `${PLUGINS.join(', ')} in ${binDirs.find((d) => existsSync(join(d, 'bridge')))}`, required: false });
  const ipt = spawnSync('iptables', ['--version'], { encoding: 'utf8' });
  rows.push(ipt.status === 0
    ? { name: 'iptables', status: 'ok', detail: ipt.stdout.trim(), required: false }
    : { name: 'iptables', status: 'warn', detail: 'not found', hint: `published ports (-p) and the firewall plugin need it: ${INSTALL}`, required: false });
  if (missing.length || ipt.status !== 0 || process.geteuid?.() !== 0) {
    rows.push({ name: 'cni network', status: 'warn', detail: 'not tried', hint: process.geteuid?.() !== 0 ? 'needs root' : `install the plugins first: ${INSTALL}`, required: false });
    return rows;
  }
  rows.push(await probeNetwork(sys, binDirs));
  return rows;
}

/** ADD, CHECK and DEL on a throwaway bridge in a throwaway netns; everything is removed after. */
async function probeNetwork(sys: Sys, binDirs: string[]): Promise<CheckResult> {
  const name = 'cni network';
  const subnet = probeSubnet();
  const clash = hostRoutes().find((r) => subnetsOverlap(r.subnet, parseSubnet(subnet)));
  if (clash) return { name, status: 'warn', detail: `not tried: ${subnet} is routed through ${clash.iface}`, required: false };
  const dir = mkdtempSync(join(tmpdir(), 'tsctr-check-net-'));
  const bridge = `tsck${(process.pid % 0xffffff).toString(16)}`;
  const conf = bridgeConfList({ name: `tsctr-check-${process.pid}`, bridge, subnet, ipamDataDir: join(dir, 'ipam') });
  const rt: Runtime = { containerId: `tsctr-check-${process.pid}`, netns: join(dir, 'netns'), ifName: 'eth0', binDirs, args: 'IgnoreUnknown=1', capabilityArgs: {} };
  const t0 = performance.now();
  let added = false;
  let address = '';
  try {
    await createNetns(sys, rt.netns);
    const r = await addNetwork(conf, rt);
    added = true;
    address = containerAddresses(r).join(', ');
    await checkNetwork(conf, rt, r.raw, (e) => e instanceof CniPluginError && e.plugin === 'portmap' && /ipv6/i.test(e.message));
    await delNetwork(conf, rt, r.raw);
    added = false;
    const left = existsSync(`/sys/class/net/${bridge}/brif`) ? readdirSync(`/sys/class/net/${bridge}/brif`) : [];
    if (left.length) return { name, status: 'warn', detail: `DEL left ${left.join(', ')} on bridge ${bridge}`, required: false };
    return { name, status: 'ok', detail: `ADD (${address}), CHECK, DEL on a throwaway bridge in a throwaway netns (${Math.round(performance.now() - t0)} ms)`, required: false };
  } catch (e) {
    return { name, status: 'warn', detail: (e as Error).message, hint: (e as { hint?: string }).hint, required: false };
  } finally {
    if (added) await delNetwork(conf, rt).catch(() => undefined);
    try { removeNetns(sys, rt.netns); } catch { /* reported by the row already */ }
    if (existsSync(`/sys/class/net/${bridge}`)) spawnSync('ip', ['link', 'delete', 'dev', bridge]);
    rmSync(dir, { recursive: true, force: true });
  }
}
