// The rest of ctr run's flags, each checked from inside the container.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rootTest } from '../../helpers/root.js';
import { Env, FIXTURE_IMAGE, FIXTURE_REF } from '../../helpers/tsctr.js';

let env: Env;
let tmp: string;
test.before(() => {
  env = new Env('flags');
  tmp = mkdtempSync('/tmp/tsctr-flags-');
  if (process.geteuid?.() === 0) env.importFixture();
});
test.after(() => {
  env.cleanup();
  spawnSync('ip', ['netns', 'del', `tsctr-test-${process.pid}`]);
  rmSync(tmp, { recursive: true, force: true });
});

const capEff = (out: string) => BigInt('0x' + /CapEff:\s+([0-9a-f]+)/.exec(out)![1]);
const CAP_NET_ADMIN = 1n << 12n;
const CAP_CHOWN = 1n;

rootTest(test, '--cap-add, --cap-drop and --privileged change the capability sets', () => {
  const add = env.run(['run', '--rm', '--cap-add', 'NET_ADMIN', '--cap-drop', 'CAP_CHOWN', FIXTURE_REF, 'cap1', 'grep', 'CapEff', '/proc/self/status']);
  assert.is(add.code, 0, add.stderr);
  assert.ok(capEff(add.stdout) & CAP_NET_ADMIN);
  assert.not.ok(capEff(add.stdout) & CAP_CHOWN);
  // Without NET_ADMIN, lo cannot be taken down; with it, it can.
  assert.ok(env.run(['run', '--rm', FIXTURE_REF, 'cap2', 'ip', 'link', 'set', 'lo', 'down']).code !== 0);
  assert.is(env.run(['run', '--rm', '--cap-add', 'NET_ADMIN', FIXTURE_REF, 'cap3', 'ip', 'link', 'set', 'lo', 'down']).code, 0);
  const priv = env.run(['run', '--rm', '--privileged', FIXTURE_REF, 'cap4', 'sh', '-c', 'grep CapEff /proc/self/status; wc -c < /proc/timer_list']);
  const last = Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8'));
  const host = BigInt('0x' + /CapBnd:\s+([0-9a-f]+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]);
  assert.is(capEff(priv.stdout), host & ((1n << BigInt(last + 1)) - 1n), 'every capability the host allows');
  assert.ok(Number(priv.stdout.trim().split('\n')[1]) > 0, 'no masked paths');
});

rootTest(test, '--user by name from the image\'s /etc/passwd and /etc/group', () => {
  const r = env.run(['run', '--rm', '--user', 'nobody', FIXTURE_REF, 'u1', 'id']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /uid=65534\(nobody\) gid=65534\(nogroup\)/);
  const g = env.run(['run', '--rm', '--user', 'daemon:nogroup', FIXTURE_REF, 'u3', 'id']);
  assert.match(g.stdout, /uid=1\(daemon\) gid=65534\(nogroup\)/);
  const bad = env.run(['run', '--rm', '--user', 'bob', FIXTURE_REF, 'u2', 'id']);
  assert.is(bad.code, 1);
  assert.match(bad.stderr, /user "bob": no such user/);
});

rootTest(test, '--seccomp-profile loads a filter; --seccomp the default profile', () => {
  const profile = join(tmp, 'no-mkdir.json');
  writeFileSync(profile, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }] }));
  const r = env.run(['run', '--rm', '--seccomp-profile', profile, FIXTURE_REF, 's1', 'sh', '-c', 'mkdir /tmp/d 2>&1; echo rc=$?; grep Seccomp: /proc/self/status']);
  assert.match(r.stdout, /Operation not permitted/);
  assert.match(r.stdout, /rc=1/);
  assert.match(r.stdout, /Seccomp:\s+2/);
  const d = env.run(['run', '--rm', '--seccomp', FIXTURE_REF, 's2', 'sh', '-c', 'grep Seccomp: /proc/self/status; mkdir /tmp/ok && echo made']);
  assert.match(d.stdout, /Seccomp:\s+2/);
  assert.match(d.stdout, /made/);
  const bad = env.run(['run', '--rm', '--seccomp-profile', join(tmp, 'missing.json'), FIXTURE_REF, 's3', 'true']);
  assert.match(bad.stderr, /--seccomp-profile ".*missing.json": ENOENT/);
});

rootTest(test, '--with-ns joins a named network namespace', () => {
  const ns = `tsctr-test-${process.pid}`;
  execFileSync('ip', ['netns', 'add', ns]);
  // Mark the namespace's lo so the container can tell it from a fresh one.
  execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'mtu', '1234']);
  const r = env.run(['run', '--rm', '--with-ns', `network:/var/run/netns/${ns}`, FIXTURE_REF, 'ns1', 'ip', '-o', 'link']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /lo: .* mtu 1234 /);
});

rootTest(test, '--no-pivot chroots; --rootfs runs a directory without an image', () => {
  const np = env.run(['run', '--rm', '--no-pivot', FIXTURE_REF, 'np1', 'sh', '-c', 'echo $$; ls /']);
  assert.is(np.code, 0, np.stderr);
  assert.match(np.stdout, /^1\n/);
  const dir = join(tmp, 'rootfs');
  mkdirSync(dir);
  execFileSync('tar', ['-C', tmp, '-xf', FIXTURE_IMAGE, 'index.json']);
  const layout = join(tmp, 'layout');
  mkdirSync(layout);
  execFileSync('tar', ['-C', layout, '-xf', FIXTURE_IMAGE]);
  const blob = (d: string) => join(layout, 'blobs/sha256', d.slice(7));
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8'));
  const manifest = JSON.parse(readFileSync(blob(index.manifests[0].digest), 'utf8'));
  execFileSync('tar', ['-C', dir, '-xzf', blob(manifest.layers[0].digest)]);
  const r = env.run(['run', '--rm', '--rootfs', dir, 'rf1', 'sh', '-c', 'hostname; echo marker > /from-container']);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout.trim(), 'rf1');
  assert.is(readFileSync(join(dir, 'from-container'), 'utf8'), 'marker\n', 'the directory itself is the root');
});

test.run();
