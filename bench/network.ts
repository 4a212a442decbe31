// run --rm with and without a CNI network, next to the CNI plugins alone
// (the same conflist's ADD and DEL against a netns, run in-process: the
// floor any runtime using these plugins pays). Interleaved, same run.
// Uses its own network (bridge tsnet-bench, 10.213.250.0/24) and removes it.
//   node dist/bench/network.js [--runs 5]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, FIXTURE_IMAGE, FIXTURE_REF, REPO } from '../test/helpers/tsctr.js';
import { measure, report, summarize, type Sample } from './measure.js';
import { loadSys } from '../src/sys/index.js';
import { addNetwork, delNetwork } from '../src/container/network/cni.js';
import { findNetwork } from '../src/container/network/cni-config.js';
import { createNetns, removeNetns } from '../src/container/network/netns.js';
import { ownConfDir } from '../src/container/network/networks.js';

const runsAt = process.argv.indexOf('--runs');
const runs = runsAt > 0 ? Number(process.argv[runsAt + 1]) : 5;
const tmp = mkdtempSync('/tmp/tsctr-bench-net-');
const root = join(tmp, 'root');
const state = join(tmp, 'state');
const node = process.execPath;
const tsctr = (a: string[]) => [BIN, '--root', root, '--state', state, ...a];
const NET = 'netbench';
const BRIDGE = 'tsnet-bench';

async function pluginsAlone(i: number): Promise<Sample> {
  const sys = await loadSys();
  const conf = findNetwork(NET, [ownConfDir(root)]).conf;
  const netns = join(tmp, `netns-${i}`);
  const rt = { containerId: `bench-${i}`, netns, ifName: 'eth0', binDirs: ['/usr/lib/cni', '/opt/cni/bin'], args: 'IgnoreUnknown=1', capabilityArgs: {} };
  const t0 = process.hrtime.bigint();
  await createNetns(sys, netns);
  const r = await addNetwork(conf, rt);
  await delNetwork(conf, rt, r.raw);
  removeNetns(sys, netns);
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6 };
}

async function main(): Promise<void> {
  if (process.geteuid?.() !== 0) { console.log('bench/network: needs root'); return; }
  if (!existsSync('/usr/lib/cni/bridge') && !existsSync('/opt/cni/bin/bridge')) { console.log('bench/network: containernetworking-plugins not installed'); return; }
  if (spawnSync(node, [join(REPO, 'fixtures/make-busybox-image.js')]).status !== 0) throw new Error('fixture build failed');
  execFileSync(node, tsctr(['images', 'import', FIXTURE_IMAGE]));
  execFileSync(node, tsctr(['network', 'create', NET, '--bridge', BRIDGE, '--subnet', '10.213.250.0/24']));
  try {
    const rows: Record<string, Sample[]> = { 'tsctr run --rm IMG c true': [], 'tsctr run --rm --net N IMG c true': [], 'CNI netns+ADD+DEL alone (in-process)': [] };
    for (let i = 0; i < runs; i++) {
      rows['tsctr run --rm IMG c true']!.push(measure(node, tsctr(['run', '--rm', FIXTURE_REF, `nb${i}`, 'true'])));
      rows['tsctr run --rm --net N IMG c true']!.push(measure(node, tsctr(['run', '--rm', '--net', NET, FIXTURE_REF, `nn${i}`, 'true'])));
      rows['CNI netns+ADD+DEL alone (in-process)']!.push(await pluginsAlone(i));
    }
    report(`a container on a CNI network (bridge, portmap, firewall; ${runs} runs each; ratio to the plugins alone)`, Object.entries(rows).map(([k, v]) => summarize(k, v)), 'CNI netns+ADD+DEL alone (in-process)');
  } finally {
    spawnSync(node, tsctr(['network', 'rm', NET]));
    if (existsSync(`/sys/class/net/${BRIDGE}`)) spawnSync('ip', ['link', 'delete', 'dev', BRIDGE]);
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
