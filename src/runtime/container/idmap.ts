// Ownership of an active snapshot for a container in a user namespace.
//
// A container with --uidmap 0:100000:65536 runs as host uid 100000; the
// image's files belong to host uid 0, which the namespace cannot map, so it
// sees them as nobody and cannot write /root or /etc. Idmapped mounts would
// avoid touching the files, but overlayfs only accepts idmapped layers, not
// an idmapped overlay mount, and that needs open_tree/mount_setattr plumbing
// per layer. So, as containerd's `--remap-labels`-less path does, we shift
// the ownership of the container's own snapshot: each file is lchowned to
// its mapped id (overlayfs copies the metadata up; lower layers stay shared
// and unchanged). chown clears setuid/setgid, so those modes are put back.
import { chmodSync, lchownSync, lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { IdMapping } from '../spec/index.js';

/** The host id of a container id, or undefined when it is not mapped. */
export function mapId(id: number, maps: IdMapping[]): number | undefined {
  for (const m of maps) if (id >= m.containerID && id < m.containerID + m.size) return m.hostID + (id - m.containerID);
  return undefined;
}

/** Shifts ownership of every file below root (one filesystem) from container ids to host ids. Returns the count. */
export function shiftOwnership(root: string, uids: IdMapping[], gids: IdMapping[]): number {
  const rootDev = lstatSync(root).dev;
  let n = 0;
  const visit = (p: string) => {
    const st = lstatSync(p);
    if (st.dev !== rootDev) return; // a mount inside: not ours to change
    const uid = mapId(st.uid, uids) ?? st.uid;
    const gid = mapId(st.gid, gids) ?? st.gid;
    if (uid !== st.uid || gid !== st.gid) {
      lchownSync(p, uid, gid);
      if (!st.isSymbolicLink() && st.mode & 0o6000) chmodSync(p, st.mode & 0o7777);
      n++;
    }
    if (st.isDirectory()) for (const e of readdirSync(p)) visit(join(p, e));
  };
  visit(root);
  return n;
}
