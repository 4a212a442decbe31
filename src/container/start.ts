// `tasks start` (and the second half of `run`): the container's record
// becomes a bundle, and the runtime core runs it, as ctr → containerd →
// shim → runc do:
//
//   tsctr (client)                     runtime core (src/oci)            container
//   mount snapshot at <bundle>/rootfs
//   CNI ADD (netns under <bundle>)
//   write <bundle>/config.json
//   create(bundle, parent) ──────────► reserve <rt>/<id>, exec fifo,
//                                      cgroup, plan; parent.spawn ─────► runs the plan
//                                      ◄──────── step reports ────────── … lookup_exec, wait_start
//   ◄───────────────────────────────── state.json (created)              blocks on the fifo
//   start(id) ────────────────────────► write state into the fifo ──────► execve
//   foreground: wait (we are the parent), forward signals, write <rt>/<id>/exit;
//               then delete(id) ──────► kill leftovers, rm cgroup, state
//               then CNI DEL, unmount, rm bundle (and with --rm the container)
//   -d:         return; the monitor is the parent, reaps and writes <rt>/<id>/exit;
//               `tasks rm` later does delete + the rest.
import { chmodSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { openCgroupByPath, type OomSource } from './cgroup.js';
import { watchOom } from './oom.js';
import { eventsDir, journalLimit } from './events/journal.js';
import { AlreadyExistsError, FailedPreconditionError } from '../errors.js';
import type { Sys, WaitStatus } from '../sys/index.js';
import { acquireLock } from '../content/lock.js';
import { create, remove as removeCore, start } from '../oci/lifecycle.js';
import { inProcessParent, type Parent } from '../oci/parent.js';
import type { Spec } from '../oci/spec/index.js';
import { openConsoleChannel } from './console.js';
import { passThroughIo, type ContainerIo } from './io.js';
import { shiftOwnership } from './idmap.js';
import { cleanupUnrecorded, releaseBundle, releaseTask, rootfsOf } from './cleanup.js';
import { currentTask } from './manage.js';
import { monitorIoFor, monitorParent } from './monitor.js';
import { recordEvent } from './events/index.js';
import { applyUserFlag } from './process-options.js';
import { mountSnapshot, releaseRootfs } from './rootfs.js';
import { writeBundle } from './bundle.js';
import type { ContainerRecord, ContainerStore } from './store.js';
import { describeStatus, exitCodeOf, formatStep, requireRoot, superviseProcess } from './supervise.js';
import { coreStatus, isTaskAlive, runtimeOf } from './task.js';
import { Teardown } from './teardown.js';
import { applyNetworkToSpec } from './network/attach.js';
import { stdinOpenOf } from './spec-builder.js';
import { endPhase, markStartup, phase, setPhaseSink } from '../util/phases.js';
import { isoString } from '../util/iso-time.js';

export interface StartRequest {
  store: ContainerStore;
  sys: Sys;
  id: string;
  /** Leave the task under tsctr-monitor and return once it runs. */
  detach: boolean;
  /** -t: a terminal even if the container was created without one. */
  tty?: boolean;
  trace?: (line: string) => void;
  notice: (line: string) => void;
}

/** Foreground: resolves to the task's exit code (128+signal when killed). Detached: 0 once it runs. */
export async function startTask(req: StartRequest): Promise<number> {
  requireRoot('start');
  markStartup();
  if (req.trace) setPhaseSink(req.trace);
  const { store, sys, id } = req;
  const c = phase('container record read', () => store.get(id), id);
  await phase('task check', () => checkNoTask(req), 'no task yet, or a killed tsctr\'s leftovers');
  const lock = await phase('task lock', () => acquireLock(store.taskLockPath(id), { tryOnly: true }));
  if (!lock) throw new FailedPreconditionError(`container "${id}": another tsctr is starting its task`, { hint: 'wait for it, or see tsctr tasks ls' });
  const td = new Teardown();
  const done: Done = {};
  const note = (what: string) => req.trace?.(`[${performance.now().toFixed(1).padStart(9)} ms] ${what}`);
  try {
    // Under the lock: a detached start that won meanwhile has recorded its task by now.
    if (store.runtime().exists(id)) throw new AlreadyExistsError(`container "${id}" already has a task`, { hint: `tsctr tasks ls; tsctr tasks rm ${id}` });
    const spec = await prepareBundle(req, c, td, note);
    const rt = runtimeOf(store, sys, req.notice);
    td.push('core delete', async () => { if (rt.dir.exists(id)) await removeCore(rt, id, true); });
    return req.detach ? await startDetached(req, spec, td, note) : await startForeground(req, spec, td, note, done);
  } finally {
    const t = performance.now();
    for (const e of await td.run()) req.notice(`cleanup: ${e.message}`);
    lock.release();
    endPhase('teardown', t, 'every step above');
    note('torn down');
    // A foreground task is deleted by the teardown above.
    if (done.exited) await recordEvent(store.root, store.namespace, '/tasks/delete', done.exited);
  }
}

interface Done { exited?: { container_id: string; id: string; pid: number; exit_status: number; exited_at: string } }

/** ctr's rules: one task per container; a stopped one is deleted first (tasks rm). A killed tsctr's leftovers are cleaned. */
async function checkNoTask(req: StartRequest): Promise<void> {
  const m = { store: req.store, sys: req.sys, notice: req.notice };
  const t = await currentTask(m, req.id);
  if (!t) return;
  if (isTaskAlive(t) && coreStatus(req.store, t) === 'created') {
    // Created and never started: its starter was killed between the core's create and start.
    req.notice(`container "${req.id}": removed a task that was created but never started (its tsctr was killed)`);
    await releaseTask(req.store, req.sys, req.id, req.notice);
    return;
  }
  if (isTaskAlive(t)) throw new AlreadyExistsError(`container "${req.id}" already has a running task (pid ${t.pid})`, { hint: `tsctr tasks kill ${req.id}, then tsctr tasks rm ${req.id}` });
  throw new FailedPreconditionError(`container "${req.id}" has a stopped task`, { hint: `delete it first: tsctr tasks rm ${req.id}` });
}

/** The rootfs mounted, the user resolved, ids shifted, the network set up, config.json written. Every step is undone by td. */
async function prepareBundle(req: StartRequest, c: ContainerRecord, td: Teardown, note: (w: string) => void): Promise<Spec> {
  const { store, sys, id } = req;
  const cleaned = await phase('leftover cleanup', () => cleanupUnrecorded(store, sys, id).catch(() => undefined), 'unrecorded mounts, cgroups');
  if (cleaned) req.notice(cleaned);
  const dir = store.taskDir(id);
  phase('bundle dir', () => mkdirSync(dir, { recursive: true, mode: 0o711 }), dir);
  td.push('remove bundle', async () => { await releaseBundle(store, sys, id); });
  const spec = structuredClone(c.spec);
  if (req.tty && !spec.process!.terminal) {
    spec.process!.terminal = true;
    if (!spec.process!.env!.some((e) => e.startsWith('TERM='))) spec.process!.env!.push('TERM=xterm');
  }
  let rootfs = c.rootfsDir ?? rootfsOf(store, id);
  if (!c.rootfsDir) {
    const r = { path: rootfs, mounted: true };
    await phase('snapshot mount', () => mountSnapshot({ root: store.root, namespace: store.namespace, sys, image: c.image ?? '', snapshotter: c.snapshotter!, key: c.snapshotKey!, target: rootfs }), `${c.snapshotter} ${c.snapshotKey}`);
    td.push('unmount rootfs', () => releaseRootfs(r, sys));
    note(`snapshot ${c.snapshotKey} (${c.snapshotter}) mounted at ${rootfs}`);
  } else rootfs = c.rootfsDir;
  // Names in --user and the image's User are looked up in the image's own /etc/passwd, inside the root.
  if (c.user) phase('user lookup', () => applyUserFlag(spec, c.user!, rootfs, { sys }), c.user);
  const { uidMappings = [], gidMappings = [] } = spec.linux ?? {};
  if (uidMappings.length) openPathForMappedRoot(dir, store.stateRoot);
  if (uidMappings.length && !c.rootfsDir && !c.idShifted) {
    const n = shiftOwnership(sys, rootfs, uidMappings, gidMappings);
    store.update({ ...c, idShifted: true });
    req.trace?.(`shifted ownership of ${n} files in the snapshot to the user namespace's ids`);
  }
  if (c.network) {
    // Before the plan: the container joins a namespace that CNI has already wired up.
    const { setupContainerNetwork } = await import('./network/index.js');
    const net = c.network;
    const n = await setupContainerNetwork({ root: store.root, state: store.stateRoot, confDir: net.confDir, namespace: store.namespace, id, hostname: spec.hostname ?? id, taskDir: dir, sys, networks: net.networks, binDirs: net.binDirs, publish: net.publish, dns: net.dns, notice: req.notice, trace: req.trace })
      .catch((e: Error) => {
        // A failed set-up has undone itself as far as it could (and said so): its record is not retried.
        rmSync(join(dir, 'network.json'), { force: true });
        throw e;
      });
    applyNetworkToSpec(spec, n.netns, n.mounts);
    note(`network set up: ${n.addresses.join(', ') || 'no address'}`);
  }
  phase('bundle write', () => writeBundle(dir, spec, rootfs), 'config.json');
  return spec;
}

const coreOptions = (req: StartRequest, c: ContainerRecord, parent: Parent) => ({
  id: req.id, bundle: req.store.taskDir(req.id), parent, noPivot: c.noPivot, loopback: true,
  onStep: req.trace ? (r: Parameters<typeof formatStep>[0]) => req.trace!(formatStep(r)) : undefined,
});

async function startDetached(req: StartRequest, spec: Spec, td: Teardown, note: (w: string) => void): Promise<number> {
  const { store, sys, id } = req;
  const c = store.get(id);
  const rt = runtimeOf(store, sys, req.notice);
  // The monitor keeps the container: it holds its terminal (-t) or its output pipes, logs
  // them, and serves them on the attach socket. Without -t, stdin is a pipe the monitor
  // feeds from attach clients if the container was created with -i, else /dev/null.
  const tty = !!spec.process!.terminal;
  const stdinOpen = !tty && stdinOpenOf(spec);
  const mio = monitorIoFor(store.taskDir(id), { tty, stdinOpen });
  // The monitor journals the task's /tasks/oom and /tasks/exit, and counts OOM kills in <bundle>/oom.
  const oom = spec.linux?.cgroupsPath ? openCgroupByPath(spec.linux.cgroupsPath).oomSource() : undefined;
  const parent = monitorParent(sys, mio.io, { dir: eventsDir(store.root), limit: journalLimit(), namespace: store.namespace, id, oom, oomFile: join(store.taskDir(id), 'oom') });
  const r = await phase('core create', () => create(rt, coreOptions(req, c, parent)), id);
  await recordTaskCreate(req, r.pid, { stdin: tty || stdinOpen ? mio.socketPath : '/dev/null', stdout: mio.logFile, stderr: mio.logFile, terminal: tty });
  await phase('core start', () => start(rt, id), id);
  await recordEvent(store.root, store.namespace, '/tasks/start', { container_id: id, pid: r.pid });
  note(`pid ${r.pid} running detached (monitor pid ${parent.monitorPid()}); output in ${mio.logFile}`);
  // The task runs on: nothing is undone.
  td.forget();
  return 0;
}

async function recordTaskCreate(req: StartRequest, pid: number, io: { stdin: string; stdout: string; stderr: string; terminal: boolean }): Promise<void> {
  await recordEvent(req.store.root, req.store.namespace, '/tasks/create', { container_id: req.id, bundle: req.store.taskDir(req.id), rootfs: [], io, pid });
}

async function startForeground(req: StartRequest, spec: Spec, td: Teardown, note: (w: string) => void, done: Done): Promise<number> {
  const { store, sys, id } = req;
  const c = store.get(id);
  const rt = runtimeOf(store, sys, req.notice);
  // -t: the pty comes from the container's own devpts, opened after pivot_root; /dev/console is bound to it.
  const term = spec.process!.terminal ? openConsoleChannel(sys, td) : undefined;
  let launched: { pid: number; pidfd: number } | undefined;
  const launchStart = process.hrtime.bigint();
  const r = await phase('core create', () => create(rt, {
    ...coreOptions(req, c, inProcessParent(sys, { dieWithParent: true })),
    ...(term ? { stdio: 'pty' as const, consoleSocket: term.socket } : {}),
    onLaunched: (l) => { launched = l; },
  }), id);
  const io: ContainerIo = term ? await term.receive(launched!) : passThroughIo();
  await recordTaskCreate(req, r.pid, { stdin: '', stdout: '', stderr: '', terminal: !!term });
  await phase('core start', () => start(rt, id), id);
  await recordEvent(store.root, store.namespace, '/tasks/start', { container_id: id, pid: r.pid });
  note(`pid ${r.pid} running (create + start took ${(Number(process.hrtime.bigint() - launchStart) / 1e6).toFixed(1)} ms)`);
  // OOM kills as they happen: each a /tasks/oom (in order before the exit), counted in <bundle>/oom for tasks ls.
  let oomEvents = Promise.resolve();
  let kills = 0;
  const tOom = performance.now();
  const oom = watchOomIfLimited(r.cgroupsPath ? openCgroupByPath(r.cgroupsPath, r.cgroupLayout).oomSource() : undefined, sys, (n) => {
    kills += n;
    try { writeFileSync(join(store.taskDir(id), 'oom'), `${kills}\n`); } catch { /* the bundle is going */ }
    oomEvents = oomEvents.then(() => recordEvent(store.root, store.namespace, '/tasks/oom', { container_id: id }));
  }, req.notice);
  td.push('stop OOM watch', () => oom?.stop());
  endPhase('OOM watch', tOom, oom ? 'eventfd or inotify' : 'no memory controller');
  const status = await phase('wait', () => superviseProcess(sys, launched!, io, td), `pid ${r.pid}`);
  oom?.stop();
  await oomEvents;
  phase('exit status write', () => rt.dir.writeExit(id, rawWaitStatus(status)));
  const exited = { container_id: id, id, pid: r.pid, exit_status: exitCodeOf(status), exited_at: isoString() };
  await recordEvent(store.root, store.namespace, '/tasks/exit', exited);
  note(`exited: ${describeStatus(status)}`);
  done.exited = exited;
  return exitCodeOf(status);
}

/** A foreground task's OOM watch (oom.ts); a machine without a memory controller just has none. */
function watchOomIfLimited(src: OomSource | undefined, sys: Sys, onOom: (kills: number) => void, notice: (l: string) => void) {
  if (!src) return undefined;
  try {
    return watchOom(src, sys, onOom);
  } catch (e) {
    notice(`warning: OOM kills will not be reported: ${(e as Error).message}`);
    return undefined;
  }
}

/** The status as waitpid(2) gives it, as the monitor records it. */
export function rawWaitStatus(s: WaitStatus): number {
  return s.kind === 'exited' ? (s.code & 0xff) << 8 : (s.signal & 0x7f) | (s.coreDumped ? 0x80 : 0);
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
