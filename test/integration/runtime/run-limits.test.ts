// Limits are enforced (the tests exceed them), cgroups are removed after,
// and a user-namespaced container is root inside and uid 100000 outside.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { rootTest } from '../../helpers/root.js';
import { Env, FIXTURE_REF } from '../../helpers/tsctr.js';
import { detectHostCgroups } from '../../../src/oci/cgroups/index.js';

let env: Env;
test.before(() => {
  env = new Env('limits');
  if (process.geteuid?.() === 0) env.importFixture();
});
test.after(() => env.cleanup());

async function stop(p: import('node:child_process').ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const gone = new Promise((r) => p.on('exit', r));
  p.kill('SIGTERM');
  await gone;
}

/** The container's cgroup directories on the host, one per hierarchy. */
function cgroupDirs(id: string): string[] {
  const l = detectHostCgroups();
  return [...l.v1, ...(l.unified ? [l.unified] : [])].map((h) => `${h.ownDir}/tsctr/default/${id}`);
}

rootTest(test, 'a container over its memory limit is OOM-killed (128+9)', () => {
  const r = env.run(['run', '--rm', '--memory-limit', '32m', FIXTURE_REF, 'mem1', 'sh', '-c', 'x=$(head -c 64000000 /dev/zero | tr "\\0" a); echo survived ${#x}']);
  assert.is(r.code, 137, r.stdout + r.stderr);
  assert.not.match(r.stdout, /survived/);
  for (const d of cgroupDirs('mem1')) assert.not.ok(existsSync(d), `${d} was left behind`);
  // Under the limit the same work passes.
  const ok = env.run(['run', '--rm', '--memory-limit', '256m', FIXTURE_REF, 'mem2', 'sh', '-c', 'x=$(head -c 16000000 /dev/zero | tr "\\0" a); echo survived ${#x}']);
  assert.is(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /survived 16000000/);
});

rootTest(test, 'a container over its pids limit cannot fork', () => {
  const r = env.run(['run', '--rm', '--pids-limit', '10', FIXTURE_REF, 'pids1', 'sh', '-c', 'for i in $(seq 1 20); do sleep 1 & done; wait']);
  assert.ok(r.code !== 0);
  assert.match(r.stderr, /can't fork: Resource temporarily unavailable/);
  for (const d of cgroupDirs('pids1')) assert.not.ok(existsSync(d), `${d} was left behind`);
});

rootTest(test, 'limits are readable from inside and through tasks metrics', async () => {
  const p = env.spawn(['run', '--rm', '--memory-limit', '48m', '--pids-limit', '33', '--cpus', '0.5', FIXTURE_REF, 'met1', 'sleep', '30'], { stdio: 'ignore' });
  try {
    let m: Record<string, number> | undefined;
    let units: Record<string, string> = {};
    // Once it runs: a task is listed from the core's create on, before its process has exec'd.
    for (let i = 0; i < 200 && !/met1\s+\d+\s+RUNNING/.test(env.run(['tasks', 'ls']).stdout); i++) await new Promise((res) => setTimeout(res, 50));
    for (let i = 0; i < 200 && !m; i++) {
      const r = env.run(['tasks', 'metrics', '--json', 'met1']);
      if (r.code === 0) {
        const list = JSON.parse(r.stdout) as { name: string; value: number; unit: string }[];
        m = Object.fromEntries(list.map((x) => [x.name, x.value]));
        units = Object.fromEntries(list.map((x) => [x.name, x.unit]));
      } else await new Promise((res) => setTimeout(res, 50));
    }
    assert.ok(m, 'metrics never appeared');
    assert.is(m!['memory.limit_bytes'], 48 * 1024 * 1024);
    assert.is(m!['pids.limit'], 33);
    assert.is(m!['pids.current'], 1);
    assert.ok(m!['memory.usage_bytes']! > 0);
    assert.equal([units['memory.limit_bytes'], units['memory.oom_kills'], units['pids.current'], units['cpu.usage_ns']], ['bytes', 'count', 'count', 'ns']);
    // The table shows counts as counts, sizes as sizes (it printed `oom_kills 0 B` once).
    const table = env.run(['tasks', 'metrics', 'met1']).stdout;
    assert.match(table, /memory\.oom_kills\s+0\n/);
    assert.match(table, /memory\.limit_bytes\s+48\.0 MiB\n/);
    assert.match(table, /pids\.limit\s+33\n/);
    assert.equal(env.run(['tasks', 'metrics', '-q', 'met1']).stdout.split('\n').filter(Boolean).slice(0, 2), ['memory.usage_bytes', 'memory.max_usage_bytes']);
  } finally {
    await stop(p);
  }
});

rootTest(test, '--uidmap/--gidmap: root inside, uid 100000 on the host, files usable', async () => {
  const p = env.spawn(['run', '--rm', '--uidmap', '0:100000:65536', '--gidmap', '0:100000:65536', FIXTURE_REF, 'u1', 'sh', '-c', 'id -u > /tmp/inside; touch /root/written && echo ok >> /tmp/inside; sleep 30'], { stdio: 'ignore' });
  try {
    let pid: number | undefined;
    for (let i = 0; i < 200 && !pid; i++) {
      const t = (JSON.parse(env.run(['tasks', 'ls', '--json']).stdout || '[]') as { id: string; pid: number }[]).find((x) => x.id === 'u1');
      if (t) pid = t.pid;
      else await new Promise((res) => setTimeout(res, 50));
    }
    assert.ok(pid, 'the task never appeared');
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    assert.match(status, /^Uid:\s+100000\s+100000\s+100000\s+100000$/m, 'uid 100000 seen from the host');
    assert.match(status, /^Gid:\s+100000\s+100000\s+100000\s+100000$/m);
    // The container's files, seen from the host through its root.
    let inside = '';
    for (let i = 0; i < 100 && !inside.includes('ok'); i++) {
      inside = existsSync(`/proc/${pid}/root/tmp/inside`) ? readFileSync(`/proc/${pid}/root/tmp/inside`, 'utf8') : '';
      if (!inside.includes('ok')) await new Promise((res) => setTimeout(res, 50));
    }
    assert.is(inside, '0\nok\n', 'root inside, and /root is writable');
  } finally {
    await stop(p);
  }
});

test.run();
