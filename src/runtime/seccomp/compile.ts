// OCI seccomp JSON (runtime-spec config-linux.md#seccomp) → a classic BPF
// program for seccomp(SECCOMP_SET_MODE_FILTER), without libseccomp.
//
//   ld arch; per listed arch: jeq AUDIT_ARCH_* → that arch's section
//   ret KILL_PROCESS                      (an arch the profile does not list)
//   section: ld nr; on x86_64, nr >= 0x40000000 → the x32 section;
//   per syscall, in number order:
//     jeq nr → its rules: each rule's arg checks, ret action; else next rule
//              after the last rule, ret defaultAction
//   ret defaultAction
//
// Names this architecture does not have are skipped, as libseccomp does,
// and listed in unknownSyscalls.
import { InvalidArgumentError } from '../../errors.js';
import type { Seccomp, SeccompAction, SeccompArg } from '../spec/types.js';
import { assemble, BPF, encodeFilter, jumpTo, SECCOMP_DATA, SECCOMP_RET, type Insn, type SockFilter } from './bpf.js';
import { SYSCALLS_AARCH64 } from './syscalls-aarch64.js';
import { SYSCALLS_I386 } from './syscalls-i386.js';
import { SYSCALLS_X32 } from './syscalls-x32.js';
import { SYSCALLS_X86_64 } from './syscalls-x86_64.js';

// linux/audit.h: EM_* | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE
export const AUDIT_ARCH = {
  X86_64: 0xc000003e,
  AARCH64: 0xc00000b7,
  I386: 0x40000003,
  ARM: 0x40000028,
} as const;

/** x32 system calls run on AUDIT_ARCH_X86_64 with this bit set in nr (asm/unistd.h __X32_SYSCALL_BIT). */
export const X32_SYSCALL_BIT = 0x40000000;

export type CompiledArch = 'x86_64' | 'aarch64' | 'x86' | 'x32';
interface Abi { audit: number; table: Readonly<Record<string, number>>; bit: number }
const ABIS: Record<CompiledArch, Abi> = {
  x86_64: { audit: AUDIT_ARCH.X86_64, table: SYSCALLS_X86_64, bit: 0 },
  x32: { audit: AUDIT_ARCH.X86_64, table: SYSCALLS_X32, bit: X32_SYSCALL_BIT },
  x86: { audit: AUDIT_ARCH.I386, table: SYSCALLS_I386, bit: 0 },
  aarch64: { audit: AUDIT_ARCH.AARCH64, table: SYSCALLS_AARCH64, bit: 0 },
};
const SPEC_ARCH: Record<string, CompiledArch | undefined> = {
  SCMP_ARCH_X86_64: 'x86_64',
  SCMP_ARCH_X32: 'x32',
  SCMP_ARCH_X86: 'x86',
  SCMP_ARCH_AARCH64: 'aarch64',
};

export const EPERM = 1;

export interface CompiledSeccomp {
  filter: Buffer;
  instructions: SockFilter[];
  /** Names no compiled architecture knows (skipped). */
  unknownSyscalls: string[];
  warnings: string[];
}

export function nativeArch(): CompiledArch {
  return process.arch === 'arm64' ? 'aarch64' : 'x86_64';
}

/** The SECCOMP_RET_* value of an action (errnoRet defaults to EPERM, as the runtime-spec says). */
export function encodeAction(action: SeccompAction, errnoRet: number | undefined, field: string): number {
  const data = (errnoRet ?? EPERM) & SECCOMP_RET.DATA;
  switch (action) {
    case 'SCMP_ACT_ALLOW': return SECCOMP_RET.ALLOW;
    case 'SCMP_ACT_ERRNO': return (SECCOMP_RET.ERRNO | data) >>> 0;
    case 'SCMP_ACT_KILL': case 'SCMP_ACT_KILL_THREAD': return SECCOMP_RET.KILL_THREAD;
    case 'SCMP_ACT_KILL_PROCESS': return SECCOMP_RET.KILL_PROCESS;
    case 'SCMP_ACT_TRAP': return SECCOMP_RET.TRAP;
    case 'SCMP_ACT_LOG': return SECCOMP_RET.LOG;
    case 'SCMP_ACT_TRACE': return (SECCOMP_RET.TRACE | data) >>> 0;
    case 'SCMP_ACT_NOTIFY': throw new InvalidArgumentError(`${field}: SCMP_ACT_NOTIFY needs a seccomp agent, which tsctr does not support`);
  }
  throw new InvalidArgumentError(`${field}: unknown action ${JSON.stringify(action)}`);
}

interface Rule { args: SeccompArg[]; ret: number }

export function compileSeccomp(profile: Seccomp, opts: { arch?: CompiledArch } = {}): CompiledSeccomp {
  const warnings: string[] = [];
  const defaultRet = encodeAction(profile.defaultAction, profile.defaultErrnoRet, 'linux.seccomp.defaultAction');
  const arches = new Set<CompiledArch>();
  const listed = profile.architectures?.length ? profile.architectures : [];
  for (const a of listed) {
    const m = SPEC_ARCH[a];
    if (m) arches.add(m);
    else warnings.push(`linux.seccomp.architectures: ${a} has no syscall table here; its system calls are refused (bad architecture)`);
  }
  // No list: the native architecture only (libseccomp's default filter).
  if (listed.length === 0) arches.add(opts.arch ?? nativeArch());

  // name → rules, in profile order; the first matching rule wins (libseccomp
  // merges rules per syscall; an unconditional one makes later ones moot).
  const byName = new Map<string, Rule[]>();
  (profile.syscalls ?? []).forEach((s, i) => {
    const ret = encodeAction(s.action, s.errnoRet, `linux.seccomp.syscalls[${i}].action`);
    for (const name of s.names) {
      if (!byName.has(name)) byName.set(name, []);
      byName.get(name)!.push({ args: s.args ?? [], ret });
    }
  });
  const unknown = [...byName.keys()].filter((n) => ![...arches].some((a) => n in ABIS[a].table));
  if (unknown.length) warnings.push(`linux.seccomp: ${unknown.length} system call name(s) unknown on ${[...arches].join('/')}, skipped: ${unknown.join(', ')}`);

  // x86_64 and x32 share AUDIT_ARCH_X86_64: one dispatch entry, then the
  // x32 bit in nr picks the section (an unlisted one is a bad arch).
  const entries = [...new Set([...arches].map((a) => (a === 'x32' ? 'x86_64' : a)))];
  const prog: Insn[] = [{ code: BPF.LD_W_ABS, k: SECCOMP_DATA.arch }];
  for (const a of entries) prog.push({ code: BPF.JMP_JEQ_K, k: ABIS[a].audit, jt: 0, jf: 1 }, jumpTo(`arch_${a}`));
  prog.push({ code: BPF.RET_K, k: SECCOMP_RET.KILL_PROCESS });
  for (const a of entries) {
    prog.push({ label: `arch_${a}` }, { code: BPF.LD_W_ABS, k: SECCOMP_DATA.nr });
    if (a === 'x86_64') {
      // BPF jumps only forward: an unlisted x32 is killed right here.
      prog.push({ code: BPF.JMP_JGE_K, k: X32_SYSCALL_BIT, jt: 0, jf: 1 }, arches.has('x32') ? jumpTo('abi_x32') : { code: BPF.RET_K, k: SECCOMP_RET.KILL_PROCESS });
      if (arches.has('x86_64')) prog.push(...compileAbi('x86_64', byName, defaultRet));
      else prog.push({ code: BPF.RET_K, k: SECCOMP_RET.KILL_PROCESS });
      if (arches.has('x32')) prog.push({ label: 'abi_x32' }, ...compileAbi('x32', byName, defaultRet));
    } else prog.push(...compileAbi(a, byName, defaultRet));
  }
  const instructions = assemble(prog);
  // BPF_MAXINSNS (linux/bpf_common.h)
  if (instructions.length > 4096) throw new InvalidArgumentError(`linux.seccomp: the filter needs ${instructions.length} instructions, more than the kernel's 4096`);
  return { filter: encodeFilter(instructions), instructions, unknownSyscalls: unknown, warnings };
}

/** One ABI's chain: per system call number in order, its rules; then the default. A holds nr. */
function compileAbi(a: CompiledArch, byName: Map<string, Rule[]>, defaultRet: number): Insn[] {
  // Rules by number: two names of one number (aliases) share a block.
  const { table, bit } = ABIS[a];
  const byNr = new Map<number, Rule[]>();
  for (const [name, rules] of byName) {
    const nr = table[name];
    if (nr === undefined) continue;
    byNr.set(nr, [...(byNr.get(nr) ?? []), ...rules]);
  }
  const out: Insn[] = [];
  for (const nr of [...byNr.keys()].sort((x, y) => x - y)) out.push(...compileSyscall(`${a}_${nr}`, (nr | bit) >>> 0, byNr.get(nr)!, defaultRet));
  out.push({ code: BPF.RET_K, k: defaultRet });
  return out;
}

/** jeq nr → rules; A holds nr on entry and, when the syscall does not match, on exit. */
function compileSyscall(id: string, nr: number, rules: Rule[], defaultRet: number): Insn[] {
  const uncond = rules.length > 0 && rules[0]!.args.length === 0;
  if (uncond) return [{ code: BPF.JMP_JEQ_K, k: nr, jt: 0, jf: 1 }, { code: BPF.RET_K, k: rules[0]!.ret }];
  const body: Insn[] = [];
  let ended = false;
  rules.forEach((r, i) => {
    if (ended) return;
    if (r.args.length === 0) { body.push({ code: BPF.RET_K, k: r.ret }); ended = true; return; }
    const fail = `${id}_r${i}_fail`;
    r.args.forEach((arg, j) => body.push(...compileArg(arg, fail, `${id}_r${i}_a${j}`)));
    body.push({ code: BPF.RET_K, k: r.ret }, { label: fail });
  });
  // Every path through the body returns, so A still holds nr after the skip.
  if (!ended) body.push({ code: BPF.RET_K, k: defaultRet });
  return [{ code: BPF.JMP_JEQ_K, k: nr, jt: 1, jf: 0 }, jumpTo(`${id}_end`), ...body, { label: `${id}_end` }];
}

function split64(v: number | bigint): [number, number] {
  const b = BigInt.asUintN(64, BigInt(v));
  return [Number(b >> 32n), Number(b & 0xffffffffn)];
}

/**
 * One 64-bit argument comparison, done on the high then the low word
 * (libseccomp's way on 64-bit arches). Falls through when it holds, jumps
 * to fail when not.
 */
function compileArg(a: SeccompArg, fail: string, id: string): Insn[] {
  const hi = { code: BPF.LD_W_ABS, k: SECCOMP_DATA.argHi(a.index) };
  const lo = { code: BPF.LD_W_ABS, k: SECCOMP_DATA.argLo(a.index) };
  const pass = `${id}_pass`;
  const [vh, vl] = split64(a.value);
  const ops: Insn[] = [];
  switch (a.op) {
    case 'SCMP_CMP_EQ':
      ops.push(hi, { code: BPF.JMP_JEQ_K, k: vh, jt: 0, jf: fail }, lo, { code: BPF.JMP_JEQ_K, k: vl, jt: 0, jf: fail });
      break;
    case 'SCMP_CMP_NE':
      ops.push(hi, { code: BPF.JMP_JEQ_K, k: vh, jt: 0, jf: pass }, lo, { code: BPF.JMP_JEQ_K, k: vl, jt: fail, jf: 0 });
      break;
    case 'SCMP_CMP_MASKED_EQ': {
      // runtime-spec: value is the mask, valueTwo the datum: (arg & value) == valueTwo.
      const [dh, dl] = split64(a.valueTwo ?? 0);
      ops.push(hi, { code: BPF.ALU_AND_K, k: vh }, { code: BPF.JMP_JEQ_K, k: dh, jt: 0, jf: fail });
      ops.push(lo, { code: BPF.ALU_AND_K, k: vl }, { code: BPF.JMP_JEQ_K, k: dl, jt: 0, jf: fail });
      break;
    }
    case 'SCMP_CMP_GT':
    case 'SCMP_CMP_GE': {
      const loOp = a.op === 'SCMP_CMP_GT' ? BPF.JMP_JGT_K : BPF.JMP_JGE_K;
      ops.push(hi, { code: BPF.JMP_JGT_K, k: vh, jt: pass, jf: 0 }, { code: BPF.JMP_JEQ_K, k: vh, jt: 0, jf: fail });
      ops.push(lo, { code: loOp, k: vl, jt: 0, jf: fail });
      break;
    }
    case 'SCMP_CMP_LT':
    case 'SCMP_CMP_LE': {
      // LT is not GE; LE is not GT.
      const loOp = a.op === 'SCMP_CMP_LT' ? BPF.JMP_JGE_K : BPF.JMP_JGT_K;
      ops.push(hi, { code: BPF.JMP_JGT_K, k: vh, jt: fail, jf: 0 }, { code: BPF.JMP_JEQ_K, k: vh, jt: 0, jf: pass });
      ops.push(lo, { code: loOp, k: vl, jt: fail, jf: 0 });
      break;
    }
    default:
      throw new InvalidArgumentError(`linux.seccomp: unknown operator ${JSON.stringify(a.op)}`);
  }
  ops.push({ label: pass });
  return ops;
}
