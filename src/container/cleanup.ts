// Leftovers of a tsctr that was itself SIGKILLed mid-run: its container's
// process died with it (parent-death signal), but the rootfs mount, the
// cgroup and the task state stayed. The next command that touches the
// container finds and removes them, and says so.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Sys } from '../sys/index.js';
import { openCgroupByPath } from './cgroup.js';
import { releaseRootfs } from './rootfs.js';
import { recordEvent } from './events/index.js';
import type { ContainerStore, TaskState } from './store.js';

function isMounted(path: string): boolean {
  const info = readFileSync('/proc/self/mountinfo', 'utf8');
  return info.split('\n').some((l) => l.split(' ')[4] === path);
}

/** Releases a stopped task's rootfs mount, cgroup and state; returns what was done. */
export async function releaseTask(store: ContainerStore, t: TaskState, sys: Sys): Promise<string[]> {
  const done: string[] = [];
  if (t.rootfsMounted && isMounted(t.rootfs)) {
    await releaseRootfs({ path: t.rootfs, mounted: true }, sys);
    done.push('unmounted rootfs');
  }
  if (t.cgroupsPath) {
    if (await openCgroupByPath(t.cgroupsPath).destroy()) done.push(`removed cgroup ${t.cgroupsPath}`);
  }
  // CNI DEL before the task directory (and the network record in it) goes.
  if (existsSync(join(store.taskDir(t.id), 'network.json'))) {
    const { teardownContainerNetwork } = await import('./network/index.js');
    done.push(...await teardownContainerNetwork(store.taskDir(t.id), sys));
  }
  store.removeTask(t.id);
  done.push('removed task state');
  return done;
}

/** Removes what a dead task left; returns a line for the user. */
export async function cleanupLeftover(store: ContainerStore, t: TaskState, sys: Sys): Promise<string> {
  const done = await releaseTask(store, t, sys);
  // Its tsctr died with it, so no /tasks/exit was written: the delete says the status is lost (255, as containerd).
  await recordEvent(store.root, store.namespace, '/tasks/delete', { container_id: t.id, id: t.id, pid: t.pid, exit_status: 255, exited_at: new Date().toISOString() });
  const c = store.find(t.id);
  if (c?.removeOnExit) {
    if (c.snapshotter && c.snapshotKey) {
      const { getSnapshotter } = await import('../snapshot/index.js');
      await getSnapshotter(store.root, c.snapshotter, sys).withNamespace(store.namespace).remove(c.snapshotKey).catch(() => undefined);
      done.push('removed snapshot');
      await recordEvent(store.root, store.namespace, '/snapshot/remove', { key: c.snapshotKey, snapshotter: c.snapshotter });
    }
    store.remove(t.id);
    await recordEvent(store.root, store.namespace, '/containers/delete', { id: t.id });
    done.push('removed container (--rm)');
  }
  return `container "${t.id}": its tsctr (pid ${t.cliPid}) was killed; cleaned up: ${done.join(', ')}`;
}
