// Runs createPlan's output for real: the default spec over a busybox rootfs,
// launched by the native executor. Everything it mounts lives in the child's
// mount namespace, so nothing is unmounted on the host afterwards.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultSpec, listCapabilities, DEFAULT_CAPABILITIES } from '../../../src/oci/spec/index.js';
import { isRoot, rootTest } from '../../helpers/root.js';
import { hasBusybox, makeBusyboxRootfs, runSpec, type TestRootfs } from './rootfs-helper.js';

let fs: TestRootfs | undefined;

test.before(() => {
  if (isRoot && hasBusybox) fs = makeBusyboxRootfs();
});
test.after(() => fs?.remove());

const SCRIPT = [
  'echo "pid=$$"',
  'echo "hostname=$(hostname)"',
  'echo "ppid1=$(cat /proc/1/cmdline | tr "\\0" " ")"',
  'grep -E "^Cap(Inh|Prm|Eff|Bnd|Amb)|^NoNewPrivs" /proc/self/status',
  'echo "timer_list=$(wc -c < /proc/timer_list)"',
  'echo "sys-write=$( (echo 1 > /proc/sys/kernel/ns_last_pid) 2>&1 | grep -c Read-only)"',
  'echo "nofile=$(ulimit -n)"',
  'ls -l /dev/null /dev/ptmx /dev/fd | sed "s/  */ /g"',
  'cat /proc/self/mountinfo',
].join('; ');

rootTest(test, 'the default plan runs: pid 1, hostname, caps, masked and read-only paths, mounts', async () => {
  if (!fs) throw new Error(`busybox-static is needed at ${'/bin/busybox'} (apt-get install busybox-static)`);
  const spec = defaultSpec({ args: ['sh', '-c', SCRIPT], hostname: 'tsctr-test' });
  const r = await runSpec(spec, fs.rootfs, join(fs.dir, 'out.txt'));
  assert.is(r.code, 0, r.out);
  if (process.env.TSCTR_TEST_DEBUG) console.log(r.out);
  const field = (k: string) => r.out.match(new RegExp(`^${k}[=:]\\s*(.*)$`, 'm'))?.[1];
  assert.is(field('pid'), '1');
  assert.is(field('hostname'), 'tsctr-test');
  assert.is(field('ppid1')?.trim(), `sh -c ${SCRIPT}`);
  const caps = (k: string) => listCapabilities(BigInt('0x' + field(k)));
  assert.equal(caps('CapEff').sort(), [...DEFAULT_CAPABILITIES].sort());
  assert.equal(caps('CapBnd').sort(), [...DEFAULT_CAPABILITIES].sort());
  assert.equal(caps('CapInh'), []);
  assert.equal(caps('CapAmb'), []);
  assert.is(field('NoNewPrivs'), '1');
  // /proc/timer_list has content on the host (this VM has no /proc/kcore).
  assert.ok(readFileSync('/proc/timer_list', 'utf8').length > 0);
  assert.is(field('timer_list'), '0', 'masked /proc/timer_list reads as /dev/null');
  assert.is(field('nofile'), '1024');
  assert.match(r.out, /crw-rw-rw- 1 root root 1, 3 .* \/dev\/null/);
  assert.match(r.out, /\/dev\/ptmx -> pts\/ptmx/);
  assert.match(r.out, /\/dev\/fd -> \/proc\/self\/fd/);
  const mounts = r.out.split('\n').filter((l) => / - /.test(l)).map((l) => { const f = l.split(' '); return { point: f[4], opts: f[5], type: l.split(' - ')[1]!.split(' ')[0] }; });
  const at = (p: string) => mounts.find((m) => m.point === p);
  assert.ok(at('/'), 'a root mount');
  assert.is(at('/proc')?.type, 'proc');
  assert.is(at('/dev')?.type, 'tmpfs');
  assert.is(at('/dev/pts')?.type, 'devpts');
  assert.is(at('/dev/shm')?.type, 'tmpfs');
  assert.is(at('/dev/mqueue')?.type, 'mqueue');
  assert.is(at('/sys')?.type, 'sysfs');
  assert.match(at('/sys')!.opts!, /^ro,/);
  assert.match(at('/proc/sys')!.opts!, /^ro,/);
  assert.match(at('/proc/irq')!.opts!, /^ro,/);
  assert.is(field('sys-write'), '1', '/proc/sys is read-only');
  assert.is(at('/proc/acpi')?.type, 'tmpfs', 'masked /proc/acpi is a tmpfs');
  assert.match(at('/proc/acpi')!.opts!, /^ro,/);
  assert.ok(!mounts.some((m) => m.point!.startsWith(fs!.dir)), 'no host path of the rootfs is visible inside');
});

rootTest(test, 'a user namespace: maps written while the child waits, root inside, host devices bound', async () => {
  if (!fs) throw new Error('busybox-static is needed');
  // The mapped root (host uid 100000) must be able to reach the rootfs.
  chmodSync(fs.dir, 0o755);
  const spec = defaultSpec({ args: ['sh', '-c', 'id -u; cat /proc/self/uid_map; ls -ln /dev/null; grep CapEff /proc/self/status'], hostname: 'u' });
  spec.linux!.namespaces!.push({ type: 'user' });
  spec.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  spec.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  const r = await runSpec(spec, fs.rootfs, join(fs.dir, 'userns.txt'), {}, (pid) => {
    writeFileSync(`/proc/${pid}/uid_map`, '0 100000 65536');
    writeFileSync(`/proc/${pid}/gid_map`, '0 100000 65536');
  });
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /^0$/m);
  assert.match(r.out, /^\s+0\s+100000\s+65536$/m);
  // The host's /dev/null, bound: owned by host root, which is unmapped (65534) here.
  assert.match(r.out, /crw-rw-rw-\s+1 65534\s+65534\s+1,\s+3 /);
  assert.match(r.out, /CapEff:\s+00000000a80425fb/);
});

rootTest(test, 'variations: noPivot, a read-only root, another user and cwd, a bind mount, sysctl, rlimit', async () => {
  if (!fs) throw new Error('busybox-static is needed');
  const script = [
    'echo "uid=$(id -u) gid=$(id -g) groups=$(id -G)"', 'echo "cwd=$(pwd)"', 'echo "umask=$(umask)"',
    'touch /x 2>/dev/null && echo root-rw || echo root-ro', 'cat /data/hello', 'echo "shmmni=$(cat /proc/sys/kernel/shmmni)"',
    'echo "core=$(ulimit -c)"', 'grep CapEff /proc/self/status',
  ].join('; ');
  const spec = defaultSpec({ args: ['sh', '-c', script], cwd: '/work/dir' });
  spec.root!.readonly = true;
  spec.process!.user = { uid: 65534, gid: 65534, additionalGids: [5], umask: 0o077 };
  spec.process!.rlimits!.push({ type: 'RLIMIT_CORE', soft: 0, hard: 0 });
  spec.linux!.sysctl = { 'kernel.shmmni': '1234' };
  writeFileSync(join(fs.dir, 'hello'), 'hello from the host\n');
  spec.mounts!.push({ destination: '/data/hello', type: 'bind', source: join(fs.dir, 'hello'), options: ['bind', 'ro'] });
  const r = await runSpec(spec, fs.rootfs, join(fs.dir, 'var.txt'), { noPivot: true, sourceIsDir: () => false });
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /uid=65534 gid=65534 groups=65534 5/);
  assert.match(r.out, /cwd=\/work\/dir/);
  assert.match(r.out, /umask=0077/);
  assert.match(r.out, /root-ro/);
  assert.match(r.out, /hello from the host/);
  assert.match(r.out, /shmmni=1234/);
  assert.match(r.out, /core=0/);
  // A non-root user after execve keeps no capabilities (no ambient set).
  assert.match(r.out, /CapEff:\s+0000000000000000/);
});

rootTest(test, 'a failing step names the op and errno', async () => {
  if (!fs) throw new Error('busybox-static is needed');
  const spec = defaultSpec({ args: ['/no/such/binary'] });
  await runSpec(spec, fs.rootfs, join(fs.dir, 'out2.txt')).then(
    () => assert.unreachable('should fail'),
    (e: Error & { op?: { op: string }; code?: string }) => { assert.is(e.op?.op, 'execve'); assert.is(e.code, 'ENOENT'); },
  );
});

test.run();
