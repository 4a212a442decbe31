import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AUDIT_ARCH, compileSeccomp, X32_SYSCALL_BIT } from '../../../../src/oci/seccomp/compile.js';
import { defaultSeccompProfile } from '../../../../src/oci/seccomp/default-profile.js';
import { BPF, decodeFilter, SECCOMP_RET } from '../../../../src/oci/seccomp/bpf.js';
import { runBpf } from './bpf-eval.js';
import { SYSCALLS_AARCH64 } from '../../../../src/oci/seccomp/syscalls-aarch64.js';
import { SYSCALLS_I386 } from '../../../../src/oci/seccomp/syscalls-i386.js';
import { SYSCALLS_X32 } from '../../../../src/oci/seccomp/syscalls-x32.js';
import { SYSCALLS_X86_64 as NR } from '../../../../src/oci/seccomp/syscalls-x86_64.js';
import { DEFAULT_CAPABILITIES } from '../../../../src/oci/spec/defaults.js';
import type { Seccomp, SeccompOperator } from '../../../../src/oci/spec/types.js';

const ERRNO = (e: number) => (SECCOMP_RET.ERRNO | e) >>> 0;
const run = (p: Seccomp, nr: number, args: bigint[] = [], arch?: number) => runBpf(compileSeccomp(p, { arch: 'x86_64' }).instructions, nr, args, arch);

test('interpreter self-check: a hand-written allow-all program', () => {
  assert.is(runBpf([{ code: BPF.RET_K, jt: 0, jf: 0, k: SECCOMP_RET.ALLOW }], 0), SECCOMP_RET.ALLOW);
});

test('default action and a plain errno rule', () => {
  const p: Seccomp = { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'], syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] };
  assert.is(run(p, NR.mkdir!), ERRNO(1), 'errnoRet defaults to EPERM');
  assert.is(run(p, NR.mkdirat!), ERRNO(1));
  assert.is(run(p, NR.read!), SECCOMP_RET.ALLOW);
  assert.is(run(p, NR.write!), SECCOMP_RET.ALLOW);
});

test('each action encodes as its SECCOMP_RET value', () => {
  const table: [Seccomp['defaultAction'], number | undefined, number][] = [
    ['SCMP_ACT_ALLOW', undefined, SECCOMP_RET.ALLOW],
    ['SCMP_ACT_ERRNO', 13, ERRNO(13)],
    ['SCMP_ACT_KILL', undefined, SECCOMP_RET.KILL_THREAD],
    ['SCMP_ACT_KILL_PROCESS', undefined, SECCOMP_RET.KILL_PROCESS],
    ['SCMP_ACT_TRAP', undefined, SECCOMP_RET.TRAP],
    ['SCMP_ACT_LOG', undefined, SECCOMP_RET.LOG],
    ['SCMP_ACT_TRACE', 7, (SECCOMP_RET.TRACE | 7) >>> 0],
  ];
  for (const [action, errnoRet, ret] of table) {
    assert.is(run({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['getpid'], action, errnoRet }] }, NR.getpid!), ret, action);
    assert.is(run({ defaultAction: action, defaultErrnoRet: errnoRet, syscalls: [] }, NR.getpid!), ret, `default ${action}`);
  }
  assert.throws(() => compileSeccomp({ defaultAction: 'SCMP_ACT_NOTIFY' }), /seccomp agent/);
});

test('a foreign architecture is killed; x32 only when listed', () => {
  const p: Seccomp = { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'], syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] };
  assert.is(run(p, NR.read!, [], AUDIT_ARCH.I386), SECCOMP_RET.KILL_PROCESS);
  assert.is(run(p, X32_SYSCALL_BIT | NR.read!), SECCOMP_RET.KILL_PROCESS);
  const withX32 = { ...p, architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X32'] };
  assert.is(run(withX32, X32_SYSCALL_BIT | NR.read!), SECCOMP_RET.ALLOW);
  assert.is(run(withX32, X32_SYSCALL_BIT | NR.mkdir!), ERRNO(1), 'x32 mkdir is caught too');
});

test('i386 and x32 sections use their own numbers', () => {
  const p: Seccomp = { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'], syscalls: [{ names: ['mkdir', 'rt_sigaction'], action: 'SCMP_ACT_ERRNO', errnoRet: 7 }] };
  const prog = compileSeccomp(p).instructions;
  assert.is(runBpf(prog, SYSCALLS_I386.mkdir!, [], AUDIT_ARCH.I386), ERRNO(7), 'i386 mkdir is 39');
  assert.is(runBpf(prog, NR.mkdir!, [], AUDIT_ARCH.I386), SECCOMP_RET.ALLOW, '83 is not mkdir on i386');
  assert.is(runBpf(prog, X32_SYSCALL_BIT | SYSCALLS_X32.rt_sigaction!), ERRNO(7), 'x32 rt_sigaction is 512');
  assert.is(runBpf(prog, X32_SYSCALL_BIT | NR.rt_sigaction!), SECCOMP_RET.ALLOW, 'x32 has no syscall 13');
  assert.is(runBpf(prog, NR.rt_sigaction!), ERRNO(7), 'x86_64 rt_sigaction');
  // Only x32 listed: the native x86_64 is filtered all the same (libseccomp
  // always keeps the native arch), i386 is a bad architecture.
  const onlyX32 = compileSeccomp({ ...p, architectures: ['SCMP_ARCH_X32'] }, { arch: 'x86_64' }).instructions;
  assert.is(runBpf(onlyX32, NR.read!), SECCOMP_RET.ALLOW);
  assert.is(runBpf(onlyX32, NR.mkdir!), ERRNO(7));
  assert.is(runBpf(onlyX32, X32_SYSCALL_BIT | SYSCALLS_X32.read!), SECCOMP_RET.ALLOW);
  assert.is(runBpf(onlyX32, SYSCALLS_I386.read!, [], AUDIT_ARCH.I386), SECCOMP_RET.KILL_PROCESS);
});

test('aarch64 section uses the aarch64 numbers', () => {
  const p: Seccomp = { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_AARCH64'], syscalls: [{ names: ['mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 5 }] };
  const prog = compileSeccomp(p).instructions;
  assert.is(runBpf(prog, SYSCALLS_AARCH64.mkdirat!, [], AUDIT_ARCH.AARCH64), ERRNO(5));
  assert.is(runBpf(prog, NR.mkdirat!, [], AUDIT_ARCH.AARCH64), SECCOMP_RET.ALLOW, '258 is not mkdirat on arm64');
  assert.is(runBpf(prog, NR.mkdirat!, [], AUDIT_ARCH.X86_64), ERRNO(5));
});

test('64-bit argument comparisons, on both words', () => {
  const big = (1n << 32n) + 5n;
  const cases: [SeccompOperator, bigint, bigint, boolean][] = [
    ['SCMP_CMP_EQ', 5n, 5n, true], ['SCMP_CMP_EQ', 5n, big, false], ['SCMP_CMP_EQ', big, big, true], ['SCMP_CMP_EQ', big, 5n, false],
    ['SCMP_CMP_NE', 5n, 5n, false], ['SCMP_CMP_NE', 5n, big, true], ['SCMP_CMP_NE', big, 5n, true], ['SCMP_CMP_NE', 4n, 5n, true],
    ['SCMP_CMP_GT', 5n, 6n, true], ['SCMP_CMP_GT', 5n, 5n, false], ['SCMP_CMP_GT', 5n, big, true], ['SCMP_CMP_GT', big, 6n, false], ['SCMP_CMP_GT', big, big + 1n, true],
    ['SCMP_CMP_GE', 5n, 5n, true], ['SCMP_CMP_GE', 5n, 4n, false], ['SCMP_CMP_GE', big, 7n, false], ['SCMP_CMP_GE', big, big, true],
    ['SCMP_CMP_LT', 5n, 4n, true], ['SCMP_CMP_LT', 5n, 5n, false], ['SCMP_CMP_LT', big, 7n, true], ['SCMP_CMP_LT', 5n, big, false],
    ['SCMP_CMP_LE', 5n, 5n, true], ['SCMP_CMP_LE', 5n, 6n, false], ['SCMP_CMP_LE', big, 9n, true], ['SCMP_CMP_LE', big, big + 1n, false],
    ['SCMP_CMP_EQ', -1n, 0xffffffffffffffffn, true], ['SCMP_CMP_EQ', 0xffffffffn, 0xffffffffffffffffn, false],
  ];
  for (const [op, value, arg, match] of cases) {
    // JSON numbers cannot carry every u64 exactly; the compiler takes bigints too.
    const p: Seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['ioctl'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value, op }] }] };
    assert.is(run(p, NR.ioctl!, [0n, arg]), match ? ERRNO(1) : SECCOMP_RET.ALLOW, `${op} value=${value} arg=${arg}`);
  }
});

test('MASKED_EQ: (arg & value) == valueTwo; several args must all hold; rules are tried in order', () => {
  const p: Seccomp = {
    defaultAction: 'SCMP_ACT_ERRNO',
    syscalls: [
      { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0x7e020000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] },
      { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }, { index: 1, value: 2, op: 'SCMP_CMP_LE' }] },
      { names: ['socket'], action: 'SCMP_ACT_ERRNO', errnoRet: 97, args: [{ index: 0, value: 10, op: 'SCMP_CMP_EQ' }] },
    ],
  };
  assert.is(run(p, NR.clone!, [0x11n]), SECCOMP_RET.ALLOW, 'plain fork-like clone');
  assert.is(run(p, NR.clone!, [0x20000n | 0x11n]), ERRNO(1), 'CLONE_NEWNS refused');
  assert.is(run(p, NR.clone!, [(1n << 40n) | 0x11n]), SECCOMP_RET.ALLOW, 'high bits outside the mask');
  assert.is(run(p, NR.socket!, [1n, 1n]), SECCOMP_RET.ALLOW);
  assert.is(run(p, NR.socket!, [1n, 3n]), ERRNO(1), 'second arg fails → next rule → default');
  assert.is(run(p, NR.socket!, [10n, 0n]), ERRNO(97), 'second rule');
  assert.is(run(p, NR.socket!, [2n, 0n]), ERRNO(1));
});

test('names no architecture has are skipped and reported; names of other architectures are skipped silently', () => {
  const r = compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'], syscalls: [{ names: ['mkdir', 'no_such_call', 'chown32', 's390_pci_mmio_read'], action: 'SCMP_ACT_ERRNO' }] });
  assert.equal(r.unknownSyscalls, ['no_such_call']);
  assert.equal(r.warnings, ['linux.seccomp: 1 system call name(s) unknown on every architecture, skipped: no_such_call']);
  assert.is(runBpf(r.instructions, NR.mkdir!), ERRNO(1));
  assert.is(r.filter.length, r.instructions.length * 8);
  assert.equal(decodeFilter(r.filter), r.instructions);
});

test('long rule blocks still jump correctly (offsets beyond 255)', () => {
  const args = Array.from({ length: 60 }, (_, i) => ({ names: ['ioctl'], action: 'SCMP_ACT_ERRNO' as const, errnoRet: i + 1, args: [{ index: 1, value: 1000 + i, op: 'SCMP_CMP_EQ' as const }] }));
  const p: Seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [...args, { names: ['write'], action: 'SCMP_ACT_ERRNO', errnoRet: 99 }] };
  assert.is(run(p, NR.ioctl!, [0n, 1059n]), ERRNO(60));
  assert.is(run(p, NR.ioctl!, [0n, 5n]), SECCOMP_RET.ALLOW);
  assert.is(run(p, NR.write!), ERRNO(99));
});

test('default profile: common calls allowed, privileged ones EPERM, caps open groups', () => {
  const p = defaultSeccompProfile([...DEFAULT_CAPABILITIES], 'x64');
  const r = compileSeccomp(p);
  const ret = (name: string, args: bigint[] = []) => runBpf(r.instructions, NR[name]!, args);
  for (const n of ['read', 'write', 'openat', 'execve', 'mmap', 'exit_group', 'arch_prctl', 'chroot', 'getdents64', 'clock_gettime']) assert.is(ret(n), SECCOMP_RET.ALLOW, n);
  for (const n of ['mount', 'umount2', 'unshare', 'setns', 'reboot', 'kexec_load', 'init_module', 'ptrace', 'bpf', 'keyctl', 'add_key']) assert.is(ret(n), ERRNO(1), n);
  assert.is(ret('clone', [0x1200011n]), SECCOMP_RET.ALLOW, 'fork-style clone');
  assert.is(ret('clone', [0x10000000n]), ERRNO(1), 'clone(CLONE_NEWUSER)');
  assert.is(ret('clone3'), ERRNO(38), 'clone3 → ENOSYS so libc falls back');
  assert.is(ret('personality', [0n]), SECCOMP_RET.ALLOW);
  assert.is(ret('personality', [0x0400000n]), ERRNO(1), 'ADDR_NO_RANDOMIZE refused');
  const admin = compileSeccomp(defaultSeccompProfile([...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN', 'CAP_SYS_PTRACE'], 'x64'));
  for (const n of ['mount', 'unshare', 'setns', 'ptrace']) assert.is(runBpf(admin.instructions, NR[n]!), SECCOMP_RET.ALLOW, `${n} with caps`);
  assert.is(runBpf(admin.instructions, NR.clone!, [0x10000000n]), SECCOMP_RET.ALLOW);
  assert.ok(r.instructions.length < 4096);
  assert.is(runBpf(r.instructions, X32_SYSCALL_BIT | NR.read!), SECCOMP_RET.ALLOW, 'x32 listed like Docker');
  assert.is(runBpf(r.instructions, SYSCALLS_I386.read!, [], AUDIT_ARCH.I386), SECCOMP_RET.ALLOW, 'i386 too');
  assert.is(runBpf(r.instructions, SYSCALLS_I386.mount!, [], AUDIT_ARCH.I386), ERRNO(1));
  assert.equal(r.warnings.filter((w) => /architectures/.test(w)), [], 'every listed arch has a table');
});

test.run();
