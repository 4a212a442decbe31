// A classic-BPF interpreter for the subset seccomp accepts: the seccomp unit
// tests run compiled filters through it instead of loading them.
import { AUDIT_ARCH } from '../../../../src/oci/seccomp/compile.js';
import { BPF, type SockFilter } from '../../../../src/oci/seccomp/bpf.js';

/**
 * A classic-BPF interpreter for the subset seccomp accepts, over struct
 * seccomp_data { int nr; u32 arch; u64 ip; u64 args[6]; } (little-endian).
 * Returns the SECCOMP_RET_* value.
 */
export function runBpf(prog: SockFilter[], nr: number, args: bigint[] = [], arch: number = AUDIT_ARCH.X86_64): number {
  return evalBpf(prog, nr, args, arch).ret;
}

/** runBpf, also counting the instructions executed (for bench/seccomp.ts). */
export function evalBpf(prog: SockFilter[], nr: number, args: bigint[] = [], arch: number = AUDIT_ARCH.X86_64): { ret: number; steps: number } {
  const data = Buffer.alloc(64);
  data.writeInt32LE(nr | 0, 0);
  data.writeUInt32LE(arch, 4);
  args.forEach((a, i) => data.writeBigUInt64LE(BigInt.asUintN(64, a), 16 + 8 * i));
  let A = 0;
  for (let pc = 0, steps = 0; pc < prog.length; pc++, steps++) {
    if (steps > 10000) throw new Error('runaway program');
    const { code, jt, jf, k } = prog[pc]!;
    switch (code) {
      case BPF.LD_W_ABS:
        if (k % 4 !== 0 || k + 4 > 64) throw new Error(`bad load offset ${k}`);
        A = data.readUInt32LE(k);
        break;
      case BPF.ALU_AND_K: A = (A & k) >>> 0; break;
      case BPF.JMP_JA: pc += k; break;
      case BPF.JMP_JEQ_K: pc += A === k ? jt : jf; break;
      case BPF.JMP_JGT_K: pc += A > k ? jt : jf; break;
      case BPF.JMP_JGE_K: pc += A >= k ? jt : jf; break;
      case BPF.JMP_JSET_K: pc += (A & k) !== 0 ? jt : jf; break;
      case BPF.RET_K: return { ret: k >>> 0, steps: steps + 1 };
      default: throw new Error(`unknown opcode 0x${code.toString(16)} at ${pc}`);
    }
  }
  throw new Error('fell off the end of the program');
}

