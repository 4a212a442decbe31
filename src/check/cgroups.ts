// The cgroup rows of `tsctr check`: which layout, which controllers, and
// whether a cgroup can really be made, limited and read back.
import { mkdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { attachDeviceFilter, compileDeviceFilter, createCgroupManager, detectHostCgroups, type BpfSys } from '../oci/cgroups/index.js';
import { defaultDeviceRules } from '../oci/spec/defaults.js';
import type { CheckResult } from './probes.js';

export async function checkCgroups(): Promise<CheckResult[]> {
  let layout;
  try {
    layout = detectHostCgroups();
  } catch (e) {
    return [{ name: 'cgroups', status: 'fail', detail: (e as Error).message, hint: 'mount cgroup2 at /sys/fs/cgroup, or the v1 controllers', required: true }];
  }
  const v1 = layout.v1.flatMap((h) => h.controllers).filter((c) => !c.startsWith('name='));
  const v2 = layout.unified?.controllers ?? [];
  const where = layout.unified ? ` (cgroup2 at ${layout.unified.mountPoint})` : '';
  const rows: CheckResult[] = [{ name: 'cgroup mode', status: 'ok', detail: `${layout.mode}${where}`, required: true }];
  rows.push({ name: 'cgroup controllers', status: 'ok', detail: [v1.length ? `v1: ${v1.join(' ')}` : '', layout.unified ? `v2: ${v2.join(' ') || '(none)'}` : ''].filter(Boolean).join('; '), required: false });
  const missing = ['memory', 'pids', 'cpu'].filter((c) => !v1.includes(c) && !v2.includes(c));
  if (missing.length) rows.push({ name: 'cgroup limits', status: 'warn', detail: `no ${missing.join(', ')} controller`, hint: 'limits on those resources will not be enforced', required: false });
  const m = createCgroupManager(`tsctr-check-${process.pid}`, { pids: { limit: 64 }, memory: { limit: 64 * 1024 * 1024 } });
  try {
    m.create();
    const warnings = m.apply({ pids: { limit: 64 }, memory: { limit: 64 * 1024 * 1024 } });
    const s = m.stats();
    const ok = s.pids?.limit === 64 && s.memory?.limit === 64 * 1024 * 1024;
    rows.push(ok
      ? { name: 'cgroup create', status: 'ok', detail: 'created, set pids and memory limits, read them back', required: true }
      : { name: 'cgroup create', status: 'warn', detail: `limits read back as pids=${s.pids?.limit} memory=${s.memory?.limit}${warnings.length ? `; ${warnings.join('; ')}` : ''}`, hint: 'some limits are not enforced here', required: false });
  } catch (e) {
    const code = (e as { code?: string }).code;
    rows.push({ name: 'cgroup create', status: 'fail', detail: (e as Error).message, hint: code === 'EACCES' || code === 'EROFS' || code === 'EPERM' ? 'needs root, and a writable cgroup filesystem' : undefined, required: true });
  } finally {
    await m.destroy().catch(() => undefined);
  }
  return rows;
}

/**
 * Whether device rules can be enforced on the cgroup2 hierarchy: the default
 * rules' BPF program is loaded and attached to a scratch cgroup (removed
 * again). Required on pure v2, where nothing else enforces them.
 */
export function checkDeviceFilter(sys: BpfSys): CheckResult {
  const name = 'cgroup v2 device filter';
  let layout;
  try { layout = detectHostCgroups(); } catch { return { name, status: 'warn', detail: 'no cgroup hierarchy', hint: 'see the cgroups row', required: false }; }
  if (!layout.unified) return { name, status: 'ok', detail: 'no cgroup2 hierarchy: the v1 devices controller enforces device rules', required: false };
  const required = layout.mode === 'v2';
  const dir = join(layout.unified.ownDir, `tsctr-check-bpf-${process.pid}`);
  const filter = compileDeviceFilter(defaultDeviceRules());
  try {
    mkdirSync(dir);
    try {
      attachDeviceFilter(dir, filter, sys);
    } finally {
      rmdirSync(dir);
    }
    const v1 = layout.v1.some((h) => h.controllers.includes('devices'));
    return { name, status: 'ok', detail: `BPF_PROG_TYPE_CGROUP_DEVICE program (${filter.insns.length} instructions) loaded and attached${v1 ? '; the v1 devices controller enforces too' : ''}`, required };
  } catch (e) {
    const hint = (e as { hint?: string }).hint ?? 'needs root and a kernel with CONFIG_CGROUP_BPF';
    return { name, status: required ? 'fail' : 'warn', detail: `${(e as Error).message}${required ? '' : ' (the v1 devices controller still enforces device rules)'}`, hint, required };
  }
}
