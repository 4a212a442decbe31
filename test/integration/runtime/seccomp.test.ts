// A compiled seccomp filter loaded for real by the executor: mkdir gets
// EPERM, everything else still works.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { defaultSeccompProfile } from '../../../src/oci/seccomp/default-profile.js';
import { defaultSpec, DEFAULT_CAPABILITIES } from '../../../src/oci/spec/index.js';
import { isRoot, rootTest } from '../../helpers/root.js';
import { hasBusybox, makeBusyboxRootfs, runSpec, type TestRootfs } from './rootfs-helper.js';

let fs: TestRootfs | undefined;
test.before(() => { if (isRoot && hasBusybox) fs = makeBusyboxRootfs('tsctr-sc-'); });
test.after(() => fs?.remove());

rootTest(test, 'a filter returning EPERM for mkdir: busybox mkdir fails, other commands work', async () => {
  if (!fs) throw new Error('busybox-static is needed at /bin/busybox');
  const spec = defaultSpec({ args: ['sh', '-c', 'echo before; mkdir /tmp/x; echo "mkdir=$?"; touch /tmp/y && echo touched; ls /tmp'] });
  spec.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_AARCH64'], syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }] };
  const r = await runSpec(spec, fs.rootfs, join(fs.dir, 'out.txt'));
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /before/);
  assert.match(r.out, /mkdir: can't create directory '\/tmp\/x': Operation not permitted/);
  assert.match(r.out, /mkdir=1/);
  assert.match(r.out, /touched/);
  assert.match(r.out, /^y$/m);
});

rootTest(test, 'the default profile runs a shell and refuses unshare and mount', async () => {
  if (!fs) throw new Error('busybox-static is needed at /bin/busybox');
  const spec = defaultSpec({ args: ['sh', '-c', 'echo hi; unshare -m true; echo "unshare=$?"; mount -t tmpfs t /mnt; echo "mount=$?"; cat /proc/self/status | grep ^Seccomp:'] });
  spec.linux!.seccomp = defaultSeccompProfile([...DEFAULT_CAPABILITIES]);
  const r = await runSpec(spec, fs.rootfs, join(fs.dir, 'out2.txt'));
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /^hi$/m);
  assert.match(r.out, /unshare=1/);
  assert.match(r.out, /mount=(1|255)/);
  assert.match(r.out, /Seccomp:\s+2/);
});

rootTest(test, 'without noNewPrivileges the filter is loaded before caps are dropped', async () => {
  if (!fs) throw new Error('busybox-static is needed at /bin/busybox');
  const spec = defaultSpec({ args: ['sh', '-c', 'grep -E "^(NoNewPrivs|Seccomp):" /proc/self/status'] });
  spec.process!.noNewPrivileges = false;
  spec.linux!.seccomp = defaultSeccompProfile([...DEFAULT_CAPABILITIES]);
  const r = await runSpec(spec, fs.rootfs, join(fs.dir, 'out3.txt'));
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /NoNewPrivs:\s+0/);
  assert.match(r.out, /Seccomp:\s+2/);
});

test.run();
