// Releasing a task, and the leftovers of a tsctr that was itself SIGKILLed
// mid-run: its container's process died with it (parent-death signal), but
// the rootfs mount, the cgroup, the network and the core's state stayed; or
// it was killed while setting the bundle up, before the core recorded
// anything. The next command that touches the container finds and removes
// them, and says so.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Sys } from '../sys/index.js';
import { acquireLock } from '../content/lock.js';
import { remove as removeCore } from '../oci/lifecycle.js';
import { openCgroupByPath } from './cgroup.js';
import { releaseRootfs } from './rootfs.js';
import { recordEvent } from './events/index.js';
import type { ContainerStore } from './store.js';
import { readTask, runtimeOf, type Task } from './task.js';
import { isoString } from '../util/iso-time.js';

export function isMounted(path: string): boolean {
  const info = readFileSync('/proc/self/mountinfo', 'utf8');
  return info.split('\n').some((l) => l.split(' ')[4] === path);
}

/** The bundle's rootfs mount point (an image's snapshot is mounted there). */
export const rootfsOf = (store: ContainerStore, id: string) => join(store.taskDir(id), 'rootfs');

/**
 * Releases a task: its process is killed if still there, the network, the
 * rootfs mount and the bundle go, then the core deletes it (its cgroup and
 * state).
 */
export async function releaseTask(store: ContainerStore, sys: Sys, id: string, warn: (l: string) => void = () => {}): Promise<string[]> {
  const rt = runtimeOf(store, sys, warn);
  const record = rt.dir.read(id);
  // The process first (it may hold the mount busy), then what the bundle holds, then the core's cgroup and state.
  if (record && record.pid) {
    const { signalRecord } = await import('../oci/lifecycle.js');
    const { isAlive } = await import('../oci/state.js');
    if (signalRecord(sys, record, 9)) for (let i = 0; i < 500 && isAlive(record); i++) await new Promise((r) => setTimeout(r, 10));
  }
  const done = await releaseBundle(store, sys, id);
  if (rt.dir.exists(id)) {
    await removeCore(rt, id, true);
    done.push(record?.cgroupsPath ? `removed cgroup ${record.cgroupsPath}` : 'removed task state');
  }
  return done;
}

/** The bundle's network, mount and directory (what start.ts set up before the core's create). */
export async function releaseBundle(store: ContainerStore, sys: Sys, id: string): Promise<string[]> {
  const done: string[] = [];
  const dir = store.taskDir(id);
  // CNI DEL before the bundle (and the network record in it) goes.
  if (existsSync(join(dir, 'network.json'))) {
    const { teardownContainerNetwork } = await import('./network/index.js');
    done.push(...await teardownContainerNetwork(dir, sys));
  }
  done.push(...await releaseLegacyTask(store, sys, id));
  if (isMounted(rootfsOf(store, id))) {
    await releaseRootfs({ path: rootfsOf(store, id), mounted: true }, sys);
    done.push('unmounted rootfs');
  }
  if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  return done;
}

/** A task recorded by tsctr before tasks went through the core: its cgroup (the process is gone or killed first). */
async function releaseLegacyTask(store: ContainerStore, sys: Sys, id: string): Promise<string[]> {
  const path = store.legacyTaskPath(id);
  if (!existsSync(path)) return [];
  let t: { pid?: number; startTime?: string; cgroupsPath?: string; rootfs?: string };
  try { t = JSON.parse(readFileSync(path, 'utf8')); } catch { return []; }
  const done: string[] = [];
  if (t.pid && t.startTime) {
    const { signalTask } = await import('./signal.js');
    try { signalTask(sys, { id, pid: t.pid, startTime: t.startTime }, 9); done.push(`killed pid ${t.pid}`); } catch { /* gone */ }
  }
  if (t.cgroupsPath && await openCgroupByPath(t.cgroupsPath).destroy()) done.push(`removed cgroup ${t.cgroupsPath}`);
  if (t.rootfs && t.rootfs !== rootfsOf(store, id) && isMounted(t.rootfs)) {
    await releaseRootfs({ path: t.rootfs, mounted: true }, sys);
    done.push('unmounted rootfs');
  }
  rmSync(path, { force: true });
  done.push('removed the task state of an earlier tsctr');
  return done;
}

/** Removes what a dead foreground task left; returns a line for the user. */
export async function cleanupLeftover(store: ContainerStore, sys: Sys, t: Task): Promise<string> {
  const done = await releaseTask(store, sys, t.id);
  // Its tsctr died with it, so no /tasks/exit was written: the delete says the status is lost (255, as containerd).
  await recordEvent(store.root, store.namespace, '/tasks/delete', { container_id: t.id, id: t.id, pid: t.pid, exit_status: 255, exited_at: isoString() });
  done.push(...await removeIfRm(store, sys, t.id));
  return `container "${t.id}": its tsctr (pid ${t.oci.parent?.pid ?? '?'}) was killed; cleaned up: ${done.join(', ')}`;
}

async function removeIfRm(store: ContainerStore, sys: Sys, id: string): Promise<string[]> {
  const c = store.find(id);
  if (!c?.removeOnExit) return [];
  const done: string[] = [];
  if (c.snapshotter && c.snapshotKey) {
    const { getSnapshotter } = await import('../snapshot/index.js');
    await getSnapshotter(store.root, c.snapshotter, sys).withNamespace(store.namespace).remove(c.snapshotKey).catch(() => undefined);
    done.push('removed snapshot');
    await recordEvent(store.root, store.namespace, '/snapshot/remove', { key: c.snapshotKey, snapshotter: c.snapshotter });
  }
  store.remove(id);
  await recordEvent(store.root, store.namespace, '/containers/delete', { id });
  done.push('removed container (--rm)');
  return done;
}

/**
 * What a tsctr killed before the core recorded its task left: a bundle (a
 * mounted rootfs, a network), or a core directory whose create never
 * finished. Only when nobody holds the task's lock: a live tsctr setting
 * the task up holds it.
 */
export async function cleanupUnrecorded(store: ContainerStore, sys: Sys, id: string): Promise<string | undefined> {
  const rt = store.runtime();
  const recorded = readTask(store, id);
  if (recorded) return undefined;
  const hasBundle = existsSync(store.taskDir(id));
  if (!hasBundle && !rt.exists(id)) return undefined;
  const lock = await acquireLock(store.taskLockPath(id), { tryOnly: true });
  if (!lock) return undefined;
  try {
    if (readTask(store, id)) return undefined;
    const done: string[] = [];
    if (rt.exists(id)) {
      const path = store.find(id)?.spec.linux?.cgroupsPath;
      if (path && await openCgroupByPath(path).destroy()) done.push(`removed cgroup ${path}`);
      rt.remove(id);
      done.push('removed an unfinished create');
    }
    done.push(...await releaseBundle(store, sys, id));
    done.push(...await removeIfRm(store, sys, id));
    const real = done.filter((d) => d !== 'removed task state');
    return real.length ? `container "${id}": its tsctr was killed while setting up; cleaned up: ${real.join(', ')}` : undefined;
  } finally {
    lock.release();
  }
}
