// Writing a user namespace's id maps from the parent while the child waits
// on its sync pipe (user_namespaces(7)): one write(2) per map.
import { closeSync, openSync, writeSync } from 'node:fs';
import type { IdMapping } from './spec/index.js';

export function writeIdMaps(pid: number, uid: IdMapping[], gid: IdMapping[]): void {
  const text = (m: IdMapping[]) => m.map((x) => `${x.containerID} ${x.hostID} ${x.size}`).join('\n');
  if (uid.length) writeProc(`/proc/${pid}/uid_map`, text(uid));
  if (gid.length) writeProc(`/proc/${pid}/gid_map`, text(gid));
}

function writeProc(path: string, data: string): void {
  const fd = openSync(path, 'w');
  try {
    // One write(2): the kernel refuses a map written in pieces.
    writeSync(fd, data);
  } finally {
    closeSync(fd);
  }
}

/** The host id a container id maps to (user_namespaces(7)); the id itself without maps, undefined when unmapped. */
export function hostIdOf(id: number, maps: IdMapping[]): number | undefined {
  if (maps.length === 0) return id;
  const m = maps.find((x) => id >= x.containerID && id < x.containerID + x.size);
  return m ? m.hostID + (id - m.containerID) : undefined;
}
