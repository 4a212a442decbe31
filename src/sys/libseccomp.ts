// libseccomp's name tables through ffi-rs, loaded on first use (the table
// tests, and a profile naming a call the tables lack): nothing else pays for
// ffi-rs or dlopen, so this file requires ffi-rs (CommonJS) only when called.
// tsctr compiles its filters itself (src/runtime/seccomp/compile.ts); this
// is the maintained reference its syscall tables are checked against.
import { createRequire } from 'node:module';
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
}

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
  });
  // const struct scmp_version { unsigned int major, minor, micro; } *
  const v = createExternalBuffer(f.seccomp_version([]) as JsExternal, 12);
  const lib: LibSeccomp = {
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
