// Bad input and failing plugins: one line naming the operation and the
// cause (a plugin's code and msg), and nothing half-made left behind.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURE_REF } from '../../helpers/tsctr.js';
import { createServer } from 'node:net';
import { cniTest, iptablesLines, networkSuite, reservations, type TestNet, vethsOn } from './net-helper.js';

const BAD: TestNet = { name: 'netbad', bridge: 'tsnet-bad', subnet: '10.213.205.0/24', gateway: '10.213.205.1' };
const OK: TestNet = { name: 'neterr', bridge: 'tsnet-err', subnet: '10.213.208.0/24', gateway: '10.213.208.1' };
const conf = mkdtempSync('/tmp/tsctr-net-errors-cni-');
const env = networkSuite('net-errors', [OK], { alsoRemove: [BAD], after: () => rmSync(conf, { recursive: true, force: true }) });

function nothingLeft(id: string): void {
  assert.is(env.run(['containers', 'ls', '-q']).stdout, '', 'no container record');
  const dir = join(env.state, 'default', id);
  assert.ok(!existsSync(dir) || readdirSync(dir).length === 0, `task dir left: ${existsSync(dir) ? readdirSync(dir).join(',') : ''}`);
}

cniTest(test, 'flag mistakes are one line each and create nothing', () => {
  const cases: [string[], RegExp][] = [
    [['--cni', '--net-host'], /^tsctr: run net-e1: --cni \(or --net, -p\) and --net-host cannot be used together \(hint: /],
    [['-p', '99999:80'], /^tsctr: run net-e1: -p "99999:80": host port 99999 is out of range \(1-65535\) \(hint: use -p/],
    [['-p', '8080:80', '-p', '8080:81'], /host port 8080\/tcp is published twice/],
    [['--cni', '--dns', 'not-an-ip'], /--dns "not-an-ip": not an IP address/],
    [['--dns', '10.0.0.1'], /--dns, --dns-search and --dns-option need a CNI network \(hint: add --cni\)/],
    [['--net', 'nosuch', '--cni-conf-dir', conf], /^tsctr: run net-e1: CNI network "nosuch" not found in .* \(hint: list networks with tsctr network ls/],
    [['--net', '../etc'], /invalid network name/],
    [['--cni', '--uidmap', '0:100000:65536', '--gidmap', '0:100000:65536'], /--cni with --uidmap is not supported yet/],
  ];
  for (const [flags, re] of cases) {
    const r = env.run(['run', ...flags, FIXTURE_REF, 'net-e1', 'true']);
    assert.is(r.code, 1, `${flags.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
    nothingLeft('net-e1');
  }
});

cniTest(test, 'a plugin that fails ADD: its code and msg in one line; everything undone', () => {
  mkdirSync(join(conf, 'd'), { recursive: true });
  // host-local refuses a range start outside the subnet.
  writeFileSync(join(conf, 'd', '10-bad.conflist'), JSON.stringify({
    cniVersion: '1.0.0', name: BAD.name,
    plugins: [{ type: 'bridge', bridge: BAD.bridge, isGateway: true, ipMasq: true, ipam: { type: 'host-local', ranges: [[{ subnet: BAD.subnet, rangeStart: '10.99.0.5' }]], dataDir: join(env.state, 'cni', 'host-local') } }],
  }));
  const r = env.run(['run', '--net', BAD.name, '--cni-conf-dir', join(conf, 'd'), FIXTURE_REF, 'net-e2', 'true']);
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stderr, /^tsctr: run net-e2: CNI plugin bridge ADD on network "netbad": code \d+: .*10\.99\.0\.5/, r.stderr);
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  nothingLeft('net-e2');
  assert.equal(vethsOn(BAD.bridge), []);
  assert.equal(reservations(env, BAD.name), []);
  assert.equal(iptablesLines('net-e2-'), []);
});

cniTest(test, 'a launch that fails after the network was set up undoes the network', () => {
  const r = env.run(['run', '--net', OK.name, '-p', '38574:80', FIXTURE_REF, 'net-e4', 'nothere']);
  assert.is(r.code, 127);
  assert.match(r.stderr, /^tsctr: run net-e4: step \d+ (execve|lookup-exec)\("nothere"/);
  nothingLeft('net-e4');
  assert.equal(vethsOn(OK.bridge), []);
  assert.equal(reservations(env, OK.name), []);
  assert.equal(iptablesLines('net-e4-'), []);
});

cniTest(test, 'a host port published by another container, or listened on by the host, is refused before ADD', async () => {
  assert.is(env.run(['run', '-d', '--net', OK.name, '-p', '38575:80', FIXTURE_REF, 'net-e5', 'httpd', '-f', '-p', '80']).code, 0);
  const again = env.run(['run', '--net', OK.name, '-p', '38575:8080', FIXTURE_REF, 'net-e6', 'true']);
  assert.is(again.code, 1);
  assert.match(again.stderr, /^tsctr: run net-e6: -p 38575->8080\/tcp: host port 38575\/tcp is already published by container default\/net-e5 \(hint: pick another host port\)/);
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(38576, '127.0.0.1', () => r()));
  try {
    const busy = env.run(['run', '--net', OK.name, '-p', '127.0.0.1:38576:80', FIXTURE_REF, 'net-e6', 'true']);
    assert.is(busy.code, 1);
    assert.match(busy.stderr, /host port 38576\/tcp is in use on this host/);
  } finally {
    srv.close();
  }
  assert.is(vethsOn(OK.bridge).length, 1, 'only net-e5');
  assert.is(env.run(['containers', 'rm', '--force', 'net-e5']).code, 0);
  assert.equal(vethsOn(OK.bridge), []);
});

cniTest(test, 'network commands: bad names, clashing subnets, check without a network', () => {
  const cases: [string[], RegExp][] = [
    [['network', 'create', 'bad/name'], /invalid network name/],
    [['network', 'create', 'netx', '--subnet', '10.213.206.1/24'], /host bits are set; did you mean 10\.213\.206\.0\/24\?/],
    [['network', 'create', 'netx', '--subnet', '192.0.2.0/24', '--bridge', 'tsnet-x'], /overlaps a route on|overlaps network/],
    [['network', 'rm', 'nosuch'], /CNI network "nosuch" not found/],
    [['network', 'inspect', 'nosuch'], /not found/],
  ];
  for (const [args, re] of cases) {
    const r = env.run(args);
    assert.is(r.code, 1, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, re);
  }
  assert.is(env.run(['run', '-d', FIXTURE_REF, 'net-e3', 'sleep', '30']).code, 0);
  const c = env.run(['network', 'check', 'net-e3']);
  assert.match(c.stderr, /container "net-e3" has no CNI network \(hint: only containers started with --cni have one\)/);
  assert.is(env.run(['containers', 'rm', '--force', 'net-e3']).code, 0);
});

test.run();
