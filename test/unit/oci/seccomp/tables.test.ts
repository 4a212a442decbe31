// The syscall tables: complete up to the newest system call (no gap but the
// kernel's own unassigned ranges), and in agreement with the system
// libseccomp for every name it knows, so drift is caught when either moves.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isKnownSyscall, X32_SYSCALL_BIT } from '../../../../src/oci/seccomp/compile.js';
import { SYSCALLS_ELSEWHERE } from '../../../../src/oci/seccomp/names-elsewhere.js';
import { SYSCALLS_AARCH64 } from '../../../../src/oci/seccomp/syscalls-aarch64.js';
import { SYSCALLS_I386 } from '../../../../src/oci/seccomp/syscalls-i386.js';
import { SYSCALLS_X32 } from '../../../../src/oci/seccomp/syscalls-x32.js';
import { SYSCALLS_X86_64 } from '../../../../src/oci/seccomp/syscalls-x86_64.js';
import { loadLibseccomp } from '../../../../src/sys/libseccomp.js';

interface Table { name: string; scmp: string; table: Readonly<Record<string, number>>; bit: number; holes: string }
// The kernel's unassigned numbers (x86_64 335-423 were left for i386
// parity; x32 lacks the 64-bit-only numbers; arm64 lacks the 32-bit time64 calls).
const TABLES: Table[] = [
  { name: 'x86_64', scmp: 'x86_64', table: SYSCALLS_X86_64, bit: 0, holes: '337-423' },
  { name: 'i386', scmp: 'x86', table: SYSCALLS_I386, bit: 0, holes: '222-223 251 285 387-392 415' },
  { name: 'x32', scmp: 'x32', table: SYSCALLS_X32, bit: X32_SYSCALL_BIT, holes: '13 15-16 19-20 45-47 54-55 59 101 127-129 131 134 156 174 177-178 180 205-206 209 211 214-215 222 236 244 246-247 273-274 278-279 295-297 299 307 310-311 322 327-328 335-423 453 472-511' },
  { name: 'aarch64', scmp: 'aarch64', table: SYSCALLS_AARCH64, bit: 0, holes: '244-259 295-423' },
];
// The newest system call every table knows (rseq_slice_yield).
const NEWEST = 471;

function holesOf(t: Readonly<Record<string, number>>): string {
  const used = new Set(Object.values(t));
  const max = Math.max(...used);
  const out: string[] = [];
  for (let i = 0, start = -1; i <= max + 1; i++) {
    if (!used.has(i) && start < 0) start = i;
    if (used.has(i) && start >= 0) { out.push(start === i - 1 ? `${start}` : `${start}-${i - 1}`); start = -1; }
  }
  return out.join(' ');
}

test('every table reaches the newest system call, has no gap but the kernel\'s, and no number twice', () => {
  for (const { name, table, holes } of TABLES) {
    const nrs = Object.values(table);
    assert.is(new Set(nrs).size, nrs.length, `${name}: a number appears twice`);
    assert.ok(nrs.every((n) => Number.isInteger(n) && n >= 0 && n < X32_SYSCALL_BIT), `${name}: numbers are plain`);
    assert.ok(Math.max(...nrs) >= NEWEST, `${name} reaches ${NEWEST}`);
    assert.is(holesOf(table), holes, `${name} holes`);
  }
});

test('the system calls of Linux 6.5 to 7.x are there, with the same number on every ABI', () => {
  const recent: [string, number][] = [['cachestat', 451], ['fchmodat2', 452], ['futex_wake', 454], ['futex_wait', 455], ['futex_requeue', 456],
    ['statmount', 457], ['listmount', 458], ['lsm_get_self_attr', 459], ['lsm_set_self_attr', 460], ['lsm_list_modules', 461], ['mseal', 462],
    ['setxattrat', 463], ['getxattrat', 464], ['listxattrat', 465], ['removexattrat', 466], ['open_tree_attr', 467], ['file_getattr', 468],
    ['file_setattr', 469], ['listns', 470], ['rseq_slice_yield', 471]];
  for (const { name, table } of TABLES) for (const [n, nr] of recent) assert.is(table[n], nr, `${name} ${n}`);
  // "64" rows of syscall_64.tbl: x86_64 only, not x32.
  assert.equal([SYSCALLS_X86_64.map_shadow_stack, SYSCALLS_X86_64.uretprobe, SYSCALLS_X86_64.uprobe], [453, 335, 336]);
  assert.equal([SYSCALLS_X32.map_shadow_stack, SYSCALLS_X32.uretprobe, SYSCALLS_X32.uprobe], [undefined, undefined, undefined]);
  assert.is(SYSCALLS_I386.map_shadow_stack, 453);
  assert.is(SYSCALLS_AARCH64.map_shadow_stack, 453);
});

test('names of other architectures are known, not in our tables; prototype names are not system calls', () => {
  for (const n of SYSCALLS_ELSEWHERE) assert.ok(TABLES.every((t) => !Object.hasOwn(t.table, n)), `${n} is in a table`);
  for (const n of ['recv', 'send', 's390_pci_mmio_read', 'riscv_flush_icache', 'chown32', 'mseal']) assert.ok(isKnownSyscall(n), n);
  for (const n of ['toString', '__proto__', 'constructor', 'hasOwnProperty', '', 'READ', 'no_such_call']) assert.not.ok(isKnownSyscall(n), n);
});

const lib = loadLibseccomp();
// Where the kernel and libseccomp's table disagree, the kernel wins:
// syscall_64.tbl marks these "64" (x86_64 only), libseccomp gives x32 a number.
const KERNEL_OVER_LIBSECCOMP = new Set(['x32 map_shadow_stack', 'x32 uretprobe', 'x32 uprobe']);

test('every number libseccomp resolves on x86_64, i386, x32 and aarch64 matches our table', () => {
  if (!lib) { console.log('  skipped: libseccomp.so.2 cannot be loaded (apt-get install libseccomp2)'); return; }
  const wrong: string[] = [];
  for (const { name, scmp, table, bit } of TABLES) {
    const arch = lib.archToken(scmp)!;
    assert.ok(arch, `libseccomp knows ${scmp}`);
    for (let nr = 0; nr < 1024; nr++) {
      const n = lib.resolveNum(arch, (nr | bit) >>> 0);
      if (n !== undefined && table[n] !== nr && !KERNEL_OVER_LIBSECCOMP.has(`${name} ${n}`)) wrong.push(`${name} ${nr}: libseccomp ${n}, ours ${table[n]}`);
    }
    // And the other way: each of our names that libseccomp can number.
    const onlyOurs: string[] = [];
    for (const [n, nr] of Object.entries(table)) {
      const theirs = lib.resolveName(arch, n);
      if (theirs === undefined || theirs < 0) onlyOurs.push(n);
      else if (theirs !== ((nr | bit) >>> 0)) wrong.push(`${name} ${n}: libseccomp ${theirs}, ours ${nr}`);
    }
    console.log(`  ${name}: ${Object.keys(table).length} names; known to tsctr only (libseccomp ${lib.version}): ${onlyOurs.join(' ') || '(none)'}`);
  }
  assert.equal(wrong, []);
});

test('every name libseccomp knows on any architecture is known to tsctr (no "unknown" warning for it)', () => {
  if (!lib) { console.log('  skipped: libseccomp.so.2 cannot be loaded'); return; }
  // libseccomp numbers mips o32/n64/n32 from 4000/5000/6000, arm's private calls from 0xf0000.
  const bases: Record<string, number[]> = { mips: [4000], mipsel: [4000], mips64: [5000], mipsel64: [5000], mips64n32: [6000], mipsel64n32: [6000], arm: [0, 0xf0000], x32: [X32_SYSCALL_BIT] };
  const arches = ['x86', 'x86_64', 'x32', 'arm', 'aarch64', 'loongarch64', 'm68k', 'mips', 'mipsel', 'mips64', 'mipsel64', 'mips64n32', 'mipsel64n32', 'ppc', 'ppc64', 'ppc64le', 's390', 's390x', 'parisc', 'parisc64', 'riscv64', 'sh'];
  const missing = new Set<string>();
  let seen = 0;
  for (const a of arches) {
    const arch = lib.archToken(a);
    if (!arch) continue; // this libseccomp predates the architecture
    for (const base of bases[a] ?? [0]) {
      for (let nr = 0; nr < 1024; nr++) {
        const n = lib.resolveNum(arch, (base + nr) >>> 0);
        if (n === undefined) continue;
        seen++;
        if (!isKnownSyscall(n)) missing.add(`${n} (${a})`);
      }
    }
  }
  assert.ok(seen > 5000, `libseccomp answered (${seen} numbers)`);
  assert.equal([...missing], []);
});

test.run();
