// The CNI result parser against real plugin output (0.4.0, 1.0.0) and
// against output a broken or hostile plugin could print.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { containerAddresses, MAX_PLUGIN_OUTPUT, parseCniError, parseCniResult } from '../../../../src/container/network/cni-result.js';

// As Debian's bridge plugin 1.1.1 prints it for a 1.0.0 config.
const v100 = {
  cniVersion: '1.0.0',
  interfaces: [{ name: 'tsctr0', mac: '7a:a4:49:80:65:0f' }, { name: 'veth7e78f46c', mac: '2a:87:0e:03:51:21' }, { name: 'eth0', mac: '3e:6b:b6:81:3d:ab', sandbox: '/run/tsctr/default/web/netns' }],
  ips: [{ interface: 2, address: '10.213.0.2/24', gateway: '10.213.0.1' }],
  routes: [{ dst: '0.0.0.0/0' }],
  dns: {},
};
const v040 = { ...v100, cniVersion: '0.4.0', ips: [{ version: '4', interface: 2, address: '10.213.0.2/24', gateway: '10.213.0.1' }] };

test('1.0.0 and 0.4.0 results: interfaces, ips, routes; the container addresses are the sandbox ones', () => {
  for (const doc of [v100, v040]) {
    const r = parseCniResult(JSON.stringify(doc));
    assert.is(r.cniVersion, doc.cniVersion);
    assert.is(r.interfaces.length, 3);
    assert.equal(r.ips, [{ address: '10.213.0.2/24', gateway: '10.213.0.1', interface: 2 }]);
    assert.equal(r.routes, [{ dst: '0.0.0.0/0', gw: undefined }]);
    assert.equal(containerAddresses(r), ['10.213.0.2']);
    assert.equal(r.raw, doc);
  }
  const v6 = parseCniResult(JSON.stringify({ cniVersion: '1.0.0', ips: [{ address: 'fd00:213::2/64' }], dns: { nameservers: ['10.0.0.53'], search: ['example.org'], options: ['ndots:2'] } }));
  assert.equal(containerAddresses(v6), ['fd00:213::2']);
  assert.equal(v6.dns, { nameservers: ['10.0.0.53'], domain: undefined, search: ['example.org'], options: ['ndots:2'] });
});

test('a result that is not JSON, too big, or not an object is refused', () => {
  for (const text of ['', 'not json', '{"cniVersion": "1.0.0"', '[]', 'null', '"1.0.0"', '42', ' '.repeat(MAX_PLUGIN_OUTPUT + 1)]) {
    assert.throws(() => parseCniResult(text), /result|JSON|larger/, `accepted ${JSON.stringify(text.slice(0, 30))}`);
  }
});

test('wrong types, bad addresses and out-of-range indexes are refused, naming the field', () => {
  const bad: [unknown, RegExp][] = [
    [{ ...v100, cniVersion: '9.9.9' }, /cniVersion/],
    [{ ...v100, cniVersion: 1 }, /cniVersion/],
    [{ ...v100, interfaces: {} }, /interfaces: expected an array/],
    [{ ...v100, interfaces: [null] }, /interfaces\[0\]/],
    [{ ...v100, interfaces: [{ name: 'eth0/../../x' }] }, /interfaces\[0\]\.name/],
    [{ ...v100, interfaces: [{ name: 'a-very-long-interface-name' }] }, /interfaces\[0\]\.name/],
    [{ ...v100, interfaces: [{ name: 'eth0', mac: 'zz:zz' }] }, /mac/],
    [{ ...v100, ips: [{ address: '10.213.0.2' }] }, /address\/prefix/],
    [{ ...v100, ips: [{ address: '10.213.0.300/24' }] }, /address\/prefix/],
    [{ ...v100, ips: [{ address: '10.213.0.2/33' }] }, /prefix longer/],
    [{ ...v100, ips: [{ address: '::1/129' }] }, /prefix longer/],
    [{ ...v100, ips: [{ address: '10.0.0.2/24\n10.0.0.3 evil' }] }, /control character/],
    [{ ...v100, ips: [{ address: { toString: 'x' } }] }, /expected a string/],
    [{ ...v100, ips: [{ address: '10.213.0.2/24', gateway: 'gw' }] }, /gateway/],
    [{ ...v100, ips: [{ address: '10.213.0.2/24', interface: 7 }] }, /interface/],
    [{ ...v100, ips: [{ address: '10.213.0.2/24', interface: -1 }] }, /interface/],
    [{ ...v100, ips: [{ address: '10.213.0.2/24', interface: '2' }] }, /interface/],
    [{ ...v040, ips: [{ version: '6', address: '10.213.0.2/24' }] }, /version/],
    [{ ...v100, routes: [{ dst: 'default' }] }, /routes\[0\]\.dst/],
    [{ ...v100, routes: [{ dst: '0.0.0.0/0', gw: '1.2.3' }] }, /routes\[0\]\.gw/],
    [{ ...v100, dns: [] }, /dns/],
    [{ ...v100, dns: { nameservers: ['8.8.8.8; rm -rf /'] } }, /nameservers/],
    [{ ...v100, dns: { search: ['a b'] } }, /whitespace/],
    [{ ...v100, dns: { domain: 'x\nnameserver 6.6.6.6' } }, /control character/],
    [{ ...v100, ips: Array.from({ length: 300 }, () => ({ address: '10.0.0.1/8' })) }, /more than/],
  ];
  for (const [doc, re] of bad) assert.throws(() => parseCniResult(JSON.stringify(doc)), re, `accepted ${JSON.stringify(doc).slice(0, 120)}`);
});

test('__proto__ keys in a result do not reach our objects', () => {
  const r = parseCniResult('{"cniVersion":"1.0.0","__proto__":{"polluted":true},"ips":[{"address":"10.0.0.2/24","__proto__":{"gateway":"6.6.6.6"}}]}');
  assert.is(({} as Record<string, unknown>).polluted, undefined);
  assert.is(r.ips[0]!.gateway, undefined);
});

test('error reports: code, msg, details; anything else is no report', () => {
  assert.equal(parseCniError('{"cniVersion":"1.0.0","code":11,"msg":"try again","details":"lock held"}'), { code: 11, msg: 'try again', details: 'lock held' });
  assert.equal(parseCniError('{"code":7,"msg":"bad\\nenv\\u001b[31m"}'), { code: 7, msg: 'bad env [31m', details: undefined });
  for (const t of ['', 'panic: runtime error', '{"code":"7","msg":"x"}', '{"code":7}', '[1]', 'x'.repeat(MAX_PLUGIN_OUTPUT + 2)]) assert.is(parseCniError(t), undefined);
  assert.is(parseCniError(JSON.stringify({ code: 1, msg: 'y'.repeat(5000) }))!.msg.length, 1000);
});

test.run();
