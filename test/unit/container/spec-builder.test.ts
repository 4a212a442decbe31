import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildSpec, mergeEnv, stdinOpenOf, parseIdMap, parseMountFlag, parseWithNs, resolveArgs, type RunFlags } from '../../../src/container/spec-builder.js';

const base: RunFlags = {
  id: 'c1', namespace: 'default', args: [], tty: false, env: [], envFileLines: [], mounts: [], netHost: false,
  privileged: false, readOnly: false, capAdd: [], capDrop: [], uidmap: [], gidmap: [], withNs: [],
};
const image = { Entrypoint: null, Cmd: ['sh'], Env: ['PATH=/bin:/usr/bin', 'HOME=/root'], WorkingDir: '/work', User: '' };

test('image Cmd is the default; args replace it; Entrypoint stays', () => {
  assert.equal(resolveArgs(image, []), ['sh']);
  assert.equal(resolveArgs(image, ['id', '-u']), ['id', '-u']);
  assert.equal(resolveArgs({ Entrypoint: ['/init'], Cmd: ['a'] }, ['b']), ['/init', 'b']);
  assert.throws(() => resolveArgs({}, []), /no command to run/);
});

test('env: image, then env-file, then --env; later wins', () => {
  assert.equal(mergeEnv(['A=1', 'B=2'], ['B=3'], ['C=4']), ['A=1', 'B=3', 'C=4']);
  assert.throws(() => mergeEnv(['NOEQUALS']), /expected NAME=value/);
  const s = buildSpec(image, { ...base, env: ['HOME=/home/x'], envFileLines: ['# comment', 'FOO=bar', ''] });
  assert.equal(s.process!.env, ['PATH=/bin:/usr/bin', 'HOME=/home/x', 'FOO=bar']);
});

test('hostname defaults to the id, cwd to the image WorkingDir, tty adds TERM', () => {
  const s = buildSpec(image, { ...base, tty: true });
  assert.is(s.hostname, 'c1');
  assert.is(s.process!.cwd, '/work');
  assert.ok(s.process!.terminal);
  assert.ok(s.process!.env!.includes('TERM=xterm'));
  assert.is(buildSpec(image, { ...base, hostname: 'h', cwd: '/tmp' }).hostname, 'h');
});

test('-i records an open stdin as an annotation; without it there is none', () => {
  const s = buildSpec(image, { ...base, interactive: true });
  assert.equal(s.annotations, { 'io.tsctr.stdin': 'open' });
  assert.ok(stdinOpenOf(s));
  assert.not.ok(stdinOpenOf(buildSpec(image, base)));
  assert.not.ok(stdinOpenOf({ ...s, annotations: { 'io.tsctr.stdin': 'closed' } }), 'only "open" opens it');
});

test('--mount parses ctr syntax', () => {
  assert.equal(parseMountFlag('type=bind,src=/a,dst=/b,options=rbind:ro'), { type: 'bind', source: '/a', destination: '/b', options: ['rbind', 'ro'] });
  assert.equal(parseMountFlag('type=bind,src=/a,dst=/b,options=ro'), { type: 'bind', source: '/a', destination: '/b', options: ['rbind', 'ro'] });
  assert.equal(parseMountFlag('type=tmpfs,dst=/t,options=size=1m'), { type: 'tmpfs', source: 'tmpfs', destination: '/t', options: ['size=1m'] });
  assert.throws(() => parseMountFlag('type=bind,src=rel,dst=/b'), /absolute src/);
  assert.throws(() => parseMountFlag('src=/a,dst=b'), /dst must be an absolute/);
  assert.throws(() => parseMountFlag('src=/a,dst=/b,bogus=1'), /unknown key "bogus"/);
  assert.throws(() => parseMountFlag('garbage'), /not key=value/);
});

test('--uidmap/--gidmap add a user namespace; one without the other is refused', () => {
  assert.equal(parseIdMap('--uidmap', '0:100000:65536'), { containerID: 0, hostID: 100000, size: 65536 });
  assert.throws(() => parseIdMap('--uidmap', '0:100000'), /container-id:host-id:size/);
  const s = buildSpec(image, { ...base, uidmap: ['0:100000:65536'], gidmap: ['0:100000:65536'] });
  assert.ok(s.linux!.namespaces!.some((n) => n.type === 'user'));
  assert.is(s.linux!.uidMappings![0]!.hostID, 100000);
  assert.throws(() => buildSpec(image, { ...base, uidmap: ['0:1:1'] }), /go together/);
});

test('--net-host drops the network namespace; --with-ns joins one', () => {
  const s = buildSpec(image, { ...base, netHost: true });
  assert.not.ok(s.linux!.namespaces!.some((n) => n.type === 'network'));
  assert.equal(parseWithNs('network:/var/run/netns/x'), { type: 'network', path: '/var/run/netns/x' });
  assert.equal(parseWithNs('net:/proc/1/ns/net'), { type: 'network', path: '/proc/1/ns/net' });
  assert.throws(() => parseWithNs('bogus:/x'), /TYPE:PATH/);
  assert.throws(() => parseWithNs('pid:relative'), /absolute/);
  const w = buildSpec(image, { ...base, withNs: ['pid:/proc/1/ns/pid'] });
  assert.equal(w.linux!.namespaces!.filter((n) => n.type === 'pid'), [{ type: 'pid', path: '/proc/1/ns/pid' }]);
});

test('capabilities: add, drop, ALL, privileged; unknown names refused', () => {
  const s = buildSpec(image, { ...base, capAdd: ['NET_ADMIN'], capDrop: ['CAP_CHOWN'] });
  const eff = s.process!.capabilities!.effective!;
  assert.ok(eff.includes('CAP_NET_ADMIN'));
  assert.not.ok(eff.includes('CAP_CHOWN'));
  assert.equal(buildSpec(image, { ...base, capDrop: ['ALL'] }).process!.capabilities!.bounding, []);
  const p = buildSpec(image, { ...base, privileged: true });
  assert.ok(p.process!.capabilities!.bounding!.includes('CAP_SYS_ADMIN'));
  assert.equal(p.linux!.maskedPaths, []);
  assert.throws(() => buildSpec(image, { ...base, capAdd: ['CAP_FLY'] }), /unknown capability "CAP_FLY"/);
});

test('limits go into linux.resources and bad values are refused', () => {
  const s = buildSpec(image, { ...base, memoryLimit: 64 << 20, cpus: 0.5, pidsLimit: 20 });
  assert.equal(s.linux!.resources!.memory, { limit: 64 << 20 });
  assert.equal(s.linux!.resources!.cpu, { quota: 50000, period: 100000 });
  assert.equal(s.linux!.resources!.pids, { limit: 20 });
  assert.throws(() => buildSpec(image, { ...base, cpus: 0 }), /--cpus/);
  assert.throws(() => buildSpec(image, { ...base, pidsLimit: 1.5 }), /--pids-limit/);
  assert.ok(buildSpec(image, { ...base, readOnly: true }).root!.readonly);
});

test.run();
