// The default seccomp profile compiled by tsctr's compiler and by the system
// libseccomp (its peer, through ffi-rs), in the same run: compile time,
// program size, and the instructions the kernel runs per system call (counted
// by the test's BPF interpreter over a mix of common calls). Also checks the
// two programs answer the same for every x86_64 number the tables know.
//   node dist/bench/seccomp.js [--runs 30]
import { decodeFilter, SECCOMP_RET, type SockFilter } from '../src/oci/seccomp/bpf.js';
import { AUDIT_ARCH, compileSeccomp, encodeAction, ENOSYS } from '../src/oci/seccomp/compile.js';
import { defaultSeccompProfile } from '../src/oci/seccomp/default-profile.js';
import { SYSCALLS_X86_64 as NR } from '../src/oci/seccomp/syscalls-x86_64.js';
import { DEFAULT_CAPABILITIES } from '../src/oci/spec/defaults.js';
import type { Seccomp } from '../src/oci/spec/types.js';
import { loadLibseccomp, type LibseccompRule } from '../src/sys/libseccomp.js';
import { evalBpf } from '../test/unit/oci/seccomp/bpf-eval.js';

const runsAt = process.argv.indexOf('--runs');
const runs = runsAt > 0 ? Number(process.argv[runsAt + 1]) : 30;
const OPS: Record<string, number> = { SCMP_CMP_NE: 1, SCMP_CMP_LT: 2, SCMP_CMP_LE: 3, SCMP_CMP_EQ: 4, SCMP_CMP_GE: 5, SCMP_CMP_GT: 6, SCMP_CMP_MASKED_EQ: 7 };
// x86_64 calls a busy server makes most (futex, epoll, read/write, mmap, ...).
const MIX = ['read', 'write', 'futex', 'epoll_wait', 'epoll_pwait', 'recvfrom', 'sendto', 'mmap', 'munmap', 'openat', 'close', 'newfstatat', 'getpid', 'ioctl', 'brk', 'rt_sigprocmask', 'madvise', 'nanosleep', 'fcntl', 'getrandom'];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
function time(f: () => unknown): number {
  const t0 = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

function toLibseccomp(p: Seccomp): LibseccompRule[] {
  const rules: LibseccompRule[] = [];
  for (const s of p.syscalls ?? []) {
    const action = encodeAction(s.action, s.errnoRet, 'bench');
    const args = (s.args ?? []).map((a) => ({ arg: a.index, op: OPS[a.op]!, a: BigInt.asUintN(64, BigInt(a.value)), b: BigInt.asUintN(64, BigInt(a.valueTwo ?? 0)) }));
    for (const name of s.names) rules.push({ action, name, args });
  }
  return rules;
}

function perCall(prog: SockFilter[], nrs: number[]): { mean: number; max: number } {
  const steps = nrs.map((nr) => evalBpf(prog, nr, [0x11n]).steps);
  return { mean: steps.reduce((a, b) => a + b, 0) / steps.length, max: Math.max(...steps) };
}

function main(): void {
  const profile = defaultSeccompProfile([...DEFAULT_CAPABILITIES], 'x64');
  const ours = compileSeccomp(profile, { arch: 'x86_64' });
  const oursMs: number[] = [];
  for (let i = 0; i < runs; i++) oursMs.push(time(() => compileSeccomp(profile, { arch: 'x86_64' })));
  const mix = MIX.map((n) => NR[n]!);
  const rows: [string, number, number, number, number, number][] = [];
  const o = perCall(ours.instructions, mix);
  rows.push(['tsctr (own compiler)', median(oursMs), ours.instructions.length, o.mean, o.max, evalBpf(ours.instructions, NR.mseal!).steps]);

  const lib = loadLibseccomp();
  if (!lib) console.log('  libseccomp.so.2 cannot be loaded: no peer');
  else {
    const rules = toLibseccomp(profile);
    const arches = [AUDIT_ARCH.X86_64, lib.archToken('x86')!, lib.archToken('x32')!];
    const def = encodeAction(profile.defaultAction, profile.defaultErrnoRet, 'bench');
    const theirs = decodeFilter(lib.exportFilter(def, arches, rules));
    const libMs: number[] = [];
    for (let i = 0; i < runs; i++) libMs.push(time(() => lib.exportFilter(def, arches, rules)));
    const t = perCall(theirs, mix);
    rows.push([`libseccomp ${lib.version} (seccomp_export_bpf)`, median(libMs), theirs.length, t.mean, t.max, evalBpf(theirs, NR.mseal!).steps]);
    // Same answers, but for calls newer than the profile (ENOSYS, ours only).
    const differ: string[] = [];
    for (const [name, nr] of Object.entries(NR)) {
      const a = evalBpf(ours.instructions, nr, [0x11n]).ret;
      const b = evalBpf(theirs, nr, [0x11n]).ret;
      if (a !== b && !(a === ((SECCOMP_RET.ERRNO | ENOSYS) >>> 0) && nr > 456)) differ.push(`${name}: tsctr ${a.toString(16)}, libseccomp ${b.toString(16)}`);
    }
    console.log(differ.length ? `  answers differ for: ${differ.join('; ')}` : `  same answer for all ${Object.keys(NR).length} x86_64 system calls (but ENOSYS above 456, tsctr only)`);
  }
  console.log(`\nthe default profile (x86_64 + x86 + x32), ${runs} compiles each; instructions run per call over ${MIX.length} common x86_64 calls`);
  console.log(`  ${'compiler'.padEnd(40)} ${'median ms'.padStart(10)} ${'insns'.padStart(7)} ${'run/call'.padStart(9)} ${'max'.padStart(5)} ${'mseal'.padStart(6)}`);
  for (const [n, ms, len, mean, max, ms2] of rows) console.log(`  ${n.padEnd(40)} ${ms.toFixed(2).padStart(10)} ${String(len).padStart(7)} ${mean.toFixed(1).padStart(9)} ${String(max).padStart(5)} ${String(ms2).padStart(6)}`);
}

main();
