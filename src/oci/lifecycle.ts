// The OCI runtime lifecycle (runtime-spec runtime.md): create, start, state,
// kill, delete, on a bundle. The container's process outlives the command
// that created it: create returns while the process waits on the exec fifo
// (native/lifecycle.c draws the exchange); start releases it.
import { chownSync, closeSync, constants as fsc, openSync, renameSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { FailedPreconditionError, NotFoundError } from '../errors.js';
import { S_IF } from '../sys/constants.js';
import type { Sys } from '../sys/index.js';
import { createCgroupManager, type CgroupManager } from './cgroups/index.js';
import { defaultDeviceRules, type IdMapping, type Resources, type Spec } from './spec/index.js';
import { lastCap } from './host-caps.js';
import { hostIdOf, writeIdMaps } from './id-maps.js';
import { launch, type StepReport } from './launcher.js';
import { inProcessParent, type Parent } from './parent.js';
import { createPlan, statSourceIsDir, type Stdio } from './plan/index.js';
import type { ConsoleSocket } from './plan/process.js';
import { loadBundle } from './bundle.js';
import { runHookInMountNs, runHooks, runHostHook } from './hooks.js';
import { addLifecycleOps, withLoopback } from './lifecycle-ops.js';
import { endPhase, phase } from '../util/phases.js';
import { isAlive, ociState, procStat, StateDir, statusOf, type ContainerRecord, type OciState, type Status } from './state.js';
import { isoString } from '../util/iso-time.js';

export interface Runtime {
  sys: Sys;
  dir: StateDir;
  /** Warnings for the user (hook failures after start, cgroup limits not enforced). */
  warn: (line: string) => void;
}

export interface CreateOptions {
  id: string;
  bundle: string;
  pidFile?: string;
  noPivot?: boolean;
  /** Pass fds 3 .. 3+N-1 of ours to the container (runc --preserve-fds). */
  preserveFds?: number;
  /** The container's 0-2 (default: ours). A pty: { stdio: 'pty', consoleSocket } (opened inside, see console.ts), or consoleFd + consolePath. */
  stdio?: Stdio;
  consoleFd?: number;
  consolePath?: string;
  /** The pty is opened inside the container and its master sent to this socket (our fd). */
  consoleSocket?: Omit<ConsoleSocket, 'uid'>;
  /** Who clones and reaps the process (parent.ts); default: we do, and the process outlives us. */
  parent?: Parent;
  /** Bring lo up in a new network namespace (tsctr's containers; runc leaves it to CNI). */
  loopback?: boolean;
  /** Receives the launched child's pidfd (ours to close); without it, create closes it. */
  onLaunched?: (child: { pid: number; pidfd: number }) => void;
  /** Step reports (--trace): each op as it runs, with its time. */
  onStep?: (r: StepReport) => void;
}

const O_PATH = 0o10000000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The default cgroup when config.json names none: below our own cgroup, like containerd's namespaces. */
export const cgroupPathOf = (r: { id: string; spec: { linux?: { cgroupsPath?: string } } }) => r.spec.linux?.cgroupsPath || `tsctr-runc/${r.id}`;

/** The container's cgroup as create placed it: a relative path is below the creator's cgroups, recorded in cgroupLayout. */
export const cgroupOf = (r: ContainerRecord) => createCgroupManager(cgroupPathOf(r), {}, { layout: r.cgroupLayout });

/**
 * Creates the container: its process runs the plan up to the exec fifo and
 * waits there; prestart/createRuntime/createContainer hooks run at the sync
 * point before pivot_root. On any failure nothing is left (process, cgroup,
 * state directory).
 */
export async function create(rt: Runtime, o: CreateOptions): Promise<ContainerRecord> {
  const { sys, dir } = rt;
  const bundle = phase('bundle load', () => loadBundle(o.bundle), 'config.json read and checked');
  const spec = bundle.spec;
  phase('state reserve', () => dir.reserve(o.id), dir.dir(o.id));
  const unlock = await phase('state lock', () => dir.lock(sys, o.id));
  let cgroup: CgroupManager | undefined;
  let fifoFd: number | undefined;
  let pid = 0;
  try {
    fifoFd = phase('exec fifo', () => { sys.mknod(dir.fifo(o.id), S_IF.IFO | 0o622, 0, 0); return openSync(dir.fifo(o.id), O_PATH); });
    const resources = effectiveResources(spec);
    const parent = o.parent ?? inProcessParent(sys);
    cgroup = phase('cgroup layout', () => createCgroupManager(cgroupPathOf({ id: o.id, spec }), resources, { sys }), 'hierarchies detected');
    for (const w of phase('cgroup create', () => cgroup!.create(), cgroup.path)) rt.warn(`warning: ${w}`);
    for (const w of phase('cgroup limits', () => cgroup!.apply(resources), 'limits and device rules')) rt.warn(`warning: ${w}`);
    const tPlan = performance.now();
    const plan = createPlan(spec, {
      rootfs: bundle.rootfs, noPivot: o.noPivot, lastCap: lastCap(), cgroupMounts: cgroup.mountSources(),
      sourceIsDir: statSourceIsDir,
      ...(parent.childStdio ?? {
        stdio: mapStdio(o.stdio, parent), consoleFd: o.consoleFd === undefined ? undefined : parent.fd(o.consoleFd), consoleSlavePath: o.consolePath,
        consoleSocket: o.consoleSocket && { ...o.consoleSocket, fd: parent.fd(o.consoleSocket.fd) },
      }),
    });
    // The process opens the fifo for reading as its own user, which in a user
    // namespace is a host uid of the maps: root's fifo is not its to read
    // (CAP_DAC_OVERRIDE there does not cover unmapped owners). runc chowns it too.
    chownFifo(dir.fifo(o.id), spec, plan);
    for (const w of plan.warnings) rt.warn(`warning: ${w}`);
    const base = parent.adjust(o.loopback ? withLoopback(plan.ops, plan.cloneFlags) : plan.ops);
    const ops = addLifecycleOps(base, { fifoFd: parent.fd(fifoFd), hooks: spec.hooks, preserveFds: o.preserveFds ?? 0 });
    endPhase('spec to plan', tPlan, `${ops.length} ops`);
    const creating = (p: number): OciState => ({ ...ociState({ id: o.id, bundle: bundle.dir, annotations: spec.annotations ?? {}, pid: p } as ContainerRecord, 'creating') });
    const pidnsPath = plan.joinNamespaces.find((n) => n.type === 'pid')?.path;
    {
      const launched = await launch(sys, ops, {
        cloneFlags: plan.cloneFlags, untilWaiting: true, trace: !!o.onStep, onStep: o.onStep,
        spawn: (encoded) => parent.spawn(encoded, { cloneFlags: plan.cloneFlags, pidnsPath, exitFile: dir.exitFile(o.id) }),
        beforeStart: (p) => { pid = p; phase('id maps and cgroup join', () => { writeIdMaps(p, plan.uidMappings, plan.gidMappings); cgroup!.join(p); }, `pid ${p}`); },
        onSync: async (p) => {
          const state = creating(p);
          await runHooks('prestart', spec.hooks, (h) => runHostHook('prestart', h, state));
          await runHooks('createRuntime', spec.hooks, (h) => runHostHook('createRuntime', h, state));
          await runHooks('createContainer', spec.hooks, (h) => runHookInMountNs(sys, 'createContainer', h, p, state));
        },
      });
      if (o.onLaunched) o.onLaunched({ pid: launched.pid, pidfd: launched.pidfd });
      else closeSync(launched.pidfd);
    }
    const tRecord = performance.now();
    const record: ContainerRecord = {
      id: o.id, pid, startTime: procStat(pid)?.startTime ?? '', bundle: bundle.dir, rootfs: bundle.rootfs,
      created: isoString(), annotations: spec.annotations ?? {}, cgroupsPath: cgroup.path, cgroupLayout: cgroup.layout, spec,
      parent: { kind: parent.kind, pid: parent.pid, startTime: procStat(parent.pid)?.startTime ?? '' },
    };
    endPhase('state record', tRecord, 'start times from /proc');
    dir.write(record);
    if (o.pidFile) writePidFile(o.pidFile, pid);
    return record;
  } catch (e) {
    // launch() has reaped a child that failed; a child that got past it is killed here.
    if (pid) { try { sys.kill(pid, 9); } catch { /* gone */ } }
    if (cgroup) await cgroup.destroy().catch((err: Error) => rt.warn(`cleanup: ${err.message}`));
    dir.remove(o.id);
    throw e;
  } finally {
    if (fifoFd !== undefined) closeSync(fifoFd);
    unlock();
  }
}

function mapStdio(s: Stdio | undefined, parent: Parent): Stdio | undefined {
  if (s === undefined || s === 'pty') return s;
  return { stdin: parent.fd(s.stdin), stdout: parent.fd(s.stdout), stderr: parent.fd(s.stderr) };
}

/**
 * The device rules runc enforces: the config's, then what every container
 * may use (mknod of any node, /dev/null, zero, full, random, urandom, tty,
 * pts, ptmx, console, tun) and the nodes linux.devices creates (runc specconv).
 */
export function effectiveResources(spec: Spec): Resources {
  const r = structuredClone(spec.linux?.resources ?? {});
  const created = (spec.linux?.devices ?? []).map((d) => ({ allow: true, type: d.type === 'b' ? 'b' as const : 'c' as const, major: d.major, minor: d.minor, access: 'rwm' }));
  r.devices = [...(r.devices ?? []), ...defaultDeviceRules().slice(1), ...created];
  return r;
}

function chownFifo(path: string, spec: Spec, plan: { uidMappings: IdMapping[]; gidMappings: IdMapping[] }): void {
  const uid = hostIdOf(spec.process?.user.uid ?? 0, plan.uidMappings);
  const gid = hostIdOf(spec.process?.user.gid ?? 0, plan.gidMappings);
  if (uid !== undefined && gid !== undefined && (uid !== 0 || gid !== 0)) chownSync(path, uid, gid);
}

/** A bare number without a newline, written to a temp file and renamed (runc, and what shims parse). */
export function writePidFile(path: string, pid: number): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, String(pid));
  renameSync(tmp, path);
}

/** Releases the waiting process: the state JSON goes through the fifo to its startContainer hooks; then poststart hooks. */
export async function start(rt: Runtime, id: string): Promise<void> {
  const { sys, dir } = rt;
  const unlock = await phase('state lock', () => dir.lock(sys, id));
  let record: ContainerRecord;
  try {
    record = phase('state read', () => dir.load(id));
    const status = statusOf(dir, record);
    if (status === 'stopped') throw new FailedPreconditionError('cannot start a container that has stopped');
    if (status !== 'created') throw new FailedPreconditionError(`cannot start an already ${status} container`);
    const tFifo = performance.now();
    let fd: number | undefined;
    // Non-blocking: ENXIO says nobody waits at the other end: the process died, or it has
    // reported "waiting" (native/lifecycle.c) but not yet reached its open() of the fifo.
    for (let i = 0; fd === undefined; i++) {
      try {
        fd = openSync(dir.fifo(id), fsc.O_WRONLY | fsc.O_NONBLOCK);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENXIO' && isAlive(record) && i < 5000) { await sleep(1); continue; }
        if (code === 'ENXIO') throw new FailedPreconditionError('cannot start a container that has stopped');
        if (code === 'ENOENT') throw new FailedPreconditionError('cannot start an already running container');
        throw e;
      }
    }
    try {
      await writeAll(fd, Buffer.from(JSON.stringify(ociState(record, 'running'))));
    } finally {
      closeSync(fd);
    }
    unlinkSync(dir.fifo(id));
    endPhase('start handshake', tFifo, 'state through the exec fifo');
    record.started = isoString();
    dir.write(record);
  } finally {
    unlock();
  }
  const state = ociState(record, 'running');
  await runHooks('poststart', record.spec.hooks, (h) => runHostHook('poststart', h, state), rt.warn);
}

async function writeAll(fd: number, data: Buffer): Promise<void> {
  for (let off = 0; off < data.length;) {
    try {
      off += writeSync(fd, data, off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      await sleep(1);
    }
  }
}

export function frozen(r: ContainerRecord): boolean {
  try {
    return /^(FROZEN|FREEZING|frozen)$/.test(cgroupOf(r).freezerState()?.trim() ?? '');
  } catch {
    return false;
  }
}

export function stateOf(rt: Runtime, id: string): { record: ContainerRecord; status: Status } {
  const record = phase('state read', () => rt.dir.read(id));
  if (!record) {
    if (rt.dir.exists(id)) throw new FailedPreconditionError(`container ${id} is being created (or its create was killed): delete --force ${id} removes it`);
    throw new NotFoundError(`container does not exist: ${id}`);
  }
  return { record, status: phase('status', () => statusOf(rt.dir, record, frozen(record)), '/proc/PID/stat, fifo, freezer') };
}

/** Sends a signal through a pidfd opened on the recorded process (its start time checked after opening). */
export function signalRecord(sys: Sys, r: Pick<ContainerRecord, 'pid' | 'startTime'>, signal: number): boolean {
  let pidfd: number;
  try {
    pidfd = sys.pidfdOpen(r.pid);
  } catch {
    return false;
  }
  try {
    if (!isAlive(r)) return false;
    sys.pidfdSendSignal(pidfd, signal);
    return true;
  } catch (e) {
    if ((e as { code?: string }).code === 'ESRCH') return false;
    throw e;
  }
  finally {
    closeSync(pidfd);
  }
}

export async function kill(rt: Runtime, id: string, signal: number, all = false): Promise<void> {
  const { record, status } = stateOf(rt, id);
  if (status === 'stopped' || status === 'creating') throw new FailedPreconditionError('container not running');
  if (all) {
    for (const p of cgroupOf(record).pids()) {
      const st = procStat(p);
      if (st) signalRecord(rt.sys, { pid: p, startTime: st.startTime }, signal);
    }
    return;
  }
  if (!phase('signal', () => signalRecord(rt.sys, record, signal), 'pidfd_open + pidfd_send_signal')) throw new FailedPreconditionError('container not running');
}

/** Removes everything of the container; a running one only with force (killed first). Poststop hooks follow. */
export async function remove(rt: Runtime, id: string, force = false): Promise<void> {
  const { sys, dir } = rt;
  if (!dir.exists(id)) throw new NotFoundError(`container does not exist: ${id}`);
  const unlock = await phase('state lock', () => dir.lock(sys, id));
  let record: ContainerRecord | undefined;
  try {
    record = phase('state read', () => dir.read(id));
    if (record) {
      const status = statusOf(dir, record, frozen(record));
      // runtime.md "delete": a container that is not stopped (created included) is an error without --force.
      if (status !== 'stopped' && !force) throw new FailedPreconditionError(`cannot delete container ${id} that is not stopped: ${status}`);
      const cgroup = phase('cgroup layout', () => cgroupOf(record!));
      if (status === 'paused') cgroup.thaw();
      if (signalRecord(sys, record, 9)) await phase('kill and wait', () => waitGone(record!));
      await phase('cgroup remove', () => cgroup.destroy(), cgroup.path);
    }
    phase('state remove', () => dir.remove(id), dir.dir(id));
  } finally {
    unlock();
  }
  if (record) {
    const state = ociState(record, 'stopped');
    await runHooks('poststop', record.spec.hooks, (h) => runHostHook('poststop', h, state), rt.warn);
  }
}

/** Until the process has exited (a zombie counts: its parent, not us, reaps it). */
async function waitGone(r: ContainerRecord): Promise<void> {
  for (let i = 0; i < 1000 && isAlive(r); i++) await sleep(5);
}
