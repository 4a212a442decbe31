// A network that is not tsctr's: a CNI 0.4.0 conflist in --cni-conf-dir,
// used with --net (ADD, CHECK with prevResult, DEL), listed by network ls
// and left alone by network rm.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURE_REF } from '../../helpers/tsctr.js';
import { addressOf, cniTest, httpGetRetry, iptablesLines, networkSuite, reservations, type TestNet, vethsOn } from './net-helper.js';

const NET: TestNet = { name: 'netold', bridge: 'tsnet-old', subnet: '10.213.207.0/24', gateway: '10.213.207.1' };
const PORT = 38573;
const conf = mkdtempSync('/tmp/tsctr-net-confdir-');
// The network comes from an old-style conf file in its own directory, not from `tsctr network create`.
const env = networkSuite('net-confdir', [], {
  alsoRemove: [NET],
  before: (env) => {
    writeFileSync(join(conf, '50-old.conflist'), JSON.stringify({
      cniVersion: '0.4.0', name: NET.name,
      plugins: [
        { type: 'bridge', bridge: NET.bridge, isGateway: true, ipMasq: true, ipam: { type: 'host-local', subnet: NET.subnet, dataDir: join(env.state, 'cni', 'host-local') } },
        { type: 'portmap', capabilities: { portMappings: true }, snat: true },
      ],
    }));
  },
  after: () => rmSync(conf, { recursive: true, force: true }),
});

cniTest(test, 'a 0.4.0 conflist from --cni-conf-dir: run, publish, check, remove; network rm leaves it alone', async () => {
  const ls = env.run(['network', 'ls', '--cni-conf-dir', conf]);
  assert.match(ls.stdout, new RegExp(`netold +tsnet-old +10\\.213\\.207\\.0/24 +bridge,portmap +${conf}/50-old\\.conflist`));
  const fg = env.run(['run', '--rm', '--net', NET.name, '--cni-conf-dir', conf, FIXTURE_REF, 'net-o1', 'ip', '-o', '-4', 'addr', 'show', 'eth0']);
  assert.is(fg.code, 0, fg.stderr);
  assert.match(fg.stdout, /inet 10\.213\.207\.\d+\/24/);
  assert.equal(vethsOn(NET.bridge), []);

  const d = env.run(['run', '-d', '--net', NET.name, '--cni-conf-dir', conf, '-p', `127.0.0.1:${PORT}:80`, FIXTURE_REF, 'net-o2', 'httpd', '-f', '-p', '80']);
  assert.is(d.code, 0, d.stderr);
  const ip = addressOf(env, 'net-o2')!;
  assert.is((await httpGetRetry('127.0.0.1', PORT)).status, 404, 'busybox httpd answers (no index.html in /)');
  const check = env.run(['network', 'check', 'net-o2']);
  assert.is(check.code, 0, check.stderr);
  assert.match(check.stdout, /netold \(eth0\): ok/);
  assert.is(env.run(['containers', 'rm', '--force', 'net-o2']).code, 0);
  assert.equal(vethsOn(NET.bridge), []);
  assert.equal(reservations(env, NET.name), []);
  assert.equal(iptablesLines('net-o2-', ip), []);

  const rm = env.run(['network', 'rm', NET.name, '--cni-conf-dir', conf]);
  assert.is(rm.code, 1);
  assert.match(rm.stderr, /network "netold" is not tsctr's .* \(hint: tsctr removes only the networks it created/);
});

test.run();
