// The system libseccomp as a second source of system call numbers, for names
// the tables here lack (a libseccomp newer than tsctr). Loaded only when a
// profile names such a call: the default profile never does, so `run
// --seccomp` does not dlopen it.
import { loadLibseccomp } from '../../sys/libseccomp.js';
import { X32_SYSCALL_BIT, type CompiledArch, type SyscallResolver } from './compile.js';

const SCMP_ARCH: Record<CompiledArch, string> = { x86_64: 'x86_64', x86: 'x86', x32: 'x32', aarch64: 'aarch64' };

export const resolveWithLibseccomp: SyscallResolver = (arch, name) => {
  const lib = loadLibseccomp();
  const token = lib?.archToken(SCMP_ARCH[arch]);
  if (!lib || token === undefined) return undefined;
  const nr = lib.resolveName(token, name);
  // Negative: libseccomp knows the name, this architecture lacks it. x32 numbers carry the x32 bit.
  if (nr === undefined || nr < 0) return undefined;
  return arch === 'x32' ? (nr & ~X32_SYSCALL_BIT) >>> 0 : nr;
};
