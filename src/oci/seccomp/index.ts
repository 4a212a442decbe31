export { compileSeccomp, encodeAction, nativeArch, AUDIT_ARCH, X32_SYSCALL_BIT, type CompiledSeccomp, type CompiledArch } from './compile.js';
export { defaultSeccompProfile } from './default-profile.js';
export { seccompFeatures, type SeccompFeatures } from './features.js';
export { assemble, encodeFilter, decodeFilter, BPF, SECCOMP_DATA, SECCOMP_RET, type SockFilter } from './bpf.js';
export { SYSCALLS_X86_64 } from './syscalls-x86_64.js';
export { SYSCALLS_AARCH64 } from './syscalls-aarch64.js';
export { SYSCALLS_I386 } from './syscalls-i386.js';
export { SYSCALLS_X32 } from './syscalls-x32.js';
