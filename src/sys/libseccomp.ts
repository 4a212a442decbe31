// libseccomp's name tables through ffi-rs, loaded on first use (the table
// tests, and a profile naming a call the tables lack): nothing else pays for
// ffi-rs or dlopen, so this file requires ffi-rs (CommonJS) only when called.
// tsctr compiles its filters itself (src/oci/seccomp/compile.ts); this
// is the maintained reference its syscall tables are checked against.
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as FfiRs from 'ffi-rs';
import type { JsExternal } from 'ffi-rs';

export interface LibSeccomp {
  /** "2.5.4" */
  version: string;
  /** seccomp_arch_resolve_name: the SCMP_ARCH_* token (an AUDIT_ARCH_* value, or x32's own), or undefined. */
  archToken(name: string): number | undefined;
  /**
   * seccomp_syscall_resolve_name_arch: the number (x32 numbers carry the x32
   * bit), a negative pseudo number when libseccomp knows the name but the
   * architecture lacks it, or undefined when libseccomp does not know it.
   */
  resolveName(arch: number, name: string): number | undefined;
  /** seccomp_syscall_resolve_num_arch: the name of nr on arch, or undefined. */
  resolveNum(arch: number, nr: number): string | undefined;
  /**
   * libseccomp's own compiler, as a peer for bench/seccomp.ts: seccomp_init,
   * seccomp_arch_add, seccomp_rule_add_array per rule, seccomp_export_bpf.
   * Returns the sock_filter program (8 bytes an instruction).
   */
  exportFilter(defaultAction: number, arches: number[], rules: LibseccompRule[]): Buffer;
}

/** A rule for libseccomp: SCMP_ACT_* value, a name, and comparisons (op: SCMP_CMP_NE=1 … MASKED_EQ=7). */
export interface LibseccompRule { action: number; name: string; args: { arg: number; op: number; a: bigint; b: bigint }[] }

const NR_SCMP_ERROR = -1;

let loaded: LibSeccomp | null | undefined;

/** The system libseccomp (libseccomp.so.2), or undefined when it cannot be loaded. */
export function loadLibseccomp(path = 'libseccomp.so.2'): LibSeccomp | undefined {
  if (loaded !== undefined) return loaded ?? undefined;
  const { DataType, createExternalBuffer, define, isNullPointer, open } = createRequire(import.meta.url)('ffi-rs') as typeof FfiRs;
  try {
    open({ library: 'libseccomp', path });
    open({ library: 'libc_for_seccomp', path: '' });
  } catch {
    loaded = null;
    return undefined;
  }
  const S = DataType.String;
  const U32 = DataType.U32;
  const I32 = DataType.I32;
  const PTR = DataType.External;
  const f = define({
    seccomp_version: { library: 'libseccomp', retType: PTR, paramsType: [] },
    seccomp_arch_resolve_name: { library: 'libseccomp', retType: U32, paramsType: [S] },
    seccomp_syscall_resolve_name_arch: { library: 'libseccomp', retType: I32, paramsType: [U32, S] },
    seccomp_syscall_resolve_num_arch: { library: 'libseccomp', retType: PTR, paramsType: [U32, I32] },
    strlen: { library: 'libc_for_seccomp', retType: DataType.I64, paramsType: [PTR] },
    free: { library: 'libc_for_seccomp', retType: DataType.Void, paramsType: [PTR] },
    seccomp_init: { library: 'libseccomp', retType: PTR, paramsType: [U32] },
    seccomp_release: { library: 'libseccomp', retType: DataType.Void, paramsType: [PTR] },
    seccomp_arch_add: { library: 'libseccomp', retType: I32, paramsType: [PTR, U32] },
    seccomp_syscall_resolve_name: { library: 'libseccomp', retType: I32, paramsType: [S] },
    seccomp_rule_add_array: { library: 'libseccomp', retType: I32, paramsType: [PTR, U32, I32, U32, DataType.U8Array] },
    seccomp_export_bpf: { library: 'libseccomp', retType: I32, paramsType: [PTR, I32] },
  });
  // const struct scmp_version { unsigned int major, minor, micro; } *
  const v = createExternalBuffer(f.seccomp_version([]) as JsExternal, 12);
  const exportFilter = (defaultAction: number, arches: number[], rules: LibseccompRule[]): Buffer => {
    const ctx = f.seccomp_init([defaultAction >>> 0]) as JsExternal;
    if (isNullPointer(ctx)) throw new Error('seccomp_init failed');
    const tmp = mkdtempSync(join(tmpdir(), 'tsctr-libseccomp-'));
    try {
      for (const a of arches) {
        const r = f.seccomp_arch_add([ctx, a >>> 0]) as number;
        if (r < 0 && r !== -17 /* EEXIST: the native arch */) throw new Error(`seccomp_arch_add ${a.toString(16)}: ${r}`);
      }
      for (const rule of rules) {
        const nr = f.seccomp_syscall_resolve_name([rule.name]) as number;
        if (nr === NR_SCMP_ERROR) continue;
        // struct scmp_arg_cmp { unsigned int arg; enum scmp_compare op; scmp_datum_t datum_a, datum_b; }
        const b = Buffer.alloc(Math.max(1, rule.args.length) * 24);
        rule.args.forEach((c, i) => { b.writeUInt32LE(c.arg, i * 24); b.writeUInt32LE(c.op, i * 24 + 4); b.writeBigUInt64LE(c.a, i * 24 + 8); b.writeBigUInt64LE(c.b, i * 24 + 16); });
        const r = f.seccomp_rule_add_array([ctx, rule.action >>> 0, nr, rule.args.length, b]) as number;
        // EEXIST/EACCES: a rule libseccomp merged or one equal to the default action.
        if (r < 0 && r !== -17 && r !== -13) throw new Error(`seccomp_rule_add ${rule.name}: ${r}`);
      }
      const path = join(tmp, 'bpf');
      const fd = openSync(path, 'w');
      try {
        const r = f.seccomp_export_bpf([ctx, fd]) as number;
        if (r < 0) throw new Error(`seccomp_export_bpf: ${r}`);
      } finally { closeSync(fd); }
      return readFileSync(path);
    } finally {
      f.seccomp_release([ctx]);
      rmSync(tmp, { recursive: true, force: true });
    }
  };
  const lib: LibSeccomp = {
    exportFilter,
    version: `${v.readUInt32LE(0)}.${v.readUInt32LE(4)}.${v.readUInt32LE(8)}`,
    archToken(name) {
      const t = f.seccomp_arch_resolve_name([name]) as number;
      return t === 0 ? undefined : t >>> 0;
    },
    resolveName(arch, name) {
      const nr = f.seccomp_syscall_resolve_name_arch([arch >>> 0, name]) as number;
      return nr === NR_SCMP_ERROR ? undefined : nr;
    },
    resolveNum(arch, nr) {
      const p = f.seccomp_syscall_resolve_num_arch([arch >>> 0, nr | 0]) as JsExternal;
      if (isNullPointer(p)) return undefined;
      // The string is strdup'ed for the caller, who frees it.
      const name = createExternalBuffer(p, Number(f.strlen([p]))).toString('latin1');
      f.free([p]);
      return name;
    },
  };
  loaded = lib;
  return lib;
}
