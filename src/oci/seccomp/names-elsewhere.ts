// System call names that exist only on architectures tsctr compiles no table
// for (arm, m68k, mips, parisc, powerpc, riscv64, s390, sh). Profiles written
// for many architectures (Docker's default.json) name them; on x86 and arm64
// they are skipped silently, as libseccomp does, rather than reported as
// unknown. From the kernels' syscall tables; the unit test
// test/unit/oci/seccomp/tables.test.ts checks that every name the system
// libseccomp knows is here or in one of the compiled tables.
export const SYSCALLS_ELSEWHERE: ReadonlySet<string> = new Set(`
arm_fadvise64_64 arm_sync_file_range atomic_barrier atomic_cmpxchg_32 breakpoint cachectl cacheflush
getpagesize get_tls multiplexer pciconfig_iobase pciconfig_read pciconfig_write recv riscv_flush_icache
riscv_hwprobe rtas s390_guarded_storage s390_pci_mmio_read s390_pci_mmio_write s390_runtime_instr
s390_sthyi send set_tls spu_create spu_run subpage_prot swapcontext switch_endian sync_file_range2
syscall sys_debug_setcontext sysmips timerfd usr26 usr32
`.trim().split(/\s+/));
