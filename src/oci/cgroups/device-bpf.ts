// Device rules on cgroup v2: the compiled filter (device-filter.ts) is loaded
// with bpf(BPF_PROG_LOAD) and attached to the container's cgroup directory
// with BPF_PROG_ATTACH (BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI), as runc and
// crun do. Programs attached before (a second apply) are detached after the
// new one is in, so there is no moment without a filter. Our program fd is
// closed once attached: the attachment holds the program, and the kernel
// drops both when the cgroup directory is removed (rmdir), so destroy() has
// nothing extra to do.
import { closeSync, constants, openSync } from 'node:fs';
import { BPF } from '../../sys/constants.js';
import type { Sys } from '../../sys/index.js';
import type { DeviceCgroupRule } from '../spec/types.js';
import { compileDeviceFilter, formatDeviceFilter, type DeviceFilter } from './device-filter.js';
import { CgroupError } from './files.js';

export type BpfSys = Pick<Sys, 'bpfProgLoad' | 'bpfProgAttach' | 'bpfProgDetach' | 'bpfProgQuery' | 'bpfProgGetFdById' | 'close'>;

/** The program's name in `bpftool prog` (15 characters at most). */
const PROG_NAME = 'tsctr_devices';

const HINTS: Record<string, string> = {
  EPERM: 'loading BPF programs needs root (CAP_SYS_ADMIN or CAP_BPF)',
  EINVAL: 'this kernel may lack cgroup BPF device programs (CONFIG_CGROUP_BPF)',
  ENOTSUPP: 'this kernel lacks cgroup BPF device programs (CONFIG_CGROUP_BPF)',
  EOPNOTSUPP: 'this kernel lacks cgroup BPF device programs (CONFIG_CGROUP_BPF)',
};

/** Loads the program; the caller closes the fd. A verifier refusal carries its log into the error. */
export function loadDeviceFilter(filter: DeviceFilter, sys: BpfSys): number {
  try {
    return sys.bpfProgLoad(BPF.PROG_TYPE_CGROUP_DEVICE, filter.bytecode, filter.license, PROG_NAME);
  } catch (e) {
    const code = (e as { code?: string }).code;
    const log = (e as { log?: string }).log;
    const last = log ? log.split('\n').filter(Boolean).slice(-3).join(' | ') : '';
    throw new CgroupError(`load device filter (${filter.insns.length} BPF instructions): ${(e as Error).message}${last ? `; verifier: ${last}` : ''}`, '', { cause: e, code, hint: code ? HINTS[code] : undefined });
  }
}

/** Attaches the filter to a cgroup2 directory, replacing the device programs attached there before. */
export function attachDeviceFilter(dir: string, filter: DeviceFilter, sys: BpfSys): { replaced: number } {
  let dirFd: number;
  try {
    dirFd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CgroupError(`open ${JSON.stringify(dir)}: ${code}`, dir, { cause: e, code });
  }
  const fail = (what: string, e: unknown) => {
    const code = (e as { code?: string }).code;
    return new CgroupError(`${what} ${JSON.stringify(dir)}: ${(e as Error).message}`, dir, { cause: e, code, hint: code ? HINTS[code] : undefined });
  };
  try {
    let old: number[];
    try { old = sys.bpfProgQuery(dirFd, BPF.CGROUP_DEVICE); } catch (e) { throw fail('query device programs of', e); }
    const prog = loadDeviceFilter(filter, sys);
    try {
      sys.bpfProgAttach(dirFd, prog, BPF.CGROUP_DEVICE, BPF.F_ALLOW_MULTI);
    } catch (e) {
      throw fail('attach device filter to', e);
    } finally {
      sys.close(prog);
    }
    for (const id of old) {
      let fd: number;
      try { fd = sys.bpfProgGetFdById(id); } catch (e) {
        if ((e as { code?: string }).code === 'ENOENT') continue; // gone meanwhile
        throw fail(`open old device program ${id} of`, e);
      }
      try { sys.bpfProgDetach(dirFd, fd, BPF.CGROUP_DEVICE); } catch (e) { throw fail(`detach old device program ${id} from`, e); } finally { sys.close(fd); }
    }
    return { replaced: old.length };
  } finally {
    closeSync(dirFd);
  }
}

export interface DeviceEnforcement {
  sys?: BpfSys;
  trace?: (line: string) => void;
}

/**
 * Enforces rules with a BPF program on a cgroup2 directory. required: the
 * program is the only enforcement (pure v2, or hybrid without a v1 devices
 * hierarchy), so a failure is an error; otherwise (v1 enforces too) a warning.
 * Returns warnings. Rules that cannot be expressed (see device-rules.ts) throw.
 */
export function enforceDeviceRules(dir: string, rules: readonly DeviceCgroupRule[], opts: DeviceEnforcement, required: boolean): string[] {
  const filter = compileDeviceFilter(rules);
  const allowAll = filter.defaultAllow && filter.exceptions.length === 0;
  if (!opts.sys) {
    return required && !allowAll ? ['linux.resources.devices: NOT ENFORCED on cgroup v2 (this caller cannot load a BPF device program)'] : [];
  }
  opts.trace?.(`cgroup v2 device filter for ${dir} (${filter.exceptions.length} exceptions, default ${filter.defaultAllow ? 'allow' : 'deny'}):\n${formatDeviceFilter(filter)}`);
  try {
    attachDeviceFilter(dir, filter, opts.sys);
    return [];
  } catch (e) {
    // runc lets a load failure pass only when nothing would be refused anyway.
    if (required && !allowAll) throw e;
    return [`linux.resources.devices: the BPF device filter was not attached to ${dir} (${(e as Error).message})${required ? '' : '; the v1 devices controller enforces the rules'}`];
  }
}
