// /dev inside the container, after runc rootfs_linux.go createDevices,
// setupPtmx and setupDevSymlinks.
import { posix } from 'node:path';
import { MS, S_IF } from '../../sys/constants.js';
import type { PlanOp } from '../launch-plan.js';
import { DEFAULT_DEVICES } from '../spec/defaults.js';
import type { Device } from '../spec/types.js';
import { inRootPath } from './mounts.js';

const TYPE_BITS: Record<Device['type'], number> = { c: S_IF.CHR, u: S_IF.CHR, b: S_IF.BLK, p: S_IF.IFO };

/**
 * Device nodes: mknod as root in the host user namespace; in a user
 * namespace mknod is refused (EPERM), so bind-mount the host's node onto an
 * empty file instead, as runc does (bindMountDeviceNode).
 */
export function compileDevices(extra: Device[], inUserns: boolean, withDefaults = true): PlanOp[] {
  const inRoot = true;
  const ops: PlanOp[] = [];
  const seen = new Set<string>();
  const defaults: Device[] = withDefaults ? DEFAULT_DEVICES.map((d) => ({ ...d, fileMode: 0o666, uid: 0, gid: 0 })) : [];
  const all: Device[] = [...extra, ...defaults];
  for (const d of all) {
    if (seen.has(d.path)) continue; // a spec device overrides a default one
    seen.add(d.path);
    const path = inRootPath(d.path);
    const dir = posix.dirname(path);
    if (dir !== '/dev') ops.push({ op: 'mkdir', path: dir, mode: 0o755, parents: true, inRoot });
    if (inUserns) {
      // The source is the host's node (a host path tsctr names); the target is inside the root.
      ops.push({ op: 'create_file', path, mode: 0o644, inRoot });
      ops.push({ op: 'mount', source: d.path, target: path, fstype: 'bind', flags: MS.BIND, data: null, inRoot });
      continue;
    }
    const perm = d.fileMode ?? 0o666;
    ops.push({ op: 'mknod', path, mode: TYPE_BITS[d.type] | (perm & 0o7777), major: d.major ?? 0, minor: d.minor ?? 0, inRoot });
    if ((d.uid ?? 0) !== 0 || (d.gid ?? 0) !== 0) ops.push({ op: 'lchown', path, uid: d.uid ?? 0, gid: d.gid ?? 0, inRoot });
  }
  return ops;
}

/** /dev/ptmx → pts/ptmx (the newinstance devpts) and the /proc/self/fd links. */
export function compileDevSymlinks(): PlanOp[] {
  const link = (target: string, name: string): PlanOp => ({ op: 'symlink', target, linkpath: '/dev/' + name, inRoot: true });
  return [
    link('pts/ptmx', 'ptmx'),
    link('/proc/self/fd', 'fd'),
    link('/proc/self/fd/0', 'stdin'),
    link('/proc/self/fd/1', 'stdout'),
    link('/proc/self/fd/2', 'stderr'),
  ];
}

/** /dev/console: the pty slave bound onto an empty file (runc setupConsole / mountConsole). */
export function compileConsole(slavePath: string): PlanOp[] {
  const path = '/dev/console';
  return [
    { op: 'create_file', path, mode: 0o666, inRoot: true },
    { op: 'mount', source: slavePath, target: path, fstype: 'bind', flags: MS.BIND, data: null, inRoot: true },
  ];
}
