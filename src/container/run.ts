// `tsctr run`: image → active snapshot → spec → plan → executor → wait →
// teardown. Every resource taken is pushed on a Teardown so that a failure
// at any step, a signal, or the container's exit leaves nothing behind.
import { chmodSync, existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CLONE } from '../sys/constants.js';
import type { Sys, WaitStatus } from '../sys/index.js';
import { describeOp, type PlanOp } from '../oci/launch-plan.js';
import { describeStatus, exitCodeOf, formatStep, lastCap, requireRoot, startProcess, superviseProcess } from './supervise.js';
import { launchDetached, monitorIoFor } from './monitor.js';
import { InvalidArgumentError } from '../errors.js';
import { createPlan, type Plan, type PlanOptions } from '../oci/plan/index.js';
import { statSourceIsDir } from '../oci/plan/host.js';
import { listCapabilities } from '../oci/spec/index.js';
import { ownCapabilities } from '../oci/host-caps.js';
import { openCgroup, type ContainerCgroup } from './cgroup.js';
import { passThroughIo, type ContainerIo } from './io.js';
import { openConsoleChannel } from './console.js';
import { prepareRootfs, releaseRootfs, type PreparedRootfs } from './rootfs.js';
import { buildSpec, type ImageProcessConfig, type RunFlags } from './spec-builder.js';
import { ContainerStore, isLeftover, processStartTime, type ContainerRecord, type TaskState } from './store.js';
import { Teardown } from './teardown.js';
import { shiftOwnership } from './idmap.js';
import { cleanupLeftover } from './cleanup.js';
import { applySeccompFlags, applyUserFlag } from './process-options.js';
import { applyNetworkToSpec, parseNetworkFlags, type NetworkFlags } from './network/attach.js';
import { writeIdMaps } from '../oci/id-maps.js';
import { recordEvent } from './events/index.js';
import { eventsDir, journalLimit } from './events/journal.js';
import { watchOom } from './oom.js';

export interface RunRequest {
  root: string;
  state: string;
  namespace: string;
  sys: Sys;
  /** An image reference, or undefined with rootfsDir. */
  image?: string;
  rootfsDir?: string;
  snapshotter: string;
  flags: RunFlags;
  user?: string;
  seccomp: boolean;
  seccompProfile?: string;
  rm: boolean;
  /** -d: leave the container running under tsctr-monitor. */
  detach?: boolean;
  noPivot: boolean;
  /** --cni, --net, -p, --dns…: a CNI network (see network/). */
  network?: NetworkFlags;
  trace?: (line: string) => void;
  dryRun?: (line: string) => void;
  /** Notes for the user: leftovers cleaned, warnings. */
  notice: (line: string) => void;
}

/** Runs a container in the foreground (resolves to its exit code, 128+signal when killed), or detached (resolves to 0 once it runs). */
export async function runContainer(req: RunRequest): Promise<number> {
  const { sys, flags } = req;
  if (!req.dryRun) requireRoot('run');
  if (req.detach && req.rm) throw new InvalidArgumentError('--rm and --detach cannot be used together', { hint: `remove a stopped container with tsctr containers rm ${flags.id}` });
  const net = parseNetworkFlags(req.network, flags);
  const store = new ContainerStore(req.root, req.state, req.namespace);
  const left = store.getTask(flags.id);
  if (left && isLeftover(left)) req.notice(await cleanupLeftover(store, left, sys));
  else await cleanupNetworkOnly(store, flags.id, sys, req.notice);
  const td = new Teardown();
  let status: WaitStatus | undefined;
  let created = false, snapshotPrepared = false, exitedAt = '', taskPid = 0;
  const t0 = performance.now();
  const phase = (what: string) => req.trace?.(`[${(performance.now() - t0).toFixed(1).padStart(8)} ms] ${what}`);
  try {
    const rootfs: PreparedRootfs = await prepareRootfs({ root: req.root, namespace: req.namespace, image: req.image, rootfsDir: req.rootfsDir, snapshotter: req.snapshotter, id: flags.id, sys, target: join(store.taskDir(flags.id), 'rootfs'), dryRun: !!req.dryRun });
    phase(rootfs.snapshotter ? `image ${req.image} resolved` : `rootfs ${rootfs.path}`);
    const spec = buildSpec(rootfs.imageConfig as ImageProcessConfig | undefined, flags, hostCapabilities());
    const user = req.user ?? (rootfs.imageConfig?.User || undefined);
    applySeccompFlags(spec, req.seccomp, req.seccompProfile);
    if (req.dryRun) {
      if (net) {
        const { netnsPath, namesMounts } = await import('./network/index.js');
        applyNetworkToSpec(spec, netnsPath(store.taskDir(flags.id)), namesMounts(store.taskDir(flags.id)));
      }
      if (user) applyUserFlag(spec, user, rootfs.path, { numericOnly: true });
      const plan = createPlan(spec, { rootfs: rootfs.path, stdio: flags.tty ? 'pty' : undefined, consoleSocket: flags.tty ? { fd: 3 } : undefined, noPivot: req.noPivot, lastCap: lastCap() });
      req.dryRun(`clone(${plan.cloneFlags.toString(16)})`);
      plan.ops.forEach((o, i) => req.dryRun!(`${String(i).padStart(3)}  ${describeOp(o)}`));
      return 0;
    }
    const record: ContainerRecord = { id: flags.id, image: req.image, snapshotter: rootfs.snapshotter, snapshotKey: rootfs.snapshotKey, rootfsDir: req.rootfsDir, spec, createdAt: new Date().toISOString(), removeOnExit: req.rm, labels: {} };
    // Atomic under the namespace's lock; until it succeeds nothing of ours exists, so a
    // loser of a same-id race leaves before its teardown could touch the winner's.
    await store.create(record);
    created = true;
    await recordEvent(req.root, req.namespace, '/containers/create', { id: flags.id, image: req.image ?? '', runtime: { name: 'tsctr' } });
    // A container that never started is not kept, --rm or not: nothing half-made is left.
    let started = false;
    td.push('remove container', () => { if (req.rm || !started) store.remove(flags.id); });
    td.push('remove task state', () => store.removeTask(flags.id));
    // The snapshot is mounted and recorded before anything can fail after it.
    const mounted = await rootfs.mount();
    if (mounted) phase(`snapshot ${rootfs.snapshotKey} (${rootfs.snapshotter}) mounted at ${rootfs.path}`);
    snapshotPrepared = mounted;
    if (mounted) await recordEvent(req.root, req.namespace, '/snapshot/prepare', { key: rootfs.snapshotKey!, parent: rootfs.parent ?? '', snapshotter: rootfs.snapshotter! });
    td.push('remove snapshot', async () => { if (req.rm || !started) await rootfs.remove(); });
    td.push('unmount rootfs', () => releaseRootfs(rootfs, sys));
    // Names in --user and the image's User are looked up in the image's own /etc/passwd.
    if (user) {
      applyUserFlag(spec, user, rootfs.path, { sys });
      store.update(record);
    }
    const { uidMappings = [], gidMappings = [] } = spec.linux ?? {};
    if (uidMappings.length) openPathForMappedRoot(store.taskDir(flags.id), req.state);
    if (mounted && uidMappings.length) {
      const n = shiftOwnership(sys, rootfs.path, uidMappings, gidMappings);
      req.trace?.(`shifted ownership of ${n} files in the snapshot to the user namespace's ids`);
    }
    if (net) {
      // Before the plan: the container joins a namespace that CNI has already wired up.
      const { setupContainerNetwork, teardownContainerNetwork } = await import('./network/index.js');
      const taskDir = store.taskDir(flags.id);
      // A failed set-up undoes itself; what succeeded is undone by the teardown stack.
      const n = await setupContainerNetwork({ root: req.root, state: req.state, confDir: net.confDir, namespace: req.namespace, id: flags.id, hostname: spec.hostname ?? flags.id, taskDir, sys, networks: net.networks, binDirs: net.binDirs, publish: net.publish, dns: net.dns, notice: req.notice, trace: req.trace });
      td.push('remove network', async () => { await teardownContainerNetwork(taskDir, sys, req.trace); });
      applyNetworkToSpec(spec, n.netns, n.mounts);
      store.update(record);
      phase(`network set up: ${n.addresses.join(', ') || 'no address'}`);
    }
    const cgroup: ContainerCgroup = openCgroup(spec, req.notice, { sys, trace: req.trace });
    cgroup.create();
    phase(`cgroup ${spec.linux?.cgroupsPath} created`);
    td.push('remove cgroup', async () => { await cgroup.destroy(); });

    const planFor = (o: Partial<PlanOptions>) => createPlan(spec, {
      rootfs: rootfs.path,
      noPivot: req.noPivot,
      lastCap: lastCap(),
      cgroupMounts: cgroup.mountSources(),
      sourceIsDir: statSourceIsDir,
      ...o,
    });
    const beforeStart = (plan: Plan) => (pid: number) => {
      writeIdMaps(pid, plan.uidMappings, plan.gidMappings);
      cgroup.join(pid);
    };
    const taskBase = { id: flags.id, status: 'running' as const, rootfs: rootfs.path, rootfsMounted: mounted, cgroupsPath: spec.linux?.cgroupsPath, cliPid: process.pid, cliStartTime: processStartTime(process.pid) ?? '', startedAt: new Date().toISOString() };

    if (req.detach) {
      // The monitor keeps the container: it holds its terminal (-t) or its output pipes, logs
      // them, and serves them on the attach socket; stdin is /dev/null without -t.
      const dir = store.taskDir(flags.id);
      const exitFile = join(dir, 'exit');
      const oomFile = join(dir, 'oom');
      const mio = monitorIoFor(dir, { tty: flags.tty });
      const plan = planFor(mio.plan);
      for (const w of plan.warnings) req.notice(`warning: ${w}`);
      const { pid, monitorPid } = await launchDetached(withLoopback(plan.ops, plan.cloneFlags), {
        cloneFlags: plan.cloneFlags, pidNamespacePath: plan.joinNamespaces[0]?.path, exitFile, io: mio.io,
        trace: !!req.trace, onStep: req.trace ? (r) => req.trace!(formatStep(r)) : undefined, beforeStart: beforeStart(plan),
        events: { dir: eventsDir(req.root), limit: journalLimit(), namespace: req.namespace, id: flags.id, oom: cgroup.oomSource(), oomFile },
      });
      started = true;
      store.saveTask({ ...taskBase, pid, startTime: processStartTime(pid) ?? '', detached: true, monitorPid, exitFile, logFile: mio.logFile, attachSocket: mio.socketPath, tty: flags.tty, oomFile });
      await recordTaskStart(req, pid, { stdin: flags.tty ? mio.socketPath : '/dev/null', stdout: mio.logFile, stderr: mio.logFile, terminal: flags.tty });
      phase(`pid ${pid} running detached (monitor pid ${monitorPid}); output in ${mio.logFile}`);
      td.forget();
      return 0;
    }

    // -t: the pty comes from the container's own devpts, opened after pivot_root; /dev/console is bound to it.
    const term = flags.tty ? openConsoleChannel(sys, td) : undefined;
    const plan = planFor({ stdio: flags.tty ? 'pty' : undefined, consoleSocket: term?.socket });
    for (const w of plan.warnings) req.notice(`warning: ${w}`);
    const launchStart = process.hrtime.bigint();
    const launched = await startProcess(sys, withLoopback(plan.ops, plan.cloneFlags), {
      cloneFlags: plan.cloneFlags,
      pidNamespacePath: plan.joinNamespaces[0]?.path,
      trace: req.trace,
      beforeStart: beforeStart(plan),
    });
    started = true;
    const io: ContainerIo = term ? await term.receive(launched) : passThroughIo();
    const { pid } = launched;
    taskPid = pid;
    const task: TaskState = { ...taskBase, pid, startTime: processStartTime(pid) ?? '' };
    store.saveTask(task);
    await recordTaskStart(req, pid, { stdin: '', stdout: '', stderr: '', terminal: flags.tty });
    // OOM kills as they happen, each a /tasks/oom (in order before the exit) and a mark in the task's state.
    let oomEvents = Promise.resolve();
    const oom = watchOomIfLimited(cgroup, sys, () => {
      task.oomKilled = true;
      store.saveTask(task);
      oomEvents = oomEvents.then(() => recordEvent(req.root, req.namespace, '/tasks/oom', { container_id: flags.id }));
    }, req.notice);
    td.push('stop OOM watch', () => oom?.stop());
    phase(`pid ${pid} running (launch took ${(Number(process.hrtime.bigint() - launchStart) / 1e6).toFixed(1)} ms)`);
    status = await superviseProcess(sys, launched, io, td);
    exitedAt = new Date().toISOString();
    oom?.stop();
    await oomEvents;
    await recordEvent(req.root, req.namespace, '/tasks/exit', { container_id: flags.id, id: flags.id, pid, exit_status: exitCodeOf(status), exited_at: exitedAt });
    phase(`exited: ${describeStatus(status)}`);
    return exitCodeOf(status);
  } finally {
    const errors = await td.run();
    phase('torn down');
    if (status) await recordEvent(req.root, req.namespace, '/tasks/delete', { container_id: flags.id, id: flags.id, pid: taskPid, exit_status: exitCodeOf(status), exited_at: exitedAt });
    if (created && !store.find(flags.id)) await recordContainerDelete(req, flags.id, snapshotPrepared);
    for (const e of errors) req.notice(`cleanup: ${e.message}`);
  }
}

async function recordTaskStart(req: RunRequest, pid: number, io: { stdin: string; stdout: string; stderr: string; terminal: boolean }): Promise<void> {
  const id = req.flags.id;
  await recordEvent(req.root, req.namespace, '/tasks/create', { container_id: id, bundle: new ContainerStore(req.root, req.state, req.namespace).taskDir(id), rootfs: [], io, pid });
  await recordEvent(req.root, req.namespace, '/tasks/start', { container_id: id, pid });
}

/** A foreground task's OOM watch (oom.ts); a machine without a memory controller just has none. */
function watchOomIfLimited(cgroup: ContainerCgroup, sys: Sys, onOom: () => void, notice: (l: string) => void) {
  const src = cgroup.oomSource();
  if (!src) return undefined;
  try {
    return watchOom(src, sys, onOom);
  } catch (e) {
    notice(`warning: OOM kills will not be reported: ${(e as Error).message}`);
    return undefined;
  }
}

/** run --rm, or a run that failed before its task started: the snapshot (when there was one) and the record are gone. */
async function recordContainerDelete(req: RunRequest, id: string, hadSnapshot: boolean): Promise<void> {
  if (hadSnapshot) await recordEvent(req.root, req.namespace, '/snapshot/remove', { key: id, snapshotter: req.snapshotter });
  await recordEvent(req.root, req.namespace, '/containers/delete', { id });
}

/** The network record of a tsctr killed before it saved the task state. */
async function cleanupNetworkOnly(store: ContainerStore, id: string, sys: Sys, notice: (l: string) => void): Promise<void> {
  if (!existsSync(join(store.taskDir(id), 'network.json'))) return;
  const { cleanupNetworkLeftover } = await import('./network/index.js');
  const done = await cleanupNetworkLeftover(store.taskDir(id), sys);
  if (done.length) notice(`container "${id}": its tsctr was killed while setting up; cleaned up: ${done.join(', ')}`);
}

/**
 * The mapped root (say host uid 100000) must be able to reach its rootfs:
 * let others traverse (not list) the task directory and its parents up to
 * --state, as containerd's 0711 state directories do.
 */
function openPathForMappedRoot(taskDir: string, stateRoot: string): void {
  for (let d = taskDir; d.startsWith(stateRoot); d = dirname(d)) {
    const mode = statSync(d).mode & 0o7777;
    if ((mode & 0o011) !== 0o011) chmodSync(d, mode | 0o011);
    if (d === stateRoot) break;
  }
}

/** A new network namespace gets lo up, right after the namespaces are entered (needs CAP_NET_ADMIN there). */
function withLoopback(ops: PlanOp[], cloneFlags: number): PlanOp[] {
  if (!(cloneFlags & CLONE.NEWNET) && !ops.some((o) => o.op === 'unshare' && o.flags & CLONE.NEWNET)) return ops;
  const i = ops.findIndex((o) => o.op !== 'setns' && o.op !== 'unshare');
  return [...ops.slice(0, i), { op: 'loopback_up' }, ...ops.slice(i)];
}

/** The capabilities this process may give (its bounding set), by name. */
function hostCapabilities(): string[] {
  return listCapabilities(ownCapabilities().bounding);
}

