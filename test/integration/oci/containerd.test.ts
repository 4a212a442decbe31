// containerd drives tsctr-runc: our own containerd (private root, state,
// socket, CRI disabled) with containerd-shim-runc-v2 calling bin/tsctr-runc
// (ctr --runc-binary), the runc root private too (--runc-root). Namespace and
// container ids start with ctrd- so parallel runs never share a cgroup path.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadSys, type Sys } from '../../../src/sys/index.js';
import { startContainerd, type Containerd } from '../../helpers/containerd.js';
import { PtySession } from '../../helpers/pty-driver.js';
import { isRoot } from '../../helpers/root.js';
import { FIXTURE_IMAGE, FIXTURE_REF, REPO } from '../../helpers/tsctr.js';

const t = suite('containerd drives tsctr-runc (ctr run, tasks)');
const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
const why = !isRoot ? 'containerd needs root'
  : !has('containerd') || !has('ctr') || !has('containerd-shim-runc-v2') ? 'containerd/ctr are not installed (apt-get install containerd)' : undefined;
const BIN = join(REPO, 'bin/tsctr-runc');
const NS = 'ctrd-test';

let cd: Containerd;
let sys: Sys;
let pty: PtySession | undefined;
const runc = () => ['--runc-binary', BIN, '--runc-root', join(cd.dir, 'runc')];
const ctr = (args: string[]) => cd.ctr(['-n', NS, ...args]);

async function until(what: string, probe: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}
const taskStatus = async (id: string) => (await ctr(['tasks', 'ls'])).stdout.match(new RegExp(`^${id}\\s+\\d+\\s+(\\w+)`, 'm'))?.[1];

if (why) {
  console.log(`  SKIP containerd interop: ${why}`);
} else {
  t.before(async () => {
    if (!existsSync(FIXTURE_IMAGE)) {
      const b = spawnSync(process.execPath, [join(REPO, 'fixtures/make-busybox-image.js')], { encoding: 'utf8' });
      if (b.status !== 0) throw new Error(`building the fixture image failed: ${b.stderr}`);
    }
    sys = await loadSys();
    cd = await startContainerd();
    const imp = await ctr(['images', 'import', FIXTURE_IMAGE]);
    if (imp.code !== 0) throw new Error(`ctr images import: ${imp.stderr}`);
  });
  t.after(async () => {
    pty?.close();
    // Whatever a failed test left: kill and delete its tasks and containers.
    for (const id of (await ctr(['containers', 'ls', '-q'])).stdout.split('\n').filter(Boolean)) {
      await ctr(['tasks', 'kill', '-s', 'SIGKILL', id]);
      await ctr(['tasks', 'delete', '--force', id]);
      await ctr(['containers', 'rm', id]);
    }
    await cd?.stop();
  });

  t('ctr run --rm IMAGE ctrd-1 echo ok prints ok', async () => {
    const r = await ctr(['run', '--rm', ...runc(), FIXTURE_REF, 'ctrd-1', 'echo', 'ok']);
    assert.is(r.stderr, '');
    assert.is(r.stdout, 'ok\n');
    assert.is(r.code, 0);
    assert.is((await ctr(['containers', 'ls', '-q'])).stdout, '', '--rm left no container');
  });

  t('ctr run --rm passes the exit status through', async () => {
    const r = await ctr(['run', '--rm', ...runc(), FIXTURE_REF, 'ctrd-2', 'sh', '-c', 'exit 3']);
    assert.is(r.code, 3, r.stderr);
  });

  t('ctr run -t: a working terminal', async () => {
    pty = new PtySession(sys, ['ctr', '--address', cd.address, '-n', NS, 'run', '-t', '--rm', ...runc(), FIXTURE_REF, 'ctrd-tty', 'sh']);
    await pty.waitFor(/\/ # /);
    // ctr's side of the terminal may add a \r per line: match the marker loosely.
    const sh = async (cmd: string) => {
      const from = pty!.output.length;
      pty!.send(`${cmd}; echo "__DO""NE__"\r`);
      const out = await pty!.waitFor(/__DONE__\r*\n/, from);
      return out.split(/\r*\n/).slice(1, -1).filter((l) => !l.startsWith('__DONE__')).join('\n');
    };
    // The pty is opened inside the container (open_pty): a pts of its own devpts, as runc shows it.
    assert.match((await sh('tty')).trim(), /^\/dev\/pts\/\d+$/);
    assert.is((await sh('echo $((6*7))')).trim(), '42');
    assert.is((await sh('stty size')).trim(), '30 100', 'ctr passes the terminal size on');
    pty.send('exit 5\r');
    const end = await pty.exited;
    assert.is(end.code, 5);
    pty = undefined;
  });

  t('ctr run -d, then tasks ps, pause, resume, kill, delete', async () => {
    const script = 'trap "exit 7" TERM; while true; do sleep 1; done';
    const r = await ctr(['run', '-d', ...runc(), FIXTURE_REF, 'ctrd-d', 'sh', '-c', script]);
    assert.is(r.code, 0, r.stderr);
    assert.is(await taskStatus('ctrd-d'), 'RUNNING');
    const ps = await ctr(['tasks', 'ps', 'ctrd-d']);
    assert.is(ps.code, 0, ps.stderr);
    const pid = (await ctr(['tasks', 'ls'])).stdout.match(/^ctrd-d\s+(\d+)/m)![1]!;
    assert.match(ps.stdout, new RegExp(`^${pid}\\s`, 'm'), 'ps lists the init process');
    const metrics = await ctr(['tasks', 'metrics', 'ctrd-d']);
    assert.is(metrics.code, 0, metrics.stderr);
    assert.match(metrics.stdout, /^pids\.current\s+[1-3]\s*$/m, 'the shell and its sleep');
    const pause = await ctr(['tasks', 'pause', 'ctrd-d']);
    assert.is(pause.code, 0, pause.stderr);
    assert.is(await taskStatus('ctrd-d'), 'PAUSED');
    const resume = await ctr(['tasks', 'resume', 'ctrd-d']);
    assert.is(resume.code, 0, resume.stderr);
    assert.is(await taskStatus('ctrd-d'), 'RUNNING');
    const kill = await ctr(['tasks', 'kill', 'ctrd-d']);
    assert.is(kill.code, 0, kill.stderr);
    await until('ctrd-d to stop', async () => (await taskStatus('ctrd-d')) === 'STOPPED');
    const del = await ctr(['tasks', 'delete', 'ctrd-d']);
    assert.is(del.code, 0, del.stderr);
    assert.match(del.stderr, /exit code 7\b/, 'the exit status of the trap');
    assert.is(await taskStatus('ctrd-d'), undefined);
    assert.is((await ctr(['containers', 'rm', 'ctrd-d'])).code, 0);
  });

  t('ctr tasks exec: output and exit status; -t gives a terminal; a missing program reports the runtime\'s error', async () => {
    const r = await ctr(['run', '-d', ...runc(), FIXTURE_REF, 'ctrd-e', 'sleep', '1000']);
    assert.is(r.code, 0, r.stderr);
    try {
      const ok = await ctr(['tasks', 'exec', '--exec-id', 'e1', 'ctrd-e', 'sh', '-c', 'echo ok']);
      assert.is(ok.stdout, 'ok\n', ok.stderr);
      assert.is(ok.code, 0);
      const four = await ctr(['tasks', 'exec', '--exec-id', 'e2', 'ctrd-e', 'sh', '-c', 'echo $$ >&2; exit 4']);
      assert.is(four.code, 4, four.stderr);
      assert.match(four.stderr, /^\d+\n$/, 'stderr passes through; the process is in the container\'s pid namespace');
      pty = new PtySession(sys, ['ctr', '--address', cd.address, '-n', NS, 'tasks', 'exec', '-t', '--exec-id', 'e3', 'ctrd-e', 'sh']);
      await pty.waitFor(/\/ # /);
      const from = pty.output.length;
      pty.send('tty; echo "__DO""NE__"\r');
      const out = await pty.waitFor(/__DONE__\r*\n/, from);
      assert.match(out, /\/dev\/pts\/\d+\r*\n/);
      pty.send('exit 6\r');
      assert.is((await pty.exited).code, 6);
      pty = undefined;
      const missing = await ctr(['tasks', 'exec', '--exec-id', 'e4', 'ctrd-e', '/no/such/program']);
      assert.is.not(missing.code, 0);
      assert.match(missing.stderr, /OCI runtime exec failed: .*"\/no\/such\/program".*ENOENT/);
      assert.not.match(missing.stderr, /\n\s+at /, 'no stack trace');
      assert.is(await taskStatus('ctrd-e'), 'RUNNING', 'the task is unharmed');
    } finally {
      await ctr(['tasks', 'kill', '-s', 'SIGKILL', 'ctrd-e']);
      await until('ctrd-e to stop', async () => (await taskStatus('ctrd-e')) === 'STOPPED');
      await ctr(['tasks', 'delete', 'ctrd-e']);
      await ctr(['containers', 'rm', 'ctrd-e']);
    }
  });

  t('a command that does not exist: the runtime\'s error shows in ctr\'s', async () => {
    const r = await ctr(['run', '--rm', ...runc(), FIXTURE_REF, 'ctrd-missing', '/no/such/program']);
    assert.is.not(r.code, 0);
    assert.match(r.stderr, /OCI runtime create failed: .*"\/no\/such\/program".*ENOENT/);
    assert.not.match(r.stderr, /unable to retrieve OCI runtime error/);
    assert.not.match(r.stderr, /\n\s+at /, 'no stack trace');
  });

  t('a usage error (unknown sub-command flag) is still reported through --log', async () => {
    const log = join(cd.dir, 'usage-log.json');
    const r = spawnSync(BIN, ['--root', join(cd.dir, 'runc'), '--log', log, '--log-format', 'json', 'ps', 'ctrd-x', '--bogus-flag'], { encoding: 'utf8' });
    assert.is(r.status, 1);
    const last = JSON.parse(readFileSync(log, 'utf8').trim().split('\n').pop()!);
    assert.is(last.level, 'error');
    assert.match(last.msg, /bogus-flag/);
  });

  t('containerd\'s config file names tsctr-runc (runtime v1 "runtime"; no CRI, no client flag): run, exec, delete', async () => {
    // containerd 1.6 reads the runc v2 shim's BinaryName from its config only
    // under CRI; the deprecated v1 runtime plugin has its own "runtime" key,
    // which is a config-file choice of the runc binary that works without CRI.
    const v1 = await startContainerd(['[plugins."io.containerd.runtime.v1.linux"]', `  runtime = "${BIN}"`, '  runtime_root = "$DIR/runc-v1"']);
    const c = (args: string[]) => v1.ctr(['-n', NS, ...args]);
    try {
      assert.is((await c(['images', 'import', FIXTURE_IMAGE])).code, 0);
      const ok = await c(['run', '--rm', '--runtime', 'io.containerd.runtime.v1.linux', FIXTURE_REF, 'ctrd-v1a', 'sh', '-c', 'echo ok; exit 3']);
      assert.is(ok.stdout, 'ok\n', ok.stderr);
      assert.is(ok.code, 3);
      const d = await c(['run', '-d', '--runtime', 'io.containerd.runtime.v1.linux', FIXTURE_REF, 'ctrd-v1b', 'sleep', '1000']);
      assert.is(d.code, 0, d.stderr);
      const st = JSON.parse(readFileSync(join(v1.dir, 'runc-v1', NS, 'ctrd-v1b', 'state.json'), 'utf8'));
      assert.ok(st.startTime && st.spec, 'the state file is tsctr-runc\'s (runc\'s has no startTime)');
      const ex = await c(['tasks', 'exec', '--exec-id', 'e1', 'ctrd-v1b', 'sh', '-c', 'echo ok-exec']);
      assert.is(ex.stdout, 'ok-exec\n', ex.stderr);
    } finally {
      await c(['tasks', 'kill', '-s', 'SIGKILL', 'ctrd-v1b']);
      for (let i = 0; i < 100 && !(await c(['tasks', 'ls'])).stdout.match(/^ctrd-v1b\s+\d+\s+STOPPED/m); i++) await new Promise((r) => setTimeout(r, 50));
      await c(['tasks', 'delete', 'ctrd-v1b']);
      await c(['containers', 'rm', 'ctrd-v1b']);
      await v1.stop();
    }
  });

  t.run();
}
