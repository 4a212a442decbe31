import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNetwork, ensureDefaultNetwork, hostRoutes, listNetworks, networkUsers, ownConfDir, removeNetwork } from '../../../../src/container/network/networks.js';

const ROUTES = `Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0
eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
tsctr0\t0000D50A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
garbage line
eth1\tZZZZZZZZ\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
`;

test('hostRoutes reads /proc/net/route (little-endian hex) and leaves out the default route and junk', () => {
  assert.equal(hostRoutes(ROUTES), [
    { iface: 'eth0', subnet: { network: 0xc0000200, prefix: 24 } },
    { iface: 'tsctr0', subnet: { network: 0x0ad50000, prefix: 24 } },
  ]);
});

function dirs() {
  const d = mkdtempSync(join(tmpdir(), 'tsctr-net-unit-'));
  const conf = join(d, 'etc');
  mkdirSync(conf);
  return { root: join(d, 'root'), state: join(d, 'state'), confDir: conf, base: d };
}

test('create: a bridge conflist in tsctr\'s own directory; free subnets picked; clashes and duplicates refused', () => {
  const d = dirs();
  try {
    writeFileSync(join(d.confDir, '10-other.conflist'), JSON.stringify({ cniVersion: '1.0.0', name: 'other', plugins: [{ type: 'bridge', ipam: { type: 'host-local', subnet: '10.213.0.0/23' } }] }));
    const a = createNetwork(d, { name: 'neta', bridge: 'br-neta' });
    assert.is(a.path, join(ownConfDir(d.root), 'neta.conflist'));
    const conf = JSON.parse(readFileSync(a.path, 'utf8'));
    const ipam = conf.plugins[0].ipam;
    // 10.213.0.0/23 is taken by the other network: the first free /24 after it.
    assert.equal(ipam.ranges, [[{ subnet: '10.213.2.0/24', gateway: '10.213.2.1' }]]);
    assert.is(ipam.dataDir, join(d.state, 'cni', 'host-local'));
    assert.is(conf.plugins[0].bridge, 'br-neta');
    assert.throws(() => createNetwork(d, { name: 'neta' }), /already exists/);
    assert.throws(() => createNetwork(d, { name: 'netb', subnet: '10.213.2.128/25' }), /overlaps network "neta"/);
    assert.throws(() => createNetwork(d, { name: 'a-very-long-network-name' }), /longer than 15/);
    assert.throws(() => createNetwork(d, { name: '../x' }), /invalid network name/);
    assert.is(createNetwork(d, { name: 'netc', subnet: '10.214.0.0/24' }).conf!.name, 'netc');
    assert.is(createNetwork(d, { name: 'tsctr0' }).conf!.plugins[0]!.ipam !== undefined, true);
    assert.equal(listNetworks(d).map((n) => [n.name, n.own]), [['neta', true], ['netc', true], ['tsctr0', true], ['other', false]]);
  } finally {
    rmSync(d.base, { recursive: true, force: true });
  }
});

test('networks created before the default one leave 10.213.0.0/24 to it', () => {
  const d = dirs();
  try {
    const a = createNetwork(d, { name: 'first', bridge: 'br-first' });
    assert.equal((a.conf!.plugins[0]!.ipam as { ranges: unknown }).ranges, [[{ subnet: '10.213.1.0/24', gateway: '10.213.1.1' }]]);
    ensureDefaultNetwork(d);
    const conf = JSON.parse(readFileSync(join(ownConfDir(d.root), 'tsctr0.conflist'), 'utf8'));
    assert.is(conf.plugins[0].ipam.ranges[0][0].subnet, '10.213.0.0/24');
  } finally {
    rmSync(d.base, { recursive: true, force: true });
  }
});

test('the default network is written once, with TSCTR_CNI_SUBNET when set', () => {
  const d = dirs();
  const saved = process.env.TSCTR_CNI_SUBNET;
  try {
    process.env.TSCTR_CNI_SUBNET = '10.213.40.0/24';
    ensureDefaultNetwork(d);
    ensureDefaultNetwork(d);
    const conf = JSON.parse(readFileSync(join(ownConfDir(d.root), 'tsctr0.conflist'), 'utf8'));
    assert.is(conf.plugins[0].bridge, 'tsctr0');
    assert.is(conf.plugins[0].ipam.ranges[0][0].subnet, '10.213.40.0/24');
  } finally {
    if (saved === undefined) delete process.env.TSCTR_CNI_SUBNET; else process.env.TSCTR_CNI_SUBNET = saved;
    rmSync(d.base, { recursive: true, force: true });
  }
});

test('rm refuses networks that are not tsctr\'s, unknown ones, and ones containers use', () => {
  const d = dirs();
  try {
    writeFileSync(join(d.confDir, '10-other.conflist'), JSON.stringify({ cniVersion: '1.0.0', name: 'other', plugins: [{ type: 'bridge' }] }));
    createNetwork(d, { name: 'used', subnet: '10.214.1.0/24' });
    mkdirSync(join(d.state, 'default', 'web'), { recursive: true });
    writeFileSync(join(d.state, 'default', 'web', 'network.json'), JSON.stringify({ attachments: [{ network: 'used' }] }));
    assert.equal(networkUsers(d.state, 'used'), ['default/web']);
    assert.throws(() => removeNetwork(d, 'other'), /not tsctr's/);
    assert.throws(() => removeNetwork(d, 'missing'), /not found/);
    assert.throws(() => removeNetwork(d, 'used'), /in use by default\/web/);
  } finally {
    rmSync(d.base, { recursive: true, force: true });
  }
});

test.run();
