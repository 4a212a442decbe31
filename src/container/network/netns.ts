// A network namespace that exists before the container's process does, so
// CNI plugins can enter it by path (CNI_NETNS) and the container can join it
// (spec linux.namespaces {type: network, path}). The executor clones a child
// in a new netns (no JavaScript runs in it) which brings lo up and exits;
// while it waits on the sync pipe we bind-mount /proc/<pid>/ns/net onto a
// file, which keeps the namespace alive after the child is gone (as
// `ip netns add` does).
import { closeSync, openSync, rmSync } from 'node:fs';
import { CLONE, MS, MNT } from '../../sys/constants.js';
import type { Sys } from '../../sys/index.js';
import { launch } from '../../oci/launcher.js';

export async function createNetns(sys: Sys, path: string): Promise<void> {
  closeSync(openSync(path, 'wx', 0o444));
  try {
    const l = await launch(sys, [{ op: 'loopback_up' }], {
      cloneFlags: CLONE.NEWNET,
      beforeStart: (pid) => sys.mount(`/proc/${pid}/ns/net`, path, null, MS.BIND, null),
    });
    await sys.wait(l.pid);
    closeSync(l.pidfd);
  } catch (e) {
    removeNetns(sys, path);
    throw e;
  }
}

/** Unmounts and removes the file; the namespace goes when nothing else holds it. Quiet when already gone. */
export function removeNetns(sys: Sys, path: string): void {
  try {
    sys.umount2(path, MNT.DETACH);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code !== 'EINVAL' && code !== 'ENOENT') throw e;
  }
  rmSync(path, { force: true });
}
