import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hostnameFile, hostsFile, resolvConf, validateDnsFlags } from '../../../../src/container/network/names.js';

const none = { dns: [], search: [], options: [] };

test('/etc/hosts has localhost lines and the container name on its addresses', () => {
  assert.is(hostsFile('web', ['10.213.0.2']), '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n10.213.0.2\tweb\n');
  assert.is(hostnameFile('web'), 'web\n');
});

test('resolv.conf: the host\'s without loopback servers; --dns, --dns-search, --dns-option win', () => {
  const host = '# comment\nsearch corp.example\nnameserver 127.0.0.53\nnameserver 192.0.2.53\noptions edns0\n';
  assert.is(resolvConf(host, none).text, 'search corp.example\nnameserver 192.0.2.53\noptions edns0\n');
  assert.is(resolvConf(host, { dns: ['10.0.0.1', '10.0.0.2'], search: ['a.example'], options: ['ndots:2'] }).text, 'search a.example\nnameserver 10.0.0.1\nnameserver 10.0.0.2\noptions ndots:2\n');
  assert.is(resolvConf(host, none, { nameservers: ['10.9.9.9'], search: [], options: [] }).text, 'search corp.example\nnameserver 10.9.9.9\noptions edns0\n');
  const only = resolvConf('nameserver 127.0.0.53\n', none);
  assert.is(only.text, '');
  assert.match(only.warning!, /loopback/);
  assert.is(resolvConf('nameserver not-an-ip\nnameserver\n', none).text, '');
});

test('--dns and friends cannot inject lines', () => {
  assert.throws(() => validateDnsFlags({ ...none, dns: ['8.8.8.8\nnameserver 6.6.6.6'] }), /--dns/);
  assert.throws(() => validateDnsFlags({ ...none, dns: ['dns.example'] }), /--dns/);
  assert.throws(() => validateDnsFlags({ ...none, search: ['a\nnameserver 6.6.6.6'] }), /one word/);
  assert.throws(() => validateDnsFlags({ ...none, options: ['ndots:1 rotate'] }), /one word/);
  assert.throws(() => validateDnsFlags({ ...none, search: [''] }), /one word/);
  validateDnsFlags({ dns: ['::1', '10.0.0.1'], search: ['example.org'], options: ['ndots:2'] });
});

test.run();
