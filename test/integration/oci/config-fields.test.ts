// config.json fields of the audit, run for real through bin/tsctr-runc on a
// busybox bundle: time namespace offsets, personality, I/O priority, a user
// namespace whose root is not the host's (the exec fifo must be readable by
// it), a joined mount namespace, and a refusal by name.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Spec } from '../../../src/oci/spec/index.js';
import { hasBusybox, makeBusyboxRootfs } from '../runtime/rootfs-helper.js';
import { runcAt, sleep, writeBundle } from './runc-helper.js';

const root = mkdtempSync(join(tmpdir(), 'audit-state-'));
const skip = process.geteuid?.() !== 0 ? 'needs root' : !hasBusybox ? 'needs a static /bin/busybox' : undefined;
if (skip) console.log(`oci/config-fields: skipped (${skip})`);

const runc = runcAt(root, 60000);

const bundle = writeBundle;

/** runc run (foreground): the container's output and exit code. */
function run(id: string, args: string[], edit: (s: Spec) => void = () => {}) {
  const fs = makeBusyboxRootfs('audit-');
  try {
    return runc('run', '--bundle', bundle(fs, args, edit), id);
  } finally {
    runc('delete', '--force', id);
    fs.remove();
  }
}

test('linux.timeOffsets: boottime moves /proc/uptime inside, the host clock does not move', () => {
  if (skip) return;
  const hostUptime = Number(spawnSync('cat', ['/proc/uptime'], { encoding: 'utf8' }).stdout.split(' ')[0]);
  const r = run('audit-time', ['cat', '/proc/uptime'], (s) => {
    s.linux!.namespaces!.push({ type: 'time' });
    s.linux!.timeOffsets = { boottime: { secs: 10 * 86400 } };
  });
  assert.is(r.code, 0, r.err);
  const inside = Number(r.out.split(' ')[0]);
  assert.ok(inside >= hostUptime + 10 * 86400 - 5 && inside < hostUptime + 10 * 86400 + 120, `uptime inside ${inside}, host ${hostUptime}`);
  assert.ok(Number(spawnSync('cat', ['/proc/uptime'], { encoding: 'utf8' }).stdout.split(' ')[0]) < 10 * 86400 + hostUptime - 5, 'the host is unchanged');
});

test('linux.personality LINUX32: uname -m reports a 32-bit machine', () => {
  if (skip || process.arch !== 'x64') return;
  const r = run('audit-pers', ['uname', '-m'], (s) => { s.linux!.personality = { domain: 'LINUX32' }; });
  assert.is(r.code, 0, r.err);
  assert.is(r.out.trim(), 'i686');
  assert.is(run('audit-pers2', ['uname', '-m']).out.trim(), 'x86_64');
});

test('process.ioPriority: the process runs in the class asked for', () => {
  if (skip) return;
  const r = run('audit-ioprio', ['ionice'], (s) => { s.process!.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 6 }; });
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /best-effort: prio 6/);
});

test('a user namespace whose root is host uid 1000: create, start and run (the exec fifo is the process\'s to read)', () => {
  if (skip) return;
  const fs = makeBusyboxRootfs('audit-');
  chmodSync(fs.dir, 0o755);
  try {
    const b = bundle(fs, ['sh', '-c', 'id -u; cat /proc/self/uid_map'], (s) => {
      s.linux!.namespaces!.push({ type: 'user' });
      s.linux!.uidMappings = [{ containerID: 0, hostID: 1000, size: 1000 }];
      s.linux!.gidMappings = [{ containerID: 0, hostID: 1000, size: 1000 }];
    });
    const r = runc('run', '--bundle', b, 'audit-userns');
    assert.is(r.code, 0, r.err);
    assert.match(r.out, /^0\n\s+0\s+1000\s+1000/);
  } finally {
    runc('delete', '--force', 'audit-userns');
    fs.remove();
  }
});

test('a mount namespace joined by path: the container is in it, with its rootfs set up there', async () => {
  if (skip) return;
  // --kill-child: the sleep dies with the unshare we kill.
  const holder = spawn('unshare', ['--mount', '--propagation', 'private', '--fork', '--kill-child', 'sleep', '1000'], { stdio: 'ignore' });
  const fs = makeBusyboxRootfs('audit-');
  let child = 0;
  try {
    let nsPath = '';
    for (let i = 0; i < 100 && !nsPath; i++) {
      await new Promise((r) => setTimeout(r, 20));
      const kids = spawnSync('pgrep', ['-P', String(holder.pid)], { encoding: 'utf8' }).stdout.trim();
      if (kids) {
        child = Number(kids.split('\n')[0]);
        const p = `/proc/${child}/ns/mnt`;
        if (readlinkSync(p) !== readlinkSync('/proc/self/ns/mnt')) nsPath = p;
      }
    }
    assert.ok(nsPath, 'the holder has its own mount namespace');
    const b = bundle(fs, ['sleep', '1000'], (s) => { s.linux!.namespaces = s.linux!.namespaces!.map((n) => (n.type === 'mount' ? { type: 'mount', path: nsPath } : n)); });
    const c = runc('create', '--bundle', b, 'audit-mntns');
    assert.is(c.code, 0, c.err);
    const pid = (JSON.parse(runc('state', 'audit-mntns').out) as { pid: number }).pid;
    assert.is(readlinkSync(`/proc/${pid}/ns/mnt`), readlinkSync(nsPath));
    assert.is(readlinkSync(`/proc/${pid}/root`), '/', 'its root is the bundle rootfs, pivoted');
    assert.ok(existsSync(`/proc/${pid}/root/bin/busybox`), 'the bundle rootfs is its root');
  } finally {
    runc('delete', '--force', 'audit-mntns');
    holder.kill('SIGKILL');
    if (child) try { process.kill(child, 'SIGKILL'); } catch { /* gone with its parent */ }
    fs.remove();
  }
});

test('a field tsctr-runc does not do is refused in one line naming it, and nothing is left', () => {
  if (skip) return;
  const r = run('audit-refuse', ['true'], (s) => { s.linux!.intelRdt = { closID: 'x' }; });
  assert.is(r.code, 1);
  assert.match(r.err, /config\.json: linux\.intelRdt is not supported by tsctr-runc/);
  assert.is(r.err.trim().split('\n').length, 1, r.err);
  assert.match(runc('state', 'audit-refuse').err, /container does not exist/);
});

test.after(() => rmSync(root, { recursive: true, force: true }));
test.run();
