// Names the tables lack go to a second resolver (the system libseccomp in
// tsctr run), and only those: the default profile never asks it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SECCOMP_RET } from '../../../../src/oci/seccomp/bpf.js';
import { compileSeccomp, ENOSYS, type SyscallResolver } from '../../../../src/oci/seccomp/compile.js';
import { defaultSeccompProfile } from '../../../../src/oci/seccomp/default-profile.js';
import { resolveWithLibseccomp } from '../../../../src/oci/seccomp/resolve.js';
import { DEFAULT_CAPABILITIES } from '../../../../src/oci/spec/defaults.js';
import { loadLibseccomp } from '../../../../src/sys/libseccomp.js';
import { runBpf } from './bpf-eval.js';

test('a name only the resolver knows is compiled, counts for the bound, and draws no warning', () => {
  const asked: string[] = [];
  const resolve: SyscallResolver = (arch, name) => { asked.push(`${arch} ${name}`); return name === 'future_call' && arch === 'x86_64' ? 480 : undefined; };
  const r = compileSeccomp({ defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_X86_64'], syscalls: [{ names: ['read', 'future_call', 'nothing_anywhere'], action: 'SCMP_ACT_ALLOW' }] }, { arch: 'x86_64', resolve });
  assert.equal(asked.sort(), ['x86_64 future_call', 'x86_64 nothing_anywhere'], 'only names the tables lack, on the compiled arches');
  assert.equal(r.unknownSyscalls, ['nothing_anywhere']);
  assert.equal(r.enosysAbove, { x86_64: 480 });
  assert.is(runBpf(r.instructions, 480), SECCOMP_RET.ALLOW);
  assert.is(runBpf(r.instructions, 479), (SECCOMP_RET.ERRNO | ENOSYS) >>> 0, 'unassigned in the tables');
  assert.is(runBpf(r.instructions, 1), (SECCOMP_RET.ERRNO | 1) >>> 0, 'write: known, not named');
  assert.is(runBpf(r.instructions, 481), (SECCOMP_RET.ERRNO | ENOSYS) >>> 0);
});

test('the resolver\'s nonsense (negative, fractional, x32-bit numbers) is ignored', () => {
  for (const bad of [-5, 1.5, 0x40000000, Number.NaN]) {
    const r = compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['odd'], action: 'SCMP_ACT_ERRNO' }] }, { arch: 'x86_64', resolve: () => bad });
    assert.equal(r.unknownSyscalls, ['odd'], String(bad));
  }
});

test('the default profile never asks the resolver', () => {
  const resolve: SyscallResolver = (_a, name) => { throw new Error(`asked for ${name}`); };
  for (const arch of ['x64', 'arm64']) compileSeccomp(defaultSeccompProfile([...DEFAULT_CAPABILITIES], arch), { arch: arch === 'x64' ? 'x86_64' : 'aarch64', resolve });
});

test('resolveWithLibseccomp: numbers per ABI, x32 without its bit, nothing for names the arch lacks', () => {
  if (!loadLibseccomp()) { console.log('  skipped: libseccomp.so.2 cannot be loaded'); return; }
  assert.is(resolveWithLibseccomp('x86_64', 'read'), 0);
  assert.is(resolveWithLibseccomp('x86', 'read'), 3);
  assert.is(resolveWithLibseccomp('aarch64', 'read'), 63);
  assert.is(resolveWithLibseccomp('x32', 'rt_sigaction'), 512);
  assert.is(resolveWithLibseccomp('x86_64', 'recv'), undefined, 'libseccomp knows it, x86_64 lacks it');
  assert.is(resolveWithLibseccomp('x86_64', 'no_such_call'), undefined);
});

test.run();
