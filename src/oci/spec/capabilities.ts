// Capability names ↔ numbers (linux/capability.h). CAP_LAST_CAP is 40 on
// kernels since 5.9; the running kernel's value is /proc/sys/kernel/cap_last_cap.

export const CAPABILITIES = {
  CAP_CHOWN: 0,
  CAP_DAC_OVERRIDE: 1,
  CAP_DAC_READ_SEARCH: 2,
  CAP_FOWNER: 3,
  CAP_FSETID: 4,
  CAP_KILL: 5,
  CAP_SETGID: 6,
  CAP_SETUID: 7,
  CAP_SETPCAP: 8,
  CAP_LINUX_IMMUTABLE: 9,
  CAP_NET_BIND_SERVICE: 10,
  CAP_NET_BROADCAST: 11,
  CAP_NET_ADMIN: 12,
  CAP_NET_RAW: 13,
  CAP_IPC_LOCK: 14,
  CAP_IPC_OWNER: 15,
  CAP_SYS_MODULE: 16,
  CAP_SYS_RAWIO: 17,
  CAP_SYS_CHROOT: 18,
  CAP_SYS_PTRACE: 19,
  CAP_SYS_PACCT: 20,
  CAP_SYS_ADMIN: 21,
  CAP_SYS_BOOT: 22,
  CAP_SYS_NICE: 23,
  CAP_SYS_RESOURCE: 24,
  CAP_SYS_TIME: 25,
  CAP_SYS_TTY_CONFIG: 26,
  CAP_MKNOD: 27,
  CAP_LEASE: 28,
  CAP_AUDIT_WRITE: 29,
  CAP_AUDIT_CONTROL: 30,
  CAP_SETFCAP: 31,
  CAP_MAC_OVERRIDE: 32,
  CAP_MAC_ADMIN: 33,
  CAP_SYSLOG: 34,
  CAP_WAKE_ALARM: 35,
  CAP_BLOCK_SUSPEND: 36,
  CAP_AUDIT_READ: 37,
  CAP_PERFMON: 38,
  CAP_BPF: 39,
  CAP_CHECKPOINT_RESTORE: 40,
} as const;

export type CapabilityName = keyof typeof CAPABILITIES;
export const CAP_LAST_CAP = 40;

const BY_NUMBER = new Map<number, CapabilityName>(
  Object.entries(CAPABILITIES).map(([k, v]) => [v, k as CapabilityName]),
);

/** The number of a capability name ("CAP_SYS_ADMIN"; "SYS_ADMIN" is accepted too), or undefined. */
export function findCapability(name: string): number | undefined {
  const n = name.toUpperCase();
  const full = n.startsWith('CAP_') ? n : 'CAP_' + n;
  return (CAPABILITIES as Record<string, number>)[full];
}

export function nameCapability(num: number): string {
  return BY_NUMBER.get(num) ?? `CAP_${num}`;
}

/**
 * A 64-bit mask of the named capabilities. Capabilities above lastCap (unknown
 * to the running kernel) are left out, as runc does, and reported in `unknown`.
 */
export function maskCapabilities(names: string[] | undefined, lastCap = CAP_LAST_CAP): { mask: bigint; unknown: string[] } {
  let mask = 0n;
  const unknown: string[] = [];
  for (const name of names ?? []) {
    const n = findCapability(name);
    if (n === undefined || n > lastCap) { unknown.push(name); continue; }
    mask |= 1n << BigInt(n);
  }
  return { mask, unknown };
}

/** Names of the bits set in mask, lowest first (reads /proc/<pid>/status CapEff etc.). */
export function listCapabilities(mask: bigint): string[] {
  const out: string[] = [];
  for (let i = 0; i < 64; i++) if ((mask >> BigInt(i)) & 1n) out.push(nameCapability(i));
  return out;
}
