// Every number on every ABI, compiled filter against a reference reading of
// the profile (first matching rule in profile order, else the default; ENOSYS
// above the highest number named): whatever shape the compiler gives the
// program (shared returns, range checks), the answers must be these.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SECCOMP_RET } from '../../../../src/oci/seccomp/bpf.js';
import { AUDIT_ARCH, compileSeccomp, encodeAction, ENOSYS, X32_SYSCALL_BIT } from '../../../../src/oci/seccomp/compile.js';
import { defaultSeccompProfile } from '../../../../src/oci/seccomp/default-profile.js';
import { SYSCALLS_AARCH64 } from '../../../../src/oci/seccomp/syscalls-aarch64.js';
import { SYSCALLS_I386 } from '../../../../src/oci/seccomp/syscalls-i386.js';
import { SYSCALLS_X32 } from '../../../../src/oci/seccomp/syscalls-x32.js';
import { SYSCALLS_X86_64 } from '../../../../src/oci/seccomp/syscalls-x86_64.js';
import { DEFAULT_CAPABILITIES } from '../../../../src/oci/spec/defaults.js';
import type { Seccomp, SeccompArg } from '../../../../src/oci/spec/types.js';
import { runBpf } from './bpf-eval.js';

interface Abi { audit: number; table: Readonly<Record<string, number>>; bit: number; x32?: boolean }
const ABIS: Record<string, Abi> = {
  x86_64: { audit: AUDIT_ARCH.X86_64, table: SYSCALLS_X86_64, bit: 0 },
  x86: { audit: AUDIT_ARCH.I386, table: SYSCALLS_I386, bit: 0 },
  x32: { audit: AUDIT_ARCH.X86_64, table: SYSCALLS_X32, bit: X32_SYSCALL_BIT, x32: true },
  aarch64: { audit: AUDIT_ARCH.AARCH64, table: SYSCALLS_AARCH64, bit: 0 },
};

function holds(a: SeccompArg, args: bigint[]): boolean {
  const v = BigInt.asUintN(64, BigInt(a.value));
  const x = args[a.index] ?? 0n;
  switch (a.op) {
    case 'SCMP_CMP_EQ': return x === v;
    case 'SCMP_CMP_NE': return x !== v;
    case 'SCMP_CMP_LT': return x < v;
    case 'SCMP_CMP_LE': return x <= v;
    case 'SCMP_CMP_GT': return x > v;
    case 'SCMP_CMP_GE': return x >= v;
    case 'SCMP_CMP_MASKED_EQ': return (x & v) === BigInt.asUintN(64, BigInt(a.valueTwo ?? 0));
  }
}

/** What the profile says for nr on abi, read straight from the JSON. */
function reference(p: Seccomp, abi: Abi, nr: number, args: bigint[]): number {
  const named = new Map<number, Seccomp['syscalls']>();
  for (const s of p.syscalls ?? []) for (const n of s.names) {
    if (!Object.hasOwn(abi.table, n)) continue;
    const k = abi.table[n]!;
    named.set(k, [...(named.get(k) ?? []), s]);
  }
  const nrs = [...named.keys()];
  // The x32 legacy numbers 512-547 do not raise the bound.
  const bound = Math.max(...(abi.x32 ? nrs.filter((n) => n < 512) : nrs));
  const legacy = abi.x32 && nr >= 512 && nr <= 547;
  const stub = !['SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_TRACE'].includes(p.defaultAction);
  // Above the bound, or a number no kernel assigns on this ABI: ENOSYS.
  const assigned = Object.values(abi.table).includes(nr);
  if (stub && ((nr > bound && !legacy) || !assigned)) return (SECCOMP_RET.ERRNO | ENOSYS) >>> 0;
  for (const s of named.get(nr) ?? []) if ((s.args ?? []).every((a) => holds(a, args))) return encodeAction(s.action, s.errnoRet, 'ref');
  return encodeAction(p.defaultAction, p.defaultErrnoRet, 'ref');
}

function compare(p: Seccomp, arch: 'x86_64' | 'aarch64', abis: string[]): number {
  const prog = compileSeccomp(p, { arch }).instructions;
  let checked = 0;
  for (const name of abis) {
    const abi = ABIS[name]!;
    for (let nr = 0; nr < 620; nr++) {
      for (const args of [[], [0x11n], [0x10000000n], [0x8n], [0xffffffffn]]) {
        const want = reference(p, abi, nr, args);
        const got = runBpf(prog, (nr | abi.bit) >>> 0, args, abi.audit);
        if (got !== want) assert.unreachable(`${name} ${nr} (${Object.keys(abi.table).find((k) => abi.table[k] === nr) ?? '-'}) args ${args}: got ${got.toString(16)}, want ${want.toString(16)}`);
        checked++;
      }
    }
  }
  return checked;
}

test('default profile, x86 (x86_64, i386, x32), three capability sets: every number 0-619 as the profile reads', () => {
  for (const caps of [[], [...DEFAULT_CAPABILITIES], ['CAP_SYS_ADMIN', 'CAP_SYS_PTRACE', 'CAP_SYS_BOOT']]) {
    assert.ok(compare(defaultSeccompProfile(caps, 'x64'), 'x86_64', ['x86_64', 'x86', 'x32']) > 9000);
  }
});

test('default profile, arm64: every number 0-619 as the profile reads', () => {
  compare(defaultSeccompProfile([...DEFAULT_CAPABILITIES], 'arm64'), 'aarch64', ['aarch64']);
});

test('a deny-list profile with runs of errno rules, conditions in between', () => {
  const p: Seccomp = {
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X32'],
    syscalls: [
      { names: ['mkdir', 'rmdir', 'creat', 'link', 'unlink', 'symlink', 'readlink', 'chmod', 'fchmod', 'chown'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
      { names: ['open'], action: 'SCMP_ACT_ERRNO', errnoRet: 2, args: [{ index: 0, value: 0x8, op: 'SCMP_CMP_EQ' }] },
      { names: ['read', 'write', 'close', 'stat', 'fstat', 'lstat', 'poll'], action: 'SCMP_ACT_LOG' },
      { names: ['fork', 'vfork'], action: 'SCMP_ACT_KILL_PROCESS' },
    ],
  };
  compare(p, 'x86_64', ['x86_64', 'x32']);
});

test.run();
