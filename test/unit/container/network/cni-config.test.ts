// Config files and plugin names come from disk and from users: a config
// must not be able to name a binary outside the plugin directories.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  bridgeConfList, describeBridge, findNetwork, findPlugin, inSubnet, listNetworkFiles, parseConfList, parseSubnet, subnetsOverlap,
} from '../../../../src/container/network/cni-config.js';

test('a conflist, and a single plugin config wrapped as a list of one', () => {
  const l = parseConfList(JSON.stringify({ cniVersion: '0.4.0', name: 'n1', plugins: [{ type: 'bridge' }, { type: 'portmap', capabilities: { portMappings: true } }] }), 'f');
  assert.equal(l.plugins.map((p) => p.type), ['bridge', 'portmap']);
  const one = parseConfList(JSON.stringify({ cniVersion: '1.0.0', name: 'n2', type: 'bridge', bridge: 'br9' }), 'f');
  assert.is(one.plugins.length, 1);
  assert.is(one.plugins[0]!.bridge, 'br9');
  assert.is(parseConfList('{"name":"old","type":"bridge"}', 'f').cniVersion, '0.3.0');
});

test('malicious configs: plugin types that are paths, bad names, wrong shapes', () => {
  const bad: [unknown, RegExp][] = [
    [{ name: 'n', cniVersion: '1.0.0', plugins: [{ type: '../../../bin/sh' }] }, /not a plugin name/],
    [{ name: 'n', cniVersion: '1.0.0', plugins: [{ type: '/bin/sh' }] }, /not a plugin name/],
    [{ name: 'n', cniVersion: '1.0.0', plugins: [{ type: 'bridge/../../x' }] }, /not a plugin name/],
    [{ name: 'n', cniVersion: '1.0.0', plugins: [{ type: '.' }] }, /not a plugin name/],
    [{ name: 'n', cniVersion: '1.0.0', plugins: [{ type: '..' }] }, /not a plugin name/],
    [{ name: 'n', cniVersion: '1.0.0', plugins: [{ type: 'a\0b' }] }, /not a plugin name/],
    [{ name: 'n', cniVersion: '1.0.0', plugins: [{ type: 7 }] }, /not a plugin name/],
    [{ name: 'n', cniVersion: '1.0.0', plugins: [] }, /non-empty/],
    [{ name: 'n', cniVersion: '1.0.0', plugins: [null] }, /not an object/],
    [{ name: 'n', cniVersion: '1.0.0', plugins: [{ type: 'bridge', capabilities: [] }] }, /capabilities/],
    [{ name: '../etc', cniVersion: '1.0.0', plugins: [{ type: 'bridge' }] }, /invalid network name/],
    [{ name: 'n', cniVersion: '2.0.0', plugins: [{ type: 'bridge' }] }, /cniVersion/],
    [{ cniVersion: '1.0.0', plugins: [{ type: 'bridge' }] }, /no "name"/],
    [[], /not a JSON object/],
  ];
  for (const [doc, re] of bad) assert.throws(() => parseConfList(JSON.stringify(doc), 'x.conflist'), re, `accepted ${JSON.stringify(doc)}`);
  assert.throws(() => parseConfList('{', 'x.conflist'), /not JSON/);
  assert.throws(() => parseConfList(' '.repeat((1 << 20) + 1), 'x.conflist'), /larger/);
});

test('findPlugin: only a regular executable file named exactly the type, in the given directories', () => {
  const d = mkdtempSync(join(tmpdir(), 'tsctr-cni-bin-'));
  try {
    mkdirSync(join(d, 'a'));
    mkdirSync(join(d, 'b'));
    writeFileSync(join(d, 'b', 'bridge'), '#!/bin/sh\n');
    chmodSync(join(d, 'b', 'bridge'), 0o755);
    writeFileSync(join(d, 'a', 'noexec'), '');
    mkdirSync(join(d, 'a', 'dir'));
    assert.is(findPlugin('bridge', [join(d, 'a'), join(d, 'b')]), join(d, 'b', 'bridge'));
    assert.throws(() => findPlugin('noexec', [join(d, 'a')]), /not found/);
    assert.throws(() => findPlugin('dir', [join(d, 'a')]), /not found/);
    for (const t of ['../b/bridge', '/bin/sh', '..', '']) assert.throws(() => findPlugin(t, [join(d, 'a')]), /not a plugin name/);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('listNetworkFiles/findNetwork: file order, first directory wins, broken files listed with their error', () => {
  const d = mkdtempSync(join(tmpdir(), 'tsctr-cni-conf-'));
  try {
    const own = join(d, 'own');
    const etc = join(d, 'etc');
    mkdirSync(own);
    mkdirSync(etc);
    writeFileSync(join(own, 'x.conflist'), JSON.stringify({ cniVersion: '1.0.0', name: 'shared', plugins: [{ type: 'bridge', bridge: 'own' }] }));
    writeFileSync(join(etc, '10-a.conflist'), JSON.stringify({ cniVersion: '1.0.0', name: 'shared', plugins: [{ type: 'bridge', bridge: 'etc' }] }));
    writeFileSync(join(etc, '20-b.conf'), JSON.stringify({ cniVersion: '0.4.0', name: 'single', type: 'bridge' }));
    writeFileSync(join(etc, '30-broken.conflist'), '{"name":');
    writeFileSync(join(etc, 'README'), 'not a config');
    symlinkSync('/etc/passwd', join(etc, '40-link.json'));
    const all = listNetworkFiles([own, etc]);
    assert.equal(all.map((n) => n.name), ['shared', 'shared', 'single', '30-broken', '40-link']);
    assert.ok(all[3]!.error && all[4]!.error);
    assert.is(findNetwork('shared', [own, etc]).conf.plugins[0]!.bridge, 'own');
    assert.is(findNetwork('single', [own, etc]).conf.cniVersion, '0.4.0');
    assert.throws(() => findNetwork('nope', [own, etc]), /not found/);
    assert.throws(() => findNetwork('../own/x', [own, etc]), /invalid network name/);
    assert.equal(listNetworkFiles([join(d, 'missing')]), []);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('subnets: parsing, host bits, overlap; the bridge network tsctr writes', () => {
  assert.equal(parseSubnet('10.213.0.0/24'), { network: 0x0ad50000, prefix: 24 });
  for (const s of ['10.213.0.1/24', '10.213.0.0', '10.213.0.0/7', '10.213.0.0/30', 'fd00::/64', '10.213.0.0/24/1', '300.0.0.0/8']) assert.throws(() => parseSubnet(s), /subnet/);
  assert.ok(subnetsOverlap(parseSubnet('10.213.0.0/16'), parseSubnet('10.213.5.0/24')));
  assert.not.ok(subnetsOverlap(parseSubnet('10.213.0.0/24'), parseSubnet('10.213.1.0/24')));
  assert.ok(inSubnet('10.213.0.1', parseSubnet('10.213.0.0/24')));
  assert.not.ok(inSubnet('10.213.1.1', parseSubnet('10.213.0.0/24')));
  const c = bridgeConfList({ name: 'n', bridge: 'br-n', subnet: '10.213.9.0/24', ipamDataDir: '/run/tsctr/cni/host-local' });
  assert.equal(c.plugins.map((p) => p.type), ['bridge', 'portmap', 'firewall']);
  assert.equal(describeBridge(c), { bridge: 'br-n', subnets: ['10.213.9.0/24'] });
  assert.equal((c.plugins[0]!.ipam as { ranges: unknown }).ranges, [[{ subnet: '10.213.9.0/24', gateway: '10.213.9.1' }]]);
  assert.throws(() => bridgeConfList({ name: 'n', bridge: 'a-bridge-name-too-long', subnet: '10.213.9.0/24', ipamDataDir: '/x' }), /bridge name/);
  assert.throws(() => bridgeConfList({ name: 'n', bridge: 'b', subnet: '10.213.9.0/24', gateway: '10.213.8.1', ipamDataDir: '/x' }), /not in subnet/);
  assert.equal(describeBridge({ cniVersion: '1.0.0', name: 'x', plugins: [{ type: 'bridge', ipam: { ranges: [null, [{ subnet: 5 }], 'x'] } }] }), { bridge: undefined, subnets: [] });
});

test.run();
