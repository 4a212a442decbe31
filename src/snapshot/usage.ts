// Disk usage of a directory tree the way containerd's fs.DiskUsage counts it:
// each inode once (hardlinks), bytes allocated (st_blocks * 512).
import * as fs from 'node:fs';
import { join } from 'node:path';
import type { Usage } from './types.js';

export function diskUsage(root: string): Usage {
  const seen = new Set<bigint>();
  let size = 0;
  const visit = (p: string) => {
    const st = fs.lstatSync(p, { bigint: true, throwIfNoEntry: false });
    if (!st) return;
    if (!seen.has(st.ino)) {
      seen.add(st.ino);
      size += Number(st.blocks) * 512;
    }
    if (st.isDirectory()) for (const n of fs.readdirSync(p)) visit(join(p, n));
  };
  visit(root);
  return { size, inodes: seen.size };
}
