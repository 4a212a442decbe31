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
// The image's symlinks are never followed (native/idmap.c).
import type { Sys } from '../sys/index.js';
import type { IdMapping } from '../oci/spec/index.js';

/** The host id of a container id, or undefined when it is not mapped. */
export function mapId(id: number, maps: IdMapping[]): number | undefined {
  for (const m of maps) if (id >= m.containerID && id < m.containerID + m.size) return m.hostID + (id - m.containerID);
  return undefined;
}

/**
 * Shifts ownership of every file below root (one filesystem) from container
 * ids to host ids. The walk is native (native/idmap.c): directories opened
 * with O_NOFOLLOW relative to their parent, entries changed with
 * fchownat(AT_SYMLINK_NOFOLLOW), so a symlink in the image cannot redirect a
 * chown to the host. Returns the count.
 */
export function shiftOwnership(sys: Sys, root: string, uids: IdMapping[], gids: IdMapping[]): number {
  return sys.shiftOwnership(root, uids, gids);
}
