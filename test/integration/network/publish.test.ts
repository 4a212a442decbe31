// Published ports: a busybox httpd started detached with -p answers on
// 127.0.0.1 and on the bridge's gateway address; the container's names
// files, its address in tasks ls / containers info, CNI CHECK; and when the
// container is removed, its network goes with it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FIXTURE_REF } from '../../helpers/tsctr.js';
import { addressOf, cniTest, httpGetRetry, iptablesLines, makeNetwork, networkSuite, readIn, reservations, type TestNet, vethsOn } from './net-helper.js';

const NET: TestNet = { name: 'netpub', bridge: 'tsnet-pub', subnet: '10.213.201.0/24', gateway: '10.213.201.1' };
const PORT = 38571;
const env = networkSuite('net-publish', [NET]);

cniTest(test, 'httpd with -p answers on 127.0.0.1 and the gateway address; removing the container removes its network', async () => {
  const run = env.run(['run', '-d', '--net', NET.name, '-p', `${PORT}:80`, '--hostname', 'web', FIXTURE_REF, 'net-web1', 'sh', '-c', 'mkdir -p /w && echo hello-from-net-web1 > /w/index.html && exec httpd -f -p 80 -h /w']);
  assert.is(run.code, 0, run.stderr);
  const ip = addressOf(env, 'net-web1');
  assert.ok(ip && ip.startsWith('10.213.201.'), `address ${ip}`);
  for (const host of ['127.0.0.1', NET.gateway]) {
    const r = await httpGetRetry(host, PORT);
    assert.is(r.status, 200, host);
    assert.is(r.body, 'hello-from-net-web1\n', host);
  }
  // The container's own view: its interface, its names files.
  assert.match(env.run(['tasks', 'exec', 'net-web1', 'ip', '-o', '-4', 'addr', 'show', 'eth0']).stdout, new RegExp(`inet ${ip!.replace(/\./g, '\\.')}/24`));
  assert.is(readIn(env, 'net-web1', '/etc/hosts'), `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n${ip}\tweb\n`);
  assert.is(readIn(env, 'net-web1', '/etc/hostname'), 'web\n');
  assert.ok(readIn(env, 'net-web1', '/etc/resolv.conf').split('\n').every((l) => !/^nameserver 127\./.test(l)), 'no loopback nameserver');
  // Inspection.
  const info = JSON.parse(env.run(['containers', 'info', 'net-web1']).stdout);
  assert.equal(info.network, { addresses: [ip], networks: [NET.name], ports: [{ hostPort: PORT, containerPort: 80, protocol: 'tcp', hostIP: '' }] });
  assert.match(env.run(['tasks', 'ls']).stdout, new RegExp(`net-web1 +\\d+ +RUNNING +${ip!.replace(/\./g, '\\.')}`));
  const check = env.run(['network', 'check', 'net-web1']);
  assert.is(check.code, 0, check.stderr);
  assert.match(check.stdout, /^net-web1: netpub \(eth0\): ok/);
  assert.match(env.run(['network', 'inspect', NET.name]).stdout, /"default\/net-web1"/);
  assert.is(vethsOn(NET.bridge).length, 1);
  assert.is(reservations(env, NET.name).length, 1);
  assert.ok(iptablesLines('net-web1-').length > 0, 'portmap/bridge rules exist while it runs');

  const rm = env.run(['containers', 'rm', '--force', 'net-web1']);
  assert.is(rm.code, 0, rm.stderr);
  assert.equal(vethsOn(NET.bridge), []);
  assert.equal(reservations(env, NET.name), []);
  assert.equal(iptablesLines('net-web1-', ip!, '10.213.201.', NET.bridge), []);
  // The network is free again: rm removes its config and bridge.
  assert.is(env.run(['network', 'rm', NET.name]).code, 0);
  assert.not.ok(env.run(['network', 'ls']).stdout.includes(NET.name));
  assert.equal(iptablesLines(NET.bridge, '10.213.201.'), []);
  makeNetwork(env, NET);
});

cniTest(test, 'tasks rm of a stopped detached container runs CNI DEL', async () => {
  assert.is(env.run(['run', '-d', '--net', NET.name, FIXTURE_REF, 'net-short', 'true']).code, 0);
  for (let i = 0; i < 100 && !/STOPPED/.test(env.run(['tasks', 'ls']).stdout); i++) await new Promise((r) => setTimeout(r, 50));
  assert.is(vethsOn(NET.bridge).length, 1, 'a stopped task keeps its network until it is deleted, as its rootfs');
  const rm = env.run(['tasks', 'rm', 'net-short']);
  assert.is(rm.code, 0, rm.stderr);
  assert.equal(vethsOn(NET.bridge), []);
  assert.equal(reservations(env, NET.name), []);
  assert.equal(iptablesLines('net-short-'), []);
  assert.is(env.run(['containers', 'rm', 'net-short']).code, 0);
});

test.run();
