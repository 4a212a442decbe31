// tsctr check on this machine, as root and as an unprivileged user.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { rootTest } from '../helpers/root.js';
import { BIN, REPO } from '../helpers/tsctr.js';

interface Row { name: string; status: string; detail: string; hint?: string; required: boolean }

rootTest(test, 'as root: namespaces, overlayfs, pivot_root and the cgroup layout are found by trying', () => {
  const r = spawnSync(process.execPath, [BIN, 'check', '--json'], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { ok: boolean; results: Row[] };
  assert.ok(out.ok);
  const row = (n: string) => out.results.find((x) => x.name === n)!;
  for (const ns of ['mnt', 'uts', 'ipc', 'pid', 'net', 'user', 'cgroup', 'time']) assert.is(row(`namespace ${ns}`).status, 'ok', ns);
  assert.is(row('overlayfs').status, 'ok');
  assert.is(row('pivot_root').status, 'ok');
  assert.is(row('seccomp').status, 'ok');
  assert.is(row('cgroup create').status, 'ok');
  // The default device rules' BPF program loads and attaches (a scratch cgroup2 dir, removed again).
  if (/ - cgroup2 /.test(readFileSync('/proc/self/mountinfo', 'utf8'))) assert.match(row('cgroup v2 device filter').detail, /^BPF_PROG_TYPE_CGROUP_DEVICE program \(\d+ instructions\) loaded and attached/);
  // Detected, not assumed: compare with what /proc/self/mountinfo says.
  const mi = spawnSync('sh', ['-c', 'grep -c " - cgroup2 " /proc/self/mountinfo; grep -c " - cgroup " /proc/self/mountinfo'], { encoding: 'utf8' }).stdout.trim().split('\n').map(Number);
  const [v2, v1] = [mi[0]!, mi[1]!];
  const expected = v1 && v2 ? 'hybrid' : v1 ? 'v1' : 'v2';
  assert.match(row('cgroup mode').detail, new RegExp(`^${expected}`));
  for (const r of out.results) if (r.status !== 'ok') assert.ok(r.hint, `${r.name} is ${r.status} without a hint`);
  const table = spawnSync(process.execPath, [BIN, 'check'], { encoding: 'utf8' });
  assert.match(table.stdout, /^CHECK\s+STATUS\s+DETAIL\s+HINT/m);
  assert.match(table.stdout, /this machine can run containers/);
});

/** Runs tsctr as nobody. The clone may sit below a directory nobody cannot enter (/root): show it through a bind mount. */
function asNobody(args: string[]) {
  const view = mkdtempSync('/tmp/tsctr-check-view-');
  try {
    const quoted = args.map((a) => `'${a}'`).join(' ');
    const script = `mount --bind '${REPO}' '${view}' && exec setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all '${process.execPath}' '${view}/bin/tsctr' ${quoted}`;
    return spawnSync('unshare', ['-m', 'sh', '-c', script], { encoding: 'utf8' });
  } finally {
    rmSync(view, { recursive: true, force: true });
  }
}

rootTest(test, 'as nobody: run says it needs root, in one line', () => {
  const r = asNobody(['--root', '/tmp/tsctr-check-nobody', 'run', '--rm', 'busybox', 'c1', 'true']);
  assert.is(r.status, 1);
  assert.is(r.stderr.trim(), 'tsctr: run c1: run needs root (running as uid 65534) (hint: run tsctr as root (sudo tsctr …); rootless containers are not supported yet; tsctr check shows what is missing)');
});

rootTest(test, 'as nobody: reports what is missing with hints, exits 1, no crash', () => {
  {
    const r = asNobody(['--root', '/tmp/tsctr-check-nobody', 'check', '--json']);
    assert.is(r.status, 1, r.stderr);
    assert.not.match(r.stderr, /    at /, 'no stack trace');
    const out = JSON.parse(r.stdout) as { ok: boolean; results: Row[] };
    assert.not.ok(out.ok);
    const row = (n: string) => out.results.find((x) => x.name === n)!;
    assert.is(row('root').status, 'fail');
    assert.match(row('root').hint!, /run tsctr as root/);
    assert.is(row('namespace mnt').status, 'fail');
    assert.match(row('namespace mnt').hint!, /needs root or CAP_SYS_ADMIN/);
    assert.is(row('cgroup create').status, 'fail');
    assert.ok(row('cgroup v2 device filter').status !== 'ok' || !/ - cgroup2 /.test(readFileSync('/proc/self/mountinfo', 'utf8')));
    for (const x of out.results) if (x.status !== 'ok') assert.ok(x.hint, `${x.name} is ${x.status} without a hint`);
  }
});

test.run();
