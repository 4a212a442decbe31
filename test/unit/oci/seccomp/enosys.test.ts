// The ENOSYS stub: a system call newer than every one the profile names
// gets ENOSYS (libc falls back), known ones the profile leaves out keep the
// default errno. Checked by running the compiled filter in bpf-eval.ts over
// tables of (arch, nr) → action.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SECCOMP_RET } from '../../../../src/oci/seccomp/bpf.js';
import { AUDIT_ARCH, compileSeccomp, ENOSYS, X32_SYSCALL_BIT, type CompiledArch } from '../../../../src/oci/seccomp/compile.js';
import { defaultSeccompProfile } from '../../../../src/oci/seccomp/default-profile.js';
import { SYSCALLS_AARCH64 as A64 } from '../../../../src/oci/seccomp/syscalls-aarch64.js';
import { SYSCALLS_I386 as I386 } from '../../../../src/oci/seccomp/syscalls-i386.js';
import { SYSCALLS_X32 as X32 } from '../../../../src/oci/seccomp/syscalls-x32.js';
import { SYSCALLS_X86_64 as NR } from '../../../../src/oci/seccomp/syscalls-x86_64.js';
import { DEFAULT_CAPABILITIES } from '../../../../src/oci/spec/defaults.js';
import type { Seccomp } from '../../../../src/oci/spec/types.js';
import { runBpf } from './bpf-eval.js';

const ERRNO = (e: number) => (SECCOMP_RET.ERRNO | e) >>> 0;
const EPERM = ERRNO(1);
const NOSYS = ERRNO(ENOSYS);
const ALLOW = SECCOMP_RET.ALLOW;
const x32 = (nr: number) => (X32_SYSCALL_BIT | nr) >>> 0;

test('default profile (x86): newer than the profile → ENOSYS; known but not allowed → EPERM; allowed → ALLOW', () => {
  const r = compileSeccomp(defaultSeccompProfile([...DEFAULT_CAPABILITIES], 'x64'));
  // futex_requeue (456) is the newest system call the default profile names.
  assert.equal(r.enosysAbove, { x86_64: 456, x32: 456, x86: 456 });
  const table: [string, number, number, number][] = [
    ['x86_64 read', AUDIT_ARCH.X86_64, NR.read!, ALLOW],
    ['x86_64 fchmodat2 (452), allowed', AUDIT_ARCH.X86_64, NR.fchmodat2!, ALLOW],
    ['x86_64 futex_requeue (456), the bound', AUDIT_ARCH.X86_64, NR.futex_requeue!, ALLOW],
    ['x86_64 statmount (457)', AUDIT_ARCH.X86_64, NR.statmount!, NOSYS],
    ['x86_64 mseal (462)', AUDIT_ARCH.X86_64, NR.mseal!, NOSYS],
    ['x86_64 listns (470)', AUDIT_ARCH.X86_64, NR.listns!, NOSYS],
    ['x86_64 1000', AUDIT_ARCH.X86_64, 1000, NOSYS],
    ['x86_64 just below the x32 bit', AUDIT_ARCH.X86_64, X32_SYSCALL_BIT - 1, NOSYS],
    ['x86_64 reboot', AUDIT_ARCH.X86_64, NR.reboot!, EPERM],
    ['x86_64 kexec_load', AUDIT_ARCH.X86_64, NR.kexec_load!, EPERM],
    ['x86_64 keyctl', AUDIT_ARCH.X86_64, NR.keyctl!, EPERM],
    ['x86_64 uretprobe (335), known, not allowed', AUDIT_ARCH.X86_64, NR.uretprobe!, EPERM],
    // Unassigned numbers below the bound: ENOSYS, as without a filter (runc: the default).
    ['x86_64 337 (unassigned, below the bound)', AUDIT_ARCH.X86_64, 337, NOSYS],
    ['x86_64 400', AUDIT_ARCH.X86_64, 400, NOSYS],
    ['x86_64 423', AUDIT_ARCH.X86_64, 423, NOSYS],
    ['x86_64 pidfd_send_signal (424), known, allowed', AUDIT_ARCH.X86_64, NR.pidfd_send_signal!, ALLOW],
    ['x32 13 (x86_64-only rt_sigaction number)', AUDIT_ARCH.X86_64, x32(13), NOSYS],
    ['i386 222 (unassigned)', AUDIT_ARCH.I386, 222, NOSYS],
    ['x32 read', AUDIT_ARCH.X86_64, x32(X32.read!), ALLOW],
    ['x32 reboot', AUDIT_ARCH.X86_64, x32(X32.reboot!), EPERM],
    ['x32 rt_sigaction (512), allowed', AUDIT_ARCH.X86_64, x32(X32.rt_sigaction!), ALLOW],
    ['x32 mseal', AUDIT_ARCH.X86_64, x32(X32.mseal!), NOSYS],
    ['syscall(-1) (0xffffffff, x32 listed)', AUDIT_ARCH.X86_64, 0xffffffff, NOSYS],
    ['i386 read', AUDIT_ARCH.I386, I386.read!, ALLOW],
    ['i386 reboot', AUDIT_ARCH.I386, I386.reboot!, EPERM],
    ['i386 mseal', AUDIT_ARCH.I386, I386.mseal!, NOSYS],
    ['aarch64 is not listed: bad arch', AUDIT_ARCH.AARCH64, 0, SECCOMP_RET.KILL_PROCESS],
  ];
  for (const [what, arch, nr, want] of table) assert.is(runBpf(r.instructions, nr, [], arch), want, what);
});

test('x32: the legacy numbers 512-547 do not lift the bound over the new calls (451+)', () => {
  // The default profile allows rt_sigaction, whose x32 number is 512; the
  // x32 bound stays at 456 and 512-547 go on to the rules.
  const r = compileSeccomp(defaultSeccompProfile([...DEFAULT_CAPABILITIES], 'x64'));
  const cases: [string, number, number][] = [
    ['read', X32.read!, ALLOW], ['futex_requeue (456)', 456, ALLOW], ['statmount (457)', 457, NOSYS], ['mseal (462)', X32.mseal!, NOSYS],
    ['511', 511, NOSYS], ['rt_sigaction (512)', X32.rt_sigaction!, ALLOW], ['kexec_load (528)', X32.kexec_load!, EPERM],
    ['pwritev2 (547)', X32.pwritev2!, ALLOW], ['548', 548, NOSYS], ['0x3fffffff', 0x3fffffff, NOSYS],
  ];
  for (const [what, nr, want] of cases) assert.is(runBpf(r.instructions, x32(nr)), want, `x32 ${what}`);
  // A profile naming only legacy numbers on x32 keeps the plain bound.
  const only = compileSeccomp({ defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_X32'], syscalls: [{ names: ['rt_sigaction'], action: 'SCMP_ACT_ALLOW' }] });
  assert.equal(only.enosysAbove, { x86_64: 13, x32: 512 }, 'x86_64, the native arch, is always filtered');
  assert.is(runBpf(only.instructions, x32(100)), EPERM);
  assert.is(runBpf(only.instructions, x32(513)), NOSYS);
});

test('default profile (arm64): the same bound on aarch64', () => {
  const p = defaultSeccompProfile([...DEFAULT_CAPABILITIES], 'arm64');
  const r = compileSeccomp(p, { arch: 'aarch64' });
  assert.equal(r.enosysAbove, { aarch64: 456 });
  const ret = (nr: number) => runBpf(r.instructions, nr, [], AUDIT_ARCH.AARCH64);
  assert.is(ret(A64.read!), ALLOW);
  assert.is(ret(A64.fchmodat2!), ALLOW);
  assert.is(ret(A64.reboot!), EPERM);
  assert.is(ret(A64.mseal!), NOSYS);
  assert.is(ret(300), NOSYS, 'unassigned on arm64 (295-423)');
  assert.is(ret(A64.kexec_file_load!), EPERM, '294, known, refused');
});

test('the bound is the highest number the profile names, per ABI, whatever the action', () => {
  const p: Seccomp = {
    defaultAction: 'SCMP_ACT_ERRNO',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X32', 'SCMP_ARCH_X86'],
    syscalls: [
      { names: ['read', 'rt_sigaction'], action: 'SCMP_ACT_ALLOW' },
      { names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
    ],
  };
  const r = compileSeccomp(p);
  // x86_64: mkdir 83; x32: mkdir 83 (rt_sigaction is 512, a legacy number); i386: rt_sigaction 174.
  assert.equal(r.enosysAbove, { x86_64: 83, x32: 83, x86: 174 });
  const cases: [string, number, number, number][] = [
    ['x86_64 mkdir', AUDIT_ARCH.X86_64, NR.mkdir!, ERRNO(13)],
    ['x86_64 write (1), below the bound', AUDIT_ARCH.X86_64, NR.write!, EPERM],
    ['x86_64 rmdir (84), above', AUDIT_ARCH.X86_64, NR.rmdir!, NOSYS],
    ['x32 50, below', AUDIT_ARCH.X86_64, x32(50), EPERM],
    ['x32 100, above', AUDIT_ARCH.X86_64, x32(100), NOSYS],
    ['x32 rt_sigaction', AUDIT_ARCH.X86_64, x32(512), ALLOW],
    ['x32 513, legacy, not named', AUDIT_ARCH.X86_64, x32(513), EPERM],
    ['x32 548', AUDIT_ARCH.X86_64, x32(548), NOSYS],
    ['i386 174', AUDIT_ARCH.I386, 174, ALLOW],
    ['i386 175', AUDIT_ARCH.I386, 175, NOSYS],
    ['i386 mkdir (39)', AUDIT_ARCH.I386, I386.mkdir!, ERRNO(13)],
  ];
  for (const [what, arch, nr, want] of cases) assert.is(runBpf(r.instructions, nr, [], arch), want, what);
});

test('no stub when the default lets calls through (ALLOW, LOG, TRACE) or already is ENOSYS', () => {
  const base = { architectures: ['SCMP_ARCH_X86_64'], syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' as const }] };
  const table: [Seccomp['defaultAction'], number | undefined, number][] = [
    ['SCMP_ACT_ALLOW', undefined, ALLOW],
    ['SCMP_ACT_LOG', undefined, SECCOMP_RET.LOG],
    ['SCMP_ACT_TRACE', undefined, (SECCOMP_RET.TRACE | 1) >>> 0],
    ['SCMP_ACT_ERRNO', ENOSYS, NOSYS],
  ];
  for (const [defaultAction, defaultErrnoRet, ret] of table) {
    const r = compileSeccomp({ ...base, defaultAction, defaultErrnoRet });
    assert.equal(r.enosysAbove, {}, defaultAction);
    assert.is(runBpf(r.instructions, 1000), ret, `${defaultAction}: 1000 gets the default`);
  }
  // A refusing default other than errno still gets the stub.
  for (const defaultAction of ['SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL', 'SCMP_ACT_TRAP'] as const) {
    const r = compileSeccomp({ ...base, defaultAction });
    assert.is(runBpf(r.instructions, 1000), NOSYS, defaultAction);
    assert.is(runBpf(r.instructions, NR.read!), compileSeccomp({ ...base, defaultAction, syscalls: [] }).instructions.at(-1)!.k, `${defaultAction}: read gets the default`);
  }
});

test('a profile naming nothing this ABI has gets no stub there (nothing to compare with)', () => {
  const r = compileSeccomp({ defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_X86_64'], syscalls: [{ names: ['chown32'], action: 'SCMP_ACT_ALLOW' }] });
  assert.equal(r.enosysAbove, {});
  assert.is(runBpf(r.instructions, 1000), EPERM);
});

test('the default profile compiles without a warning, for every capability set and both arches', () => {
  const capSets: string[][] = [[], [...DEFAULT_CAPABILITIES], ['CAP_SYS_ADMIN', 'CAP_SYS_PTRACE', 'CAP_SYS_NICE', 'CAP_SYS_TIME', 'CAP_SYS_BOOT', 'CAP_SYS_MODULE', 'CAP_BPF']];
  for (const arch of ['x64', 'arm64']) {
    for (const caps of capSets) {
      const r = compileSeccomp(defaultSeccompProfile(caps, arch), { arch: (arch === 'x64' ? 'x86_64' : 'aarch64') as CompiledArch });
      assert.equal(r.warnings, [], `${arch} ${caps.length} caps`);
      assert.equal(r.unknownSyscalls, []);
    }
  }
});

test.run();
