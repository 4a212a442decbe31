import { loadSys } from '../sys/index.js';
import { checkCgroups, checkDeviceFilter } from './cgroups.js';
import { checkNamespaces, checkOverlay, checkPivotRoot, checkPrivileges, checkSeccomp, checkUserNamespaceLimits, type CheckResult } from './probes.js';

export type { CheckResult, CheckStatus } from './probes.js';

export async function runChecks(opts: { root: string }): Promise<CheckResult[]> {
  const rows = checkPrivileges();
  let sys;
  try {
    sys = await loadSys();
  } catch (e) {
    rows.push({ name: 'native executor', status: 'fail', detail: e instanceof Error ? e.message : String(e), hint: 'run npm run build:native', required: true });
    return rows;
  }
  rows.push(...(await checkNamespaces(sys)));
  rows.push(checkUserNamespaceLimits());
  rows.push(checkOverlay(sys, opts.root));
  rows.push(await checkPivotRoot(sys));
  rows.push(...(await checkCgroups()));
  rows.push(checkDeviceFilter(sys));
  rows.push(await checkSeccomp(sys));
  const { checkNetworking } = await import('./network.js');
  rows.push(...(await checkNetworking(sys)));
  return rows;
}
