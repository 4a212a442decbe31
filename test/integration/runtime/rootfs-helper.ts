// A busybox-static root filesystem in /tmp for runtime integration tests:
// /bin/busybox plus the applet symlinks `busybox --install -s` makes.
import { execFileSync } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, openSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch } from '../../../src/oci/launcher.js';
import { createPlan, type PlanOptions } from '../../../src/oci/plan/index.js';
import type { Spec } from '../../../src/oci/spec/index.js';
import { loadSys } from '../../../src/sys/index.js';

export const lastCap = Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8'));

export const BUSYBOX = '/bin/busybox';
export const hasBusybox = existsSync(BUSYBOX) && isStatic(BUSYBOX);

function isStatic(path: string): boolean {
  try {
    return !execFileSync('file', ['-L', path], { encoding: 'utf8' }).includes('dynamically linked');
  } catch {
    // No file(1): trust the ELF header has no PT_INTERP (read the first 4 KiB).
    const b = readFileSync(path).subarray(0, 4096);
    return !b.includes(Buffer.from('/lib64/ld-linux'));
  }
}

export interface TestRootfs {
  dir: string;
  rootfs: string;
  remove(): void;
}

export function makeBusyboxRootfs(prefix = 'tsctr-rt-'): TestRootfs {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const rootfs = join(dir, 'rootfs');
  for (const d of ['bin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'root']) mkdirSync(join(rootfs, d), { recursive: true });
  copyFileSync(BUSYBOX, join(rootfs, 'bin/busybox'));
  // `busybox --install -s` would link to the host path of the binary; link
  // each applet to the relative "busybox" instead so the links work inside.
  for (const applet of execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean)) {
    if (applet !== 'busybox') symlinkSync('busybox', join(rootfs, 'bin', applet));
  }
  writeFileSync(join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
  writeFileSync(join(rootfs, 'etc/group'), 'root:x:0:\ntty:x:5:\nnogroup:x:65534:\n');
  return { dir, rootfs, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs spec in the rootfs; resolves with its exit code and what it wrote to stdout/stderr. */
export async function runSpec(spec: Spec, rootfs: string, outFile: string, plan: Partial<PlanOptions> = {}, beforeStart?: (pid: number) => void | Promise<void>): Promise<{ code: number; out: string }> {
  const sys = await loadSys();
  const out = openSync(outFile, 'w');
  const nul = openSync('/dev/null', 'r');
  try {
    const p = createPlan(spec, { rootfs, lastCap, stdio: { stdin: nul, stdout: out, stderr: out }, ...plan });
    const child = await launch(sys, p.ops, { cloneFlags: p.cloneFlags, beforeStart });
    const st = await sys.wait(child.pid);
    closeSync(child.pidfd);
    return { code: st.kind === 'exited' ? st.code : 128 + st.signal, out: readFileSync(outFile, 'utf8') };
  } finally {
    closeSync(out);
    closeSync(nul);
  }
}

