// The device list (device-rules.ts) → a BPF_PROG_TYPE_CGROUP_DEVICE program,
// the cgroup v2 form of the v1 devices controller. The kernel runs it on
// every open/mknod of a device node by a process in the cgroup, with
//   struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }
// access_type = type (BPF_DEVCG_DEV_BLOCK 1 / CHAR 2) | access << 16
// (BPF_DEVCG_ACC_MKNOD 1 / READ 2 / WRITE 4); returning 0 refuses (EPERM).
// The shape is runc's devicefilter (after crun's ebpf.c): load the fields into
// r2..r5, then one block per exception that jumps to the next block on any
// mismatch and otherwise returns the exception's verdict; the last block
// returns the default. Pure: table-tested in test/unit/oci/cgroups.
import { formatException, resolveDeviceRules, type DeviceException } from './device-rules.js';
import type { DeviceCgroupRule } from '../spec/types.js';

/** Opcodes used (linux/bpf_common.h, linux/bpf.h). */
export const OP = {
  LDXW: 0x61, // BPF_LDX | BPF_MEM | BPF_W
  AND32_K: 0x54, // BPF_ALU | BPF_AND | BPF_K
  RSH32_K: 0x74, // BPF_ALU | BPF_RSH | BPF_K
  MOV32_K: 0xb4, // BPF_ALU | BPF_MOV | BPF_K
  MOV32_X: 0xbc, // BPF_ALU | BPF_MOV | BPF_X
  JNE_K: 0x55, // BPF_JMP | BPF_JNE | BPF_K
  JNE_X: 0x5d, // BPF_JMP | BPF_JNE | BPF_X
  EXIT: 0x95, // BPF_JMP | BPF_EXIT
} as const;

export const BPF_DEVCG_DEV = { b: 1, c: 2 } as const;
export const BPF_DEVCG_ACC = { m: 1, r: 2, w: 4 } as const;

export interface BpfInsn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
  /** Shown in the listing: the block this instruction starts, or a jump's target block. */
  label?: string;
  target?: string;
  comment?: string;
}

export interface DeviceFilter {
  insns: BpfInsn[];
  /** struct bpf_insn[] as the kernel takes it (8 bytes each, little-endian). */
  bytecode: Buffer;
  /** "Apache": the kernel's MODULE_LICENSE spelling; runc uses the same. */
  license: string;
  defaultAllow: boolean;
  exceptions: DeviceException[];
}

const insn = (code: number, dst: number, src: number, off: number, imm: number, extra: Partial<BpfInsn> = {}): BpfInsn => ({ code, dst, src, off, imm, ...extra });

export function compileDeviceFilter(rules: readonly DeviceCgroupRule[]): DeviceFilter {
  const { defaultAllow, exceptions } = resolveDeviceRules(rules);
  const out: BpfInsn[] = [
    insn(OP.LDXW, 2, 1, 0, 0, { comment: 'access_type' }),
    insn(OP.AND32_K, 2, 0, 0, 0xffff, { comment: 'r2 = device type' }),
    insn(OP.LDXW, 3, 1, 0, 0),
    insn(OP.RSH32_K, 3, 0, 0, 16, { comment: 'r3 = requested access' }),
    insn(OP.LDXW, 4, 1, 4, 0, { comment: 'r4 = major' }),
    insn(OP.LDXW, 5, 1, 8, 0, { comment: 'r5 = minor' }),
  ];
  // Each exception's verdict is the opposite of the default (the list holds only those).
  const verdict = defaultAllow ? 0 : 1;
  const blockStarts: number[] = [];
  const jumps: { at: number; block: number }[] = [];
  exceptions.forEach((e, i) => {
    blockStarts.push(out.length);
    const next = i + 1;
    const jne = (code: number, dst: number, src: number, imm: number, comment?: string) => {
      jumps.push({ at: out.length, block: next });
      out.push(insn(code, dst, src, 0, imm, { comment }));
    };
    jne(OP.JNE_K, 2, 0, BPF_DEVCG_DEV[e.type], `${defaultAllow ? 'deny' : 'allow'} ${formatException(e)}`);
    const mask = [...e.access].reduce((m, a) => m | BPF_DEVCG_ACC[a as 'r' | 'w' | 'm'], 0);
    if (mask !== 7) {
      // Every requested access bit must be in the rule: (r3 & mask) == r3.
      out.push(insn(OP.MOV32_X, 1, 3, 0, 0));
      out.push(insn(OP.AND32_K, 1, 0, 0, mask));
      jne(OP.JNE_X, 1, 3, 0);
    }
    if (e.major >= 0) jne(OP.JNE_K, 4, 0, e.major);
    if (e.minor >= 0) jne(OP.JNE_K, 5, 0, e.minor);
    out.push(insn(OP.MOV32_K, 0, 0, 0, verdict), insn(OP.EXIT, 0, 0, 0, 0));
  });
  blockStarts.push(out.length);
  out.push(insn(OP.MOV32_K, 0, 0, 0, defaultAllow ? 1 : 0, { comment: defaultAllow ? 'default: allow' : 'default: deny' }), insn(OP.EXIT, 0, 0, 0, 0));
  blockStarts.forEach((at, i) => { out[at]!.label = `block-${i}`; });
  for (const j of jumps) {
    out[j.at]!.off = blockStarts[j.block]! - (j.at + 1);
    out[j.at]!.target = `block-${j.block}`;
  }
  return { insns: out, bytecode: encodeInsns(out), license: 'Apache', defaultAllow, exceptions };
}

export function encodeInsns(insns: readonly BpfInsn[]): Buffer {
  const b = Buffer.alloc(insns.length * 8);
  insns.forEach((x, i) => {
    b.writeUInt8(x.code, i * 8);
    b.writeUInt8((x.src << 4) | x.dst, i * 8 + 1);
    b.writeInt16LE(x.off, i * 8 + 2);
    b.writeInt32LE(x.imm, i * 8 + 4);
  });
  return b;
}

/** A readable listing (bpftool's C-like notation), for --trace and tests. */
export function formatDeviceFilter(f: Pick<DeviceFilter, 'insns'>): string {
  const hex = (n: number) => (n > 9 ? `0x${n.toString(16)}` : String(n));
  const text = (x: BpfInsn): string => {
    switch (x.code) {
      case OP.LDXW: return `r${x.dst} = *(u32 *)(r${x.src} + ${x.off})`;
      case OP.AND32_K: return `w${x.dst} &= ${hex(x.imm)}`;
      case OP.RSH32_K: return `w${x.dst} >>= ${x.imm}`;
      case OP.MOV32_K: return `w${x.dst} = ${x.imm}`;
      case OP.MOV32_X: return `w${x.dst} = w${x.src}`;
      case OP.JNE_K: return `if r${x.dst} != ${x.imm} goto +${x.off} <${x.target}>`;
      case OP.JNE_X: return `if r${x.dst} != r${x.src} goto +${x.off} <${x.target}>`;
      case OP.EXIT: return 'exit';
      default: return `code 0x${x.code.toString(16)}`;
    }
  };
  const lines: string[] = [];
  f.insns.forEach((x, i) => {
    if (x.label) lines.push(`${x.label}:`);
    const t = `${String(i).padStart(4)}: ${text(x)}`;
    lines.push(x.comment ? `${t.padEnd(44)} ; ${x.comment}` : t);
  });
  return lines.join('\n');
}

/** What the program decides for one access, by interpreting it (tests check the bytecode against the list this way). */
export function runDeviceFilter(f: Pick<DeviceFilter, 'insns'>, type: 'b' | 'c', major: number, minor: number, access: string): boolean {
  const acc = [...access].reduce((m, a) => m | BPF_DEVCG_ACC[a as 'r' | 'w' | 'm'], 0);
  const ctx = [BPF_DEVCG_DEV[type] | (acc << 16), major, minor];
  const r = new Array<number>(11).fill(0);
  for (let pc = 0; pc < f.insns.length; pc++) {
    const x = f.insns[pc]!;
    switch (x.code) {
      case OP.LDXW: r[x.dst] = ctx[x.off / 4]! >>> 0; break;
      case OP.AND32_K: r[x.dst] = (r[x.dst]! & x.imm) >>> 0; break;
      case OP.RSH32_K: r[x.dst] = r[x.dst]! >>> x.imm; break;
      case OP.MOV32_K: r[x.dst] = x.imm >>> 0; break;
      case OP.MOV32_X: r[x.dst] = r[x.src]! >>> 0; break;
      case OP.JNE_K: if (r[x.dst] !== x.imm) pc += x.off; break;
      case OP.JNE_X: if (r[x.dst] !== r[x.src]) pc += x.off; break;
      case OP.EXIT: return r[0] !== 0;
      default: throw new Error(`unknown opcode 0x${x.code.toString(16)}`);
    }
  }
  throw new Error('program ran off its end'); // jumps only go forward, so it always ends
}
