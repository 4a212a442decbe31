// `tsctr check`: finds out by trying. Each probe does the real thing
// (creates the namespace through the executor, mounts overlayfs, pivots
// root, loads a seccomp filter, makes a cgroup) and reports ok/warn/fail with
// a hint on every row that is not ok.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { release } from 'node:os';
import { dirname, join } from 'node:path';
import { CLONE, MS, MNT, PR, FS_MAGIC } from '../sys/constants.js';
import type { Sys } from '../sys/index.js';
import { launch } from '../oci/launcher.js';
import type { PlanOp } from '../oci/launch-plan.js';
import { CAPABILITIES } from '../oci/spec/capabilities.js';
import { lastCap, ownCapabilities } from '../oci/host-caps.js';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  name: string;
  status: CheckStatus;
  detail: string;
  hint?: string;
  /** A missing required feature makes `tsctr check` exit 1. */
  required: boolean;
}

export interface CheckOptions {
  root: string;
  sys: Sys;
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
function errCode(e: unknown): string | undefined {
  return (e as { code?: string }).code;
}

export function checkPrivileges(): CheckResult[] {
  const uid = process.geteuid?.() ?? -1;
  const { effective: eff, bounding: bnd } = ownCapabilities();
  const last = lastCap();
  const missing = Object.entries(CAPABILITIES).filter(([, n]) => n <= last && !((eff >> BigInt(n)) & 1n)).map(([k]) => k);
  const notInBounding = Object.entries(CAPABILITIES).filter(([, n]) => n <= last && !((bnd >> BigInt(n)) & 1n)).map(([k]) => k);
  const rows: CheckResult[] = [];
  rows.push(uid === 0
    ? { name: 'root', status: 'ok', detail: 'running as uid 0', required: true }
    : { name: 'root', status: 'fail', detail: `running as uid ${uid}`, hint: 'run tsctr as root (sudo tsctr …); rootless mode is not supported yet', required: true });
  const needed = ['CAP_SYS_ADMIN', 'CAP_SETUID', 'CAP_SETGID', 'CAP_MKNOD', 'CAP_CHOWN', 'CAP_SYS_CHROOT'];
  const lacking = needed.filter((c) => missing.includes(c));
  if (missing.length === 0) rows.push({ name: 'capabilities', status: 'ok', detail: `all ${last + 1} effective`, required: true });
  else if (lacking.length) rows.push({ name: 'capabilities', status: 'fail', detail: `missing ${lacking.join(', ')}`, hint: 'run as root with the full capability set', required: true });
  else rows.push({ name: 'capabilities', status: 'warn', detail: `missing ${missing.join(', ')}${notInBounding.length ? ' (not in the bounding set)' : ''}`, hint: 'containers cannot be given these capabilities; limits that need them (e.g. CAP_SYS_RESOURCE for rlimits above the hard limit) may fail', required: false });
  const [maj, min] = release().split('.').map(Number) as [number, number];
  const kernelOk = maj > 5 || (maj === 5 && min >= 4);
  rows.push({ name: 'kernel', status: kernelOk ? 'ok' : 'warn', detail: release(), hint: kernelOk ? undefined : 'kernels before 5.4 lack pidfd and some overlayfs features', required: false });
  return rows;
}

const NAMESPACES: { name: string; flag: number; viaUnshare?: boolean; required: boolean }[] = [
  { name: 'mnt', flag: CLONE.NEWNS, required: true },
  { name: 'uts', flag: CLONE.NEWUTS, required: true },
  { name: 'ipc', flag: CLONE.NEWIPC, required: true },
  { name: 'pid', flag: CLONE.NEWPID, required: true },
  { name: 'net', flag: CLONE.NEWNET, required: true },
  { name: 'user', flag: CLONE.NEWUSER, required: false },
  { name: 'cgroup', flag: CLONE.NEWCGROUP, required: false },
  // CLONE_NEWTIME shares its bit with CSIGNAL, so clone() cannot take it: unshare in the child.
  { name: 'time', flag: CLONE.NEWTIME, viaUnshare: true, required: false },
];

/** Runs a plan in a child and waits for it; resolves to undefined on success or the error. */
async function tryPlan(sys: Sys, ops: PlanOp[], cloneFlags: number): Promise<unknown> {
  try {
    const l = await launch(sys, ops, { cloneFlags });
    const st = await sys.wait(l.pid);
    if (st.kind !== 'exited' || st.code !== 0) return new Error(`child ended with ${JSON.stringify(st)}`);
    return undefined;
  } catch (e) {
    return e;
  }
}

export async function checkNamespaces(sys: Sys): Promise<CheckResult[]> {
  const rows: CheckResult[] = [];
  for (const ns of NAMESPACES) {
    const err = ns.viaUnshare
      ? await tryPlan(sys, [{ op: 'unshare', flags: ns.flag }], 0)
      : await tryPlan(sys, [], ns.flag);
    const name = `namespace ${ns.name}`;
    if (!err) rows.push({ name, status: 'ok', detail: 'created', required: ns.required });
    else rows.push({
      name,
      status: ns.required ? 'fail' : 'warn',
      detail: errText(err),
      hint: errCode(err) === 'EPERM' ? 'needs root or CAP_SYS_ADMIN' : errCode(err) === 'EINVAL' ? `the kernel lacks CONFIG_${ns.name.toUpperCase()}_NS` : errCode(err) === 'ENOSPC' ? `raise /proc/sys/user/max_${ns.name}_namespaces` : undefined,
      required: ns.required,
    });
  }
  return rows;
}

/** A directory on the filesystem that will hold snapshots: --root, or its nearest existing parent. */
function probeDir(root: string): string {
  let d = join(root, 'snapshots');
  while (!existsSync(d)) d = dirname(d);
  return d;
}

export function checkOverlay(sys: Sys, root: string): CheckResult {
  const base = probeDir(root);
  let tmp: string | undefined;
  let mounted = false;
  try {
    tmp = mkdtempSync(join(base, '.tsctr-check-'));
    for (const d of ['l1', 'l2', 'upper', 'work', 'merged']) mkdirSync(join(tmp, d));
    const fsType = sys.statfs(tmp).type;
    if (fsType === FS_MAGIC.OVERLAY) {
      return { name: 'overlayfs', status: 'warn', detail: `${base} is itself on overlayfs`, hint: 'overlay on overlay is refused by most kernels: use --snapshotter native or put --root on ext4/xfs', required: false };
    }
    sys.mount('overlay', join(tmp, 'merged'), 'overlay', 0, `lowerdir=${join(tmp, 'l2')}:${join(tmp, 'l1')},upperdir=${join(tmp, 'upper')},workdir=${join(tmp, 'work')}`);
    mounted = true;
    return { name: 'overlayfs', status: 'ok', detail: `mounted on ${base}`, required: false };
  } catch (e) {
    return {
      name: 'overlayfs',
      status: 'warn',
      detail: errText(e),
      hint: errCode(e) === 'ENODEV' ? 'modprobe overlay, or use --snapshotter native' : errCode(e) === 'EACCES' || errCode(e) === 'EPERM' ? 'needs root; or use --snapshotter native' : 'use --snapshotter native',
      required: false,
    };
  } finally {
    if (mounted) sys.umount2(join(tmp!, 'merged'), MNT.DETACH);
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

export async function checkPivotRoot(sys: Sys): Promise<CheckResult> {
  let tmp: string | undefined;
  try {
    tmp = mkdtempSync('/tmp/.tsctr-pivot-');
    const ops: PlanOp[] = [
      { op: 'mount', source: null, target: '/', fstype: null, flags: MS.REC | MS.PRIVATE, data: null },
      { op: 'mount', source: 'tmpfs', target: tmp, fstype: 'tmpfs', flags: 0, data: 'size=64k' },
      { op: 'mkdir', path: join(tmp, 'old'), mode: 0o700 },
      { op: 'pivot_root', newRoot: tmp, putOld: join(tmp, 'old') },
      { op: 'chdir', path: '/' },
      { op: 'umount2', target: '/old', flags: MNT.DETACH },
    ];
    const err = await tryPlan(sys, ops, CLONE.NEWNS);
    if (!err) return { name: 'pivot_root', status: 'ok', detail: 'pivoted in a new mount namespace', required: true };
    const hint = errCode(err) === 'EPERM' ? 'needs root or CAP_SYS_ADMIN' : (err as { hint?: string }).hint ?? 'use --no-pivot (chroot) on a ramfs root';
    return { name: 'pivot_root', status: 'fail', detail: errText(err), hint, required: true };
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

// A one-instruction classic BPF program: return SECCOMP_RET_ALLOW.
const ALLOW_ALL = Buffer.from([0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x7f]);

export async function checkSeccomp(sys: Sys): Promise<CheckResult> {
  const err = await tryPlan(sys, [
    { op: 'prctl', option: PR.SET_NO_NEW_PRIVS, args: [1, 0, 0, 0] },
    { op: 'seccomp', filter: ALLOW_ALL, flags: 0 },
  ], 0);
  if (!err) return { name: 'seccomp', status: 'ok', detail: 'a filter loaded', required: false };
  return { name: 'seccomp', status: 'warn', detail: errText(err), hint: 'the kernel lacks CONFIG_SECCOMP_FILTER: containers run without syscall filtering', required: false };
}

export function checkUserNamespaceLimits(): CheckResult {
  const read = (p: string) => { try { return readFileSync(p, 'utf8').trim(); } catch { return undefined; } };
  const max = read('/proc/sys/user/max_user_namespaces');
  const unpriv = read('/proc/sys/kernel/unprivileged_userns_clone');
  const detail = `max_user_namespaces=${max ?? '?'}${unpriv !== undefined ? `, unprivileged_userns_clone=${unpriv}` : ''}`;
  if (max === '0') return { name: 'user namespace limits', status: 'warn', detail, hint: 'sysctl -w user.max_user_namespaces=15000 to allow --uidmap', required: false };
  return { name: 'user namespace limits', status: 'ok', detail, required: false };
}
