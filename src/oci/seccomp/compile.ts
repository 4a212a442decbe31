// OCI seccomp JSON (runtime-spec config-linux.md#seccomp) → a classic BPF
// program for seccomp(SECCOMP_SET_MODE_FILTER), without libseccomp.
//
//   ld arch; per listed arch: jeq AUDIT_ARCH_* → that arch's section
//   ret KILL_PROCESS                      (an arch the profile does not list)
//   section: ld nr; on x86_64, nr >= 0x40000000 → the x32 section;
//   jgt <highest nr the profile names> → ret ERRNO(ENOSYS)   (the stub)
//   per syscall, in number order:
//     jeq nr → its rules: each rule's arg checks, ret action; else next rule
//              after the last rule, ret defaultAction
//   ret defaultAction
//
// The ENOSYS stub is runc's (libcontainer/seccomp/patchbpf): a system call
// newer than every one the profile names is one the profile's author could
// not have known, so it gets "not implemented" (libc then falls back, as
// glibc does from fchmodat2 to fchmodat) instead of the default errno,
// which the caller would take for a real refusal. Known system calls the
// profile leaves out still get the default action. No stub when the default
// action lets calls through anyway (ALLOW, LOG, TRACE) or already is ENOSYS.
//
// Names this architecture does not have are skipped, as libseccomp does;
// names no architecture has are listed in unknownSyscalls. A name the
// tables lack is looked up through opts.resolve (the system libseccomp, in
// case it is newer than the tables) before it is called unknown.
import { InvalidArgumentError } from '../../errors.js';
import type { Seccomp, SeccompArg } from '../spec/types.js';
import { checkShape, encodeAction } from './fields.js';
import { assemble, BPF, encodeFilter, jumpTo, SECCOMP_DATA, SECCOMP_RET, type Insn, type SockFilter } from './bpf.js';
export { EPERM, encodeAction, encodeFilterFlags } from './fields.js';
import { SYSCALLS_ELSEWHERE } from './names-elsewhere.js';
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

// The runtime-spec's other SCMP_ARCH_* values: real, but without a table here.
const OTHER_SPEC_ARCHES = new Set(['SCMP_ARCH_ARM', 'SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64', 'SCMP_ARCH_MIPS64N32', 'SCMP_ARCH_MIPSEL',
  'SCMP_ARCH_MIPSEL64', 'SCMP_ARCH_MIPSEL64N32', 'SCMP_ARCH_PPC', 'SCMP_ARCH_PPC64', 'SCMP_ARCH_PPC64LE', 'SCMP_ARCH_S390',
  'SCMP_ARCH_S390X', 'SCMP_ARCH_PARISC', 'SCMP_ARCH_PARISC64', 'SCMP_ARCH_RISCV64', 'SCMP_ARCH_LOONGARCH64', 'SCMP_ARCH_M68K',
  'SCMP_ARCH_SH', 'SCMP_ARCH_SHEB']);

export const ENOSYS = 38;

export interface CompiledSeccomp {
  filter: Buffer;
  instructions: SockFilter[];
  /** Names no architecture knows (skipped, with a warning). */
  unknownSyscalls: string[];
  /** Per compiled ABI, the highest number the profile names: above it, ERRNO(ENOSYS) (on x32, 512-547 excepted). Empty when there is no stub. */
  enosysAbove: Partial<Record<CompiledArch, number>>;
  warnings: string[];
}

export function nativeArch(): CompiledArch {
  return process.arch === 'arm64' ? 'aarch64' : 'x86_64';
}

interface Rule { args: SeccompArg[]; ret: number }

/**
 * A second source of numbers for names our tables lack (the system
 * libseccomp, if it is newer than them): the number on arch, or undefined.
 */
export type SyscallResolver = (arch: CompiledArch, name: string) => number | undefined;

export interface CompileOptions {
  /** The native architecture (default: this machine's); always filtered. */
  arch?: CompiledArch;
  /** Asked only for names no table here has. */
  resolve?: SyscallResolver;
}

export function compileSeccomp(profile: Seccomp, opts: CompileOptions = {}): CompiledSeccomp {
  const warnings: string[] = [];
  // Seccomp user notification (runtime-spec: the runtime sends the listener
  // fd to an agent on this UNIX socket) is not implemented: refuse rather
  // than run a container whose NOTIFY rules nobody answers.
  if (profile.listenerPath !== undefined) throw new InvalidArgumentError(`linux.seccomp.listenerPath: ${JSON.stringify(profile.listenerPath)}: tsctr does not support seccomp notify agents (SCMP_ACT_NOTIFY)`);
  if (profile.listenerMetadata !== undefined) throw new InvalidArgumentError('linux.seccomp.listenerMetadata: set without a listenerPath; tsctr does not support seccomp notify agents');
  checkShape(profile);
  const defaultRet = encodeAction(profile.defaultAction, profile.defaultErrnoRet, 'linux.seccomp.defaultAction');
  // The native architecture is always filtered, listed or not (libseccomp's
  // seccomp_init() starts with it; runc adds the listed ones to it).
  const arches = new Set<CompiledArch>([opts.arch ?? nativeArch()]);
  (profile.architectures ?? []).forEach((a, i) => {
    const m = Object.hasOwn(SPEC_ARCH, a) ? SPEC_ARCH[a] : undefined;
    if (m) arches.add(m);
    else if (OTHER_SPEC_ARCHES.has(a)) warnings.push(`linux.seccomp.architectures: ${a} has no syscall table here; its system calls are refused (bad architecture)`);
    else throw new InvalidArgumentError(`linux.seccomp.architectures[${i}]: unknown architecture ${JSON.stringify(a)}`);
  });

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
  // Names our tables lack may still be numbered by the resolver.
  const resolved = new Map<string, Partial<Record<CompiledArch, number>>>();
  for (const n of byName.keys()) {
    if (isKnownSyscall(n) || !opts.resolve) continue;
    const nrs: Partial<Record<CompiledArch, number>> = {};
    for (const a of arches) {
      const nr = opts.resolve(a, n);
      if (nr !== undefined && Number.isInteger(nr) && nr >= 0 && nr < X32_SYSCALL_BIT) nrs[a] = nr;
    }
    if (Object.keys(nrs).length) resolved.set(n, nrs);
  }
  const lookup = (a: CompiledArch, name: string) => syscallNumber(a, name) ?? resolved.get(name)?.[a];
  const unknown = [...byName.keys()].filter((n) => !isKnownSyscall(n) && !resolved.has(n));
  if (unknown.length) {
    const shown = unknown.slice(0, 10).map((n) => (/^[a-z0-9_]{1,64}$/.test(n) ? n : JSON.stringify(n.slice(0, 64))));
    const more = unknown.length > shown.length ? ` and ${unknown.length - shown.length} more` : '';
    warnings.push(`linux.seccomp: ${unknown.length} system call name(s) unknown on every architecture, skipped: ${shown.join(', ')}${more}`);
  }
  const stub = !['SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_TRACE'].includes(profile.defaultAction) && defaultRet !== ((SECCOMP_RET.ERRNO | ENOSYS) >>> 0);
  const enosysAbove: Partial<Record<CompiledArch, number>> = {};
  const abi = (a: CompiledArch) => {
    const r = compileAbi(a, byName, lookup, defaultRet, stub);
    if (r.max !== undefined) enosysAbove[a] = r.max;
    return r.insns;
  };

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
      if (arches.has('x86_64')) prog.push(...abi('x86_64'));
      else prog.push({ code: BPF.RET_K, k: SECCOMP_RET.KILL_PROCESS });
      if (arches.has('x32')) prog.push({ label: 'abi_x32' }, ...abi('x32'));
    } else prog.push(...abi(a));
  }
  const instructions = assemble(prog);
  // BPF_MAXINSNS (linux/bpf_common.h)
  if (instructions.length > 4096) throw new InvalidArgumentError(`linux.seccomp: the filter needs ${instructions.length} instructions, more than the kernel's 4096`);
  return { filter: encodeFilter(instructions), instructions, unknownSyscalls: unknown, enosysAbove, warnings };
}

/** The SCMP_ARCH_* names compileSeccomp has a table for. */
export function compiledSpecArches(): string[] {
  return Object.keys(SPEC_ARCH);
}

/** A name some architecture has (ours, or one we compile no table for). */
export function isKnownSyscall(name: string): boolean {
  // hasOwn: a profile naming "toString" or "__proto__" must not find Object.prototype.
  return SYSCALLS_ELSEWHERE.has(name) || Object.values(ABIS).some((a) => Object.hasOwn(a.table, name));
}

/** The number of name on arch, or undefined when that arch lacks it. */
export function syscallNumber(arch: CompiledArch, name: string): number | undefined {
  return Object.hasOwn(ABIS[arch].table, name) ? ABIS[arch].table[name] : undefined;
}

/** One ABI's chain: the ENOSYS stub, per system call number in order its rules, then the default. A holds nr. */
function compileAbi(a: CompiledArch, byName: Map<string, Rule[]>, lookup: (a: CompiledArch, name: string) => number | undefined, defaultRet: number, stub: boolean): { insns: Insn[]; max?: number } {
  // Rules by number: two names of one number (aliases) share a block.
  const { bit } = ABIS[a];
  const byNr = new Map<number, Rule[]>();
  for (const [name, rules] of byName) {
    const nr = lookup(a, name);
    if (nr === undefined) continue;
    byNr.set(nr, [...(byNr.get(nr) ?? []), ...rules]);
  }
  const nrs = [...byNr.keys()].sort((x, y) => x - y);
  const out: Insn[] = [];
  let max: number | undefined;
  if (stub && nrs.length) {
    const s = compileStub(a, nrs, bit);
    out.push(...s.insns);
    max = s.bound;
  }
  // Calls whose first rule is unconditional return its action whatever the
  // arguments: a run of them with one action shares one ret (and adjacent
  // numbers one range check), as libseccomp shares its returns. Up to 64
  // numbers a group keeps every jump to the ret within BPF's 255.
  const plain = (nr: number) => { const r = byNr.get(nr)!; return r[0]!.args.length === 0 ? r[0]!.ret : undefined; };
  for (let i = 0; i < nrs.length;) {
    const ret = plain(nrs[i]!);
    let j = i + 1;
    while (ret !== undefined && j < nrs.length && j - i < 64 && plain(nrs[j]!) === ret) j++;
    if (j - i < 2) out.push(...compileSyscall(`${a}_${nrs[i]}`, (nrs[i]! | bit) >>> 0, byNr.get(nrs[i]!)!, defaultRet));
    else out.push(...compileGroup(`${a}_g${nrs[i]}`, nrs.slice(i, j), bit, ret!));
    i = j;
  }
  out.push({ code: BPF.RET_K, k: defaultRet });
  return { insns: out, max };
}

/** Sorted numbers that all return ret: jeq (or, for adjacent numbers, a range) → one shared ret; else fall through. */
function compileGroup(id: string, nrs: number[], bit: number, ret: number): Insn[] {
  const out: Insn[] = [];
  const hit = `${id}_ret`;
  for (let i = 0; i < nrs.length;) {
    let j = i;
    while (j + 1 < nrs.length && nrs[j + 1] === nrs[j]! + 1) j++;
    if (j - i >= 2) {
      // lo <= A <= hi: jge lo (else skip the jgt), jgt hi (else the ret).
      out.push({ code: BPF.JMP_JGE_K, k: (nrs[i]! | bit) >>> 0, jt: 0, jf: 1 }, { code: BPF.JMP_JGT_K, k: (nrs[j]! | bit) >>> 0, jt: 0, jf: hit });
    } else {
      j = i;
      out.push({ code: BPF.JMP_JEQ_K, k: (nrs[i]! | bit) >>> 0, jt: hit, jf: 0 });
    }
    i = j + 1;
  }
  out.push(jumpTo(`${id}_end`), { label: hit }, { code: BPF.RET_K, k: ret }, { label: `${id}_end` });
  return out;
}

// x32's legacy numbers (syscall_64.tbl: 512-547, x32-only variants of older
// calls); new system calls are numbered below them, then from 548.
const X32_LEGACY = { first: 512, last: 547 } as const;

/**
 * ENOSYS above the highest number named (A holds nr; unsigned compares, and on
 * x32 both sides carry the x32 bit). On x32 a profile naming e.g.
 * rt_sigaction (512) would otherwise lift the bound above every new call, so
 * there the bound is the highest number named outside 512-547, and 512-547
 * go on to the rules. Below the bound, numbers no kernel assigns on this ABI
 * (x86_64 337-423, x32's 64-bit-only numbers) get ENOSYS too, as without a
 * filter; runc's stub gives them the default action.
 */
function compileStub(a: CompiledArch, nrs: number[], bit: number): { insns: Insn[]; bound: number } {
  const k = (n: number) => (n | bit) >>> 0;
  const [enosys, holes, rules] = [`${a}_enosys`, `${a}_holes`, `${a}_rules`];
  const max = nrs[nrs.length - 1]!;
  const low = nrs.filter((n) => n < X32_LEGACY.first);
  const legacy = a === 'x32' && max >= X32_LEGACY.first && max <= X32_LEGACY.last && low.length > 0;
  const bound = legacy ? low[low.length - 1]! : max;
  const out: Insn[] = legacy
    ? [
      { code: BPF.JMP_JGT_K, k: k(bound), jt: 0, jf: holes },
      { code: BPF.JMP_JGE_K, k: k(X32_LEGACY.first), jt: 0, jf: enosys },
      { code: BPF.JMP_JGT_K, k: k(X32_LEGACY.last), jt: enosys, jf: rules },
      { label: holes },
    ]
    : [{ code: BPF.JMP_JGT_K, k: k(bound), jt: enosys, jf: 0 }];
  // Unassigned ranges up to the bound: neither in the table nor named (a
  // name the resolver numbered may sit in one).
  const used = new Set([...Object.values(ABIS[a].table), ...nrs]);
  for (let n = 0; n <= bound; n++) {
    if (used.has(n)) continue;
    let hi = n;
    while (hi + 1 <= bound && !used.has(hi + 1)) hi++;
    out.push({ code: BPF.JMP_JGE_K, k: k(n), jt: 0, jf: 1 }, { code: BPF.JMP_JGT_K, k: k(hi), jt: 0, jf: enosys });
    n = hi;
  }
  out.push(jumpTo(rules), { label: enosys }, { code: BPF.RET_K, k: (SECCOMP_RET.ERRNO | ENOSYS) >>> 0 }, { label: rules });
  return { insns: out, bound };
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
  if (typeof v !== 'bigint' && !Number.isSafeInteger(v)) throw new InvalidArgumentError(`linux.seccomp: argument value ${JSON.stringify(v)} is not an integer (a JSON number above 2^53 loses precision)`);
  const b = BigInt.asUintN(64, BigInt(v));
  return [Number(b >> 32n), Number(b & 0xffffffffn)];
}

/**
 * One 64-bit argument comparison, done on the high then the low word
 * (libseccomp's way on 64-bit arches). Falls through when it holds, jumps
 * to fail when not.
 */
function compileArg(a: SeccompArg, fail: string, id: string): Insn[] {
  // seccomp_data has six arguments; a load beyond it makes the kernel refuse the whole filter.
  if (!Number.isInteger(a.index) || a.index < 0 || a.index > 5) throw new InvalidArgumentError(`linux.seccomp: argument index ${JSON.stringify(a.index)} is not 0 to 5`);
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
