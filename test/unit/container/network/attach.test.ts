// run's networking flags, and the plan shape of a container on a CNI
// network: no new netns from clone(), a setns() into the prepared one, and
// the names files bind-mounted (resolved inside the root by the executor).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CLONE } from '../../../../src/sys/constants.js';
import { describeOp } from '../../../../src/oci/launch-plan.js';
import { createPlan } from '../../../../src/oci/plan/index.js';
import { defaultSpec } from '../../../../src/oci/spec/index.js';
import { applyNetworkToSpec, parseNetworkFlags, type NetworkFlags } from '../../../../src/container/network/attach.js';
import { namesMounts, netnsPath } from '../../../../src/container/network/index.js';

const off: NetworkFlags = { cni: false, networks: [], binDirs: [], publish: [], dns: [], dnsSearch: [], dnsOptions: [] };
const other = { netHost: false, withNs: [], uidmap: [] };

test('flags: off by default; --net and -p imply --cni; defaults for the directories', () => {
  assert.is(parseNetworkFlags(off, other), undefined);
  assert.is(parseNetworkFlags(undefined, other), undefined);
  assert.equal(parseNetworkFlags({ ...off, cni: true }, other), { networks: [], confDir: '/etc/cni/net.d', binDirs: ['/usr/lib/cni', '/opt/cni/bin'], publish: [], dns: { dns: [], search: [], options: [] } });
  assert.equal(parseNetworkFlags({ ...off, networks: ['a', 'b'], confDir: '/x', binDirs: ['/b'] }, other)!.networks, ['a', 'b']);
  assert.equal(parseNetworkFlags({ ...off, publish: ['8080:80'] }, other)!.publish, [{ hostPort: 8080, containerPort: 80, protocol: 'tcp', hostIP: '' }]);
});

test('flags: combinations that cannot work are refused', () => {
  assert.throws(() => parseNetworkFlags({ ...off, cni: true }, { ...other, netHost: true }), /--net-host cannot be used together/);
  assert.throws(() => parseNetworkFlags({ ...off, publish: ['80:80'] }, { ...other, withNs: ['network:/run/netns/x'] }), /--with-ns network/);
  assert.throws(() => parseNetworkFlags({ ...off, cni: true }, { ...other, uidmap: ['0:1000:1'] }), /--uidmap is not supported/);
  assert.throws(() => parseNetworkFlags({ ...off, dns: ['1.1.1.1'] }, other), /need a CNI network/);
  assert.throws(() => parseNetworkFlags({ ...off, cni: true, dns: ['x'] }, other), /--dns "x"/);
  assert.not.throws(() => parseNetworkFlags({ ...off }, { ...other, netHost: true }));
});

test('plan: the container joins the prepared netns by path and gets the names files', () => {
  const spec = defaultSpec({ args: ['sh'], hostname: 'web' });
  const task = '/run/tsctr/default/web';
  applyNetworkToSpec(spec, netnsPath(task), namesMounts(task));
  assert.equal(spec.linux!.namespaces!.filter((n) => n.type === 'network'), [{ type: 'network', path: '/run/tsctr/default/web/netns' }]);
  const plan = createPlan(spec, { rootfs: '/tmp/rootfs', lastCap: 40, sourceIsDir: () => false });
  assert.is(plan.cloneFlags & CLONE.NEWNET, 0);
  const lines = plan.ops.map(describeOp);
  assert.ok(lines.includes(`setns("/run/tsctr/default/web/netns", 0x${CLONE.NEWNET.toString(16)})`), lines.join('\n'));
  const names = lines.filter((l) => /\/run\/tsctr\/default\/web\/etc\//.test(l));
  assert.equal(names.map((l) => l.replace(/^mount\("([^"]+)", "([^"]+)".*$/, '$1 -> $2')), [
    '/run/tsctr/default/web/etc/hosts -> <root>/etc/hosts',
    '/run/tsctr/default/web/etc/hostname -> <root>/etc/hostname',
    '/run/tsctr/default/web/etc/resolv.conf -> <root>/etc/resolv.conf',
  ]);
});

test.run();
