// Classic BPF as seccomp(2) runs it: struct sock_filter (linux/filter.h),
// the seccomp_data layout it reads, and a tiny assembler with labels.

/** struct sock_filter { __u16 code; __u8 jt; __u8 jf; __u32 k; } */
export interface SockFilter {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

export const BPF = {
  LD_W_ABS: 0x20, // A = *(u32 *)(data + k)
  JMP_JA: 0x05, // pc += k
  JMP_JEQ_K: 0x15, // pc += (A == k) ? jt : jf
  JMP_JGT_K: 0x25,
  JMP_JGE_K: 0x35,
  JMP_JSET_K: 0x45,
  ALU_AND_K: 0x54, // A &= k
  RET_K: 0x06, // return k
} as const;

/** Offsets in struct seccomp_data (linux/seccomp.h); args are u64, little-endian on x86_64 and aarch64. */
export const SECCOMP_DATA = {
  nr: 0,
  arch: 4,
  argLo: (i: number) => 16 + 8 * i,
  argHi: (i: number) => 16 + 8 * i + 4,
} as const;

export const SECCOMP_RET = {
  KILL_PROCESS: 0x80000000,
  KILL_THREAD: 0x00000000,
  TRAP: 0x00030000,
  ERRNO: 0x00050000,
  USER_NOTIF: 0x7fc00000,
  TRACE: 0x7ff00000,
  LOG: 0x7ffc0000,
  ALLOW: 0x7fff0000,
  ACTION_FULL: 0xffff0000,
  DATA: 0x0000ffff,
} as const;

/** A jump target: a relative count, or a label resolved by assemble(). */
export type Target = number | string;
export type Insn =
  | { code: number; k: number; jt?: Target; jf?: Target }
  | { label: string };

/** Resolves labels into relative offsets; conditional jumps must stay within 255 instructions. */
export function assemble(insns: Insn[]): SockFilter[] {
  const at = new Map<string, number>();
  const real: { code: number; k: number; jt: Target; jf: Target }[] = [];
  for (const i of insns) {
    if ('label' in i) {
      if (at.has(i.label)) throw new Error(`bpf: duplicate label ${i.label}`);
      at.set(i.label, real.length);
    } else real.push({ code: i.code, k: i.k, jt: i.jt ?? 0, jf: i.jf ?? 0 });
  }
  const rel = (pc: number, t: Target, wide: boolean) => {
    if (typeof t === 'number') return t;
    const dest = at.get(t);
    if (dest === undefined) throw new Error(`bpf: undefined label ${t}`);
    const off = dest - pc - 1;
    if (off < 0 || (!wide && off > 255)) throw new Error(`bpf: jump from ${pc} to ${t} (${off}) out of range`);
    return off;
  };
  return real.map((r, pc) => {
    // BPF_JA takes its (32-bit) offset in k; jumpTo() puts the label in jt.
    if (r.code === BPF.JMP_JA) return { code: r.code, jt: 0, jf: 0, k: typeof r.jt === 'string' ? rel(pc, r.jt, true) : r.k };
    return { code: r.code, k: r.k >>> 0, jt: rel(pc, r.jt, false), jf: rel(pc, r.jf, false) };
  });
}

/** An unconditional jump to a label (32-bit offset). */
export function jumpTo(label: string): Insn {
  return { code: BPF.JMP_JA, k: 0, jt: label, jf: 0 };
}

export function encodeFilter(prog: SockFilter[]): Buffer {
  const b = Buffer.alloc(prog.length * 8);
  prog.forEach((p, i) => {
    b.writeUInt16LE(p.code, i * 8);
    b.writeUInt8(p.jt, i * 8 + 2);
    b.writeUInt8(p.jf, i * 8 + 3);
    b.writeUInt32LE(p.k >>> 0, i * 8 + 4);
  });
  return b;
}

export function decodeFilter(b: Buffer): SockFilter[] {
  const out: SockFilter[] = [];
  for (let i = 0; i + 8 <= b.length; i += 8) out.push({ code: b.readUInt16LE(i), jt: b.readUInt8(i + 2), jf: b.readUInt8(i + 3), k: b.readUInt32LE(i + 4) });
  return out;
}
