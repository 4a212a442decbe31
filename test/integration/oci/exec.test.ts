// tsctr-runc exec and --console-socket on a busybox bundle: exec joins the
// container (namespaces, cgroup, credentials), foreground returns the exit
// status, --detach leaves the process to the caller (a subreaper, as the
// shim is), refusals are runc's; the console socket receives a pty master
// opened inside the container (a python3 receiver drives it). Ids start
// with exec- so parallel runs never share a cgroup path.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Spec } from '../../../src/oci/spec/index.js';
import { loadSys } from '../../../src/sys/index.js';
import { hasBusybox, makeBusyboxRootfs, type TestRootfs } from '../runtime/rootfs-helper.js';
import { RUNC_BIN, runcAt, until, writeBundle } from './runc-helper.js';

const root = mkdtempSync(join(tmpdir(), 'exec-state-'));
const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
const skip = process.geteuid?.() !== 0 ? 'needs root' : !hasBusybox ? 'needs a static /bin/busybox' : !has('python3') ? 'needs python3 (the console receiver)' : undefined;
if (skip) console.log(`oci/exec: skipped (${skip})`);

const runc = runcAt(root);
const state = (id: string) => JSON.parse(runc('state', id).out) as { status: string; pid: number };
const oneLine = (err: string) => { const l = err.trim().split('\n').filter((x) => !x.startsWith('warning:')); assert.is(l.length, 1, `one line: ${err}`); assert.not.match(err, /\n\s+at /); return l[0]!; };

const bundle = writeBundle;

/** A running container for one test; removed (and its cgroup) whatever happens. */
async function withContainer(id: string, fn: (fs: TestRootfs) => Promise<void>, edit?: (s: Spec) => void): Promise<void> {
  const fs = makeBusyboxRootfs('exec-');
  // mkdtemp makes 0700: a user namespace's root (a host uid of its own) must be able to reach the rootfs.
  chmodSync(fs.dir, 0o755);
  try {
    const r = runc('run', '--detach', '--bundle', bundle(fs, ['sleep', '1000'], edit), id);
    assert.is(r.code, 0, r.err);
    await fn(fs);
  } finally {
    runc('delete', '--force', id);
    fs.remove();
  }
}

const cgroupGone = (id: string) => !existsSync(`/sys/fs/cgroup/pids/tsctr-runc/${id}`) && !existsSync(`/sys/fs/cgroup/unified/tsctr-runc/${id}`) && !existsSync(`/sys/fs/cgroup/tsctr-runc/${id}`);

// The receiver of a console socket, as a shim would be: takes one fd by
// SCM_RIGHTS, writes `script` into the master, prints what came back.
const RECEIVER = `
import array, os, socket, sys
path, script, mode = sys.argv[1], sys.argv[2], sys.argv[3]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.bind(path); s.listen(1)
open(path + '.ready', 'w').close()
c, _ = s.accept()
if mode == 'close':
    c.close(); sys.exit(0)
fds = array.array('i')
msg, anc, flags, addr = c.recvmsg(1024, socket.CMSG_LEN(4 * fds.itemsize))
for lvl, typ, data in anc:
    fds.frombytes(data[:len(data) - (len(data) % fds.itemsize)])
print('MESSAGE=%s FDS=%d' % (msg.decode(), len(fds)), flush=True)
m = fds[0]
os.write(m, script.encode())
out = b''
while True:
    try: d = os.read(m, 4096)
    except OSError: break
    if not d: break
    out += d
print(out.decode(errors='replace'), flush=True)
`;

class Receiver {
  readonly path: string;
  output = '';
  readonly child: ChildProcess;
  readonly done: Promise<void>;
  constructor(dir: string, name: string, script: string, mode: 'drive' | 'close' = 'drive') {
    this.path = join(dir, name);
    const py = join(dir, 'receiver.py');
    if (!existsSync(py)) writeFileSync(py, RECEIVER);
    this.child = spawn('python3', [py, this.path, script, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.child.stdout!.on('data', (d: Buffer) => { this.output += d; });
    this.done = new Promise((r) => this.child.on('close', () => r()));
  }
  async ready(): Promise<void> { assert.ok(await until(() => existsSync(this.path + '.ready')), 'the receiver listens'); }
  stop(): void { if (this.child.exitCode === null && this.child.pid) this.child.kill('SIGKILL'); }
}

test('exec in the foreground: joins the namespaces and cgroup, returns the exit status, 128+N for a signal', async () => {
  if (skip) return;
  await withContainer('exec-1', async () => {
    const init = state('exec-1').pid;
    const r = runc('exec', 'exec-1', 'sh', '-c', 'echo hi; cat /proc/1/cmdline | tr "\\0" " "; echo; cat /proc/self/cgroup; exit 7');
    assert.is(r.code, 7, r.err);
    const [hi, cmdline] = r.out.split('\n');
    assert.is(hi, 'hi');
    assert.is(cmdline!.trim(), 'sleep 1000', 'pid 1 of its pid namespace is the container\'s init');
    assert.match(r.out, /pids:\/tsctr-runc\/exec-1\n/, 'the container\'s cgroup');
    const ns = (pid: number | string, n: string) => spawnSync('readlink', [`/proc/${pid}/ns/${n}`], { encoding: 'utf8' }).stdout.trim();
    const same = runc('exec', 'exec-1', 'sh', '-c', 'for n in mnt net ipc uts pid; do readlink /proc/self/ns/$n; done');
    assert.equal(same.out.trim().split('\n'), ['mnt', 'net', 'ipc', 'uts', 'pid'].map((n) => ns(init, n)));
    const sig = runc('exec', 'exec-1', 'sh', '-c', 'kill -TERM $$');
    assert.is(sig.code, 143, 'runc\'s 128+SIGTERM');
  });
});

test('exec flags: --user, --cwd, --env, --no-new-privs, --cap; program flags after the id stay the program\'s', async () => {
  if (skip) return;
  await withContainer('exec-2', async () => {
    const r = runc('exec', '--user', '65534:65534', '--additional-gids', '5', '-g', '7', '--cwd', '/tmp', '-e', 'FOO=bar', '-e', 'BAZ=qux', '--no-new-privs', 'exec-2',
      'sh', '-c', 'id -u; id -g; id -G; pwd; echo $FOO $BAZ; grep NoNewPrivs /proc/self/status');
    assert.is(r.code, 0, r.err);
    assert.equal(r.out.trim().split('\n'), ['65534', '65534', '65534 5 7', '/tmp', 'bar qux', 'NoNewPrivs:\t1']);
    assert.match(oneLine(runc('exec', '-g', 'wheel', 'exec-2', 'true').err), /--additional-gids "wheel"/);
    assert.match(oneLine(runc('exec', '-u', 'root', 'exec-2', 'true').err), /--user "root": must be UID or UID:GID/);
    const caps = (extra: string[]) => runc('exec', ...extra, 'exec-2', 'grep', 'CapBnd', '/proc/self/status').out.trim().split(/\s+/)[1]!;
    const base = BigInt('0x' + caps([]));
    const more = BigInt('0x' + caps(['--cap', 'CAP_SYS_ADMIN']));
    assert.is(more, base | (1n << 21n), '--cap adds CAP_SYS_ADMIN to the bounding set');
  });
});

test('exec --process FILE: the process JSON is honoured; a hostile one is refused in one line', async () => {
  if (skip) return;
  await withContainer('exec-3', async (fs) => {
    const p = join(fs.dir, 'process.json');
    writeFileSync(p, JSON.stringify({ terminal: false, user: { uid: 1000, gid: 1000 }, args: ['sh', '-c', 'id -u; pwd; echo $X; cat /proc/self/oom_score_adj'], env: ['PATH=/bin', 'X=y'], cwd: '/tmp', oomScoreAdj: 123, noNewPrivileges: true }));
    const r = runc('exec', '--process', p, 'exec-3');
    assert.is(r.code, 0, r.err);
    assert.equal(r.out.trim().split('\n'), ['1000', '/tmp', 'y', '123']);
    writeFileSync(p, JSON.stringify({ user: { uid: -1, gid: 0 }, args: ['sh\u0000x'], cwd: 'relative' }));
    const bad = runc('exec', '--process', p, 'exec-3');
    assert.is(bad.code, 255);
    const line = oneLine(bad.err);
    assert.match(line, /process\.user\.uid/);
    assert.match(line, /process\.args\[0\]: must not contain a NUL byte/);
    assert.match(line, /process\.cwd: must be an absolute path/);
    writeFileSync(p, JSON.stringify({ user: { uid: 0, gid: 0 }, args: ['true'], cwd: '/', apparmorProfile: 'docker-default' }));
    assert.match(oneLine(runc('exec', '--process', p, 'exec-3').err), /process\.apparmorProfile: is not supported/);
    assert.match(oneLine(runc('exec', '--apparmor', 'x', 'exec-3', 'true').err), /--apparmor is not supported/);
    assert.match(oneLine(runc('exec', '--process-label', 'x', 'exec-3', 'true').err), /--process-label is not supported/);
  });
});

test('exec into a container with its own user namespace: joined first (through the caller\'s fd), root there, the mapped ids', async () => {
  if (skip) return;
  await withContainer('exec-6', async () => {
    const r = runc('exec', 'exec-6', 'sh', '-c', 'id -u; cat /proc/self/uid_map; readlink /proc/self/ns/user');
    assert.is(r.code, 0, r.err);
    const [uid, map, userns] = r.out.trim().split('\n');
    assert.is(uid, '0');
    assert.equal(map!.trim().split(/\s+/), ['0', '100000', '65536']);
    assert.is(userns, spawnSync('readlink', [`/proc/${state('exec-6').pid}/ns/user`], { encoding: 'utf8' }).stdout.trim());
  }, (s) => {
    s.linux!.namespaces!.push({ type: 'user' });
    s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    s.mounts = s.mounts!.filter((m) => !m.destination.startsWith('/sys'));
  });
});

test('exec --detach --pid-file: returns once it runs; the pid file is a bare number; the process is the caller\'s (a subreaper) to reap', async () => {
  if (skip) return;
  const sys = await loadSys();
  await withContainer('exec-4', async (fs) => {
    const pidFile = join(fs.dir, 'exec.pid');
    sys.prctl(36 /* PR_SET_CHILD_SUBREAPER */, 1);
    let pid = 0;
    try {
      const r = runc('exec', '--detach', '--pid-file', pidFile, 'exec-4', 'sh', '-c', 'exit 9');
      assert.is(r.code, 0, r.err);
      const text = readFileSync(pidFile, 'utf8');
      assert.match(text, /^\d+$/, 'a bare number, no newline');
      pid = Number(text);
      const st = await sys.wait(pid);
      assert.equal(st, { kind: 'exited', code: 9 }, 'we (the subreaper) reap it and see its status');
    } finally {
      sys.prctl(36, 0);
      // The container's init was reparented to us too; delete --force kills it, we reap it.
    }
    const init = state('exec-4').pid;
    runc('delete', '--force', 'exec-4');
    await sys.wait(init).catch(() => undefined);
  });
});

test('refusals in runc\'s words, exit 255: stopped, paused, missing program, missing container, a reused pid', async () => {
  if (skip) return;
  await withContainer('exec-5', async () => {
    const missing = runc('exec', 'exec-5', '/no/such/program');
    assert.is(missing.code, 255);
    assert.match(oneLine(missing.err), /execve\("\/no\/such\/program".*ENOENT/);
    const pause = runc('pause', 'exec-5');
    assert.is(pause.code, 0, pause.err);
    const paused = runc('exec', 'exec-5', 'true');
    assert.is(paused.code, 255);
    assert.is(oneLine(paused.err), 'cannot exec in a paused container (use --ignore-paused to override)');
    assert.is(runc('resume', 'exec-5').code, 0);
    assert.is(runc('exec', 'exec-5', 'true').code, 0);
    // A state file whose pid now names another process (ours, with another start time): refused, not joined.
    const stateFile = join(root, 'exec-5', 'state.json');
    const saved = readFileSync(stateFile, 'utf8');
    const decoy = spawn('sleep', ['100']);
    try {
      writeFileSync(stateFile, JSON.stringify({ ...JSON.parse(saved), pid: decoy.pid }));
      const reused = runc('exec', 'exec-5', 'true');
      assert.is(reused.code, 255);
      assert.is(oneLine(reused.err), 'cannot exec in a stopped container');
    } finally {
      writeFileSync(stateFile, saved);
      decoy.kill('SIGKILL');
    }
    assert.is(runc('kill', 'exec-5', 'KILL').code, 0);
    assert.ok(await until(() => state('exec-5').status === 'stopped'));
    const stopped = runc('exec', 'exec-5', 'true');
    assert.is(stopped.code, 255);
    assert.is(oneLine(stopped.err), 'cannot exec in a stopped container');
  });
  const none = runc('exec', 'exec-none', 'true');
  assert.is(none.code, 255);
  assert.is(oneLine(none.err), 'container does not exist: exec-none');
});

test('console socket: exec -t, run and create+start send a master opened in the container; the size applies; the exit status comes back', async () => {
  if (skip) return;
  const dir = mkdtempSync(join(tmpdir(), 'exec-console-'));
  const fs = makeBusyboxRootfs('exec-');
  const receivers: Receiver[] = [];
  const recv = async (name: string, script: string, mode: 'drive' | 'close' = 'drive') => { const r = new Receiver(dir, name, script, mode); receivers.push(r); await r.ready(); return r; };
  try {
    const script = 'tty; stty size; echo hi; exit 3\n';
    // exec -t in the foreground (a tsctr-runc extension: runc wants --detach with a socket).
    const b = bundle(fs, ['sleep', '1000'], (s) => { s.process!.consoleSize = { height: 33, width: 111 }; });
    assert.is(runc('run', '--detach', '--bundle', b, 'exec-c1').code, 0);
    let r = await recv('s1', script);
    const ex = spawnSync(RUNC_BIN, ['--root', root, 'exec', '--tty', '--console-socket', r.path, 'exec-c1', 'sh'], { encoding: 'utf8', timeout: 30000 });
    await r.done;
    assert.is(ex.status, 3, ex.stderr);
    assert.match(r.output, /^MESSAGE=\/dev\/ptmx FDS=1\n/, 'one fd, runc\'s message');
    assert.match(r.output, /\/dev\/pts\/\d+\r?\n/, 'exec gets a pts of the container\'s devpts');
    assert.match(r.output, /hi\r?\n/);
    // --process with consoleSize, detached, as the shim does it.
    r = await recv('s2', 'stty size; exit 4\n');
    const pj = join(dir, 'p.json');
    writeFileSync(pj, JSON.stringify({ terminal: true, consoleSize: { height: 12, width: 34 }, user: { uid: 0, gid: 0 }, args: ['sh'], env: ['PATH=/bin'], cwd: '/' }));
    assert.is(runc('exec', '--detach', '--console-socket', r.path, '--process', pj, 'exec-c1').code, 0);
    await r.done;
    assert.match(r.output, /12 34\r?\n/, 'process.consoleSize applied to the exec\'d terminal');
    runc('delete', '--force', 'exec-c1');

    // run in the foreground with the config's terminal: a pts of the container's devpts (tty prints /dev/pts/N, as under runc), consoleSize, exit 3 from run.
    const tb = bundle(fs, ['sh'], (s) => { s.process!.terminal = true; s.process!.consoleSize = { height: 33, width: 111 }; });
    r = await recv('s3', script);
    const run = spawnSync(RUNC_BIN, ['--root', root, 'run', '--console-socket', r.path, '--bundle', tb, 'exec-c2'], { encoding: 'utf8', timeout: 30000 });
    await r.done;
    assert.is(run.status, 3, run.stderr);
    assert.match(r.output, /\/dev\/pts\/\d+\r?\n33 111\r?\nhi/, r.output);
    assert.not.ok(existsSync(join(root, 'exec-c2')), 'run deleted it');

    // create sends the master during create; start runs the program; state says stopped after exit 3.
    r = await recv('s4', script);
    assert.is(runc('create', '--console-socket', r.path, '--bundle', tb, 'exec-c3').code, 0);
    assert.is(state('exec-c3').status, 'created');
    assert.is(runc('start', 'exec-c3').code, 0);
    await r.done;
    assert.match(r.output, /\/dev\/pts\/\d+\r?\n33 111\r?\nhi/, r.output);
    assert.ok(await until(() => state('exec-c3').status === 'stopped'));
    assert.is(runc('delete', 'exec-c3').code, 0);
  } finally {
    for (const r of receivers) r.stop();
    for (const id of ['exec-c1', 'exec-c2', 'exec-c3']) runc('delete', '--force', id);
    fs.remove();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad console sockets: missing path, not a socket, a receiver that closes early; one line, nothing left behind', async () => {
  if (skip) return;
  const dir = mkdtempSync(join(tmpdir(), 'exec-console-'));
  const fs = makeBusyboxRootfs('exec-');
  let r: Receiver | undefined;
  try {
    const tb = bundle(fs, ['sh'], (s) => { s.process!.terminal = true; });
    const leftNothing = (id: string) => { assert.not.ok(existsSync(join(root, id)), `no state dir for ${id}`); assert.ok(cgroupGone(id), `no cgroup for ${id}`); };
    const missing = runc('create', '--console-socket', join(dir, 'nope.sock'), '--bundle', tb, 'exec-b1');
    assert.is(missing.code, 1);
    assert.match(oneLine(missing.err), /--console-socket ".*nope\.sock": connect ".*": ENOENT/);
    leftNothing('exec-b1');
    writeFileSync(join(dir, 'file'), 'not a socket');
    const file = runc('create', '--console-socket', join(dir, 'file'), '--bundle', tb, 'exec-b2');
    assert.is(file.code, 1);
    assert.match(oneLine(file.err), /ECONNREFUSED.*not a listening unix socket/);
    leftNothing('exec-b2');
    r = new Receiver(dir, 'closer', '', 'close');
    await r.ready();
    const early = runc('create', '--console-socket', r.path, '--bundle', tb, 'exec-b3');
    assert.is(early.code, 1);
    assert.match(oneLine(early.err), /open_pty.*(EPIPE|ECONNRESET).*receiver closed/);
    leftNothing('exec-b3');
    const noSock = runc('create', '--bundle', tb, 'exec-b4');
    assert.is(oneLine(noSock.err), 'cannot allocate tty if runc will detach without setting console socket (hint: pass --console-socket SOCK, or set process.terminal to false)');
    leftNothing('exec-b4');
    // exec into a running container with a bad socket: nothing runs, the container is untouched.
    const pb = bundle(fs, ['sleep', '1000']);
    assert.is(runc('run', '--detach', '--bundle', pb, 'exec-b5').code, 0);
    const ex = runc('exec', '-t', '--console-socket', join(dir, 'nope.sock'), 'exec-b5', 'sh');
    assert.is(ex.code, 255);
    assert.match(oneLine(ex.err), /ENOENT/);
    const noTty = runc('exec', '--console-socket', join(dir, 'nope.sock'), 'exec-b5', 'sh');
    assert.is(oneLine(noTty.err), 'cannot use console socket if runc will not detach or allocate tty (hint: set process.terminal (exec: --tty), or drop --console-socket)');
    assert.equal(runc('ps', '--format', 'json', 'exec-b5').out.trim(), `[${state('exec-b5').pid}]`, 'only the init in the cgroup');
  } finally {
    r?.stop();
    for (const id of ['exec-b1', 'exec-b2', 'exec-b3', 'exec-b4', 'exec-b5']) runc('delete', '--force', id);
    fs.remove();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.after(() => rmSync(root, { recursive: true, force: true }));
test.run();
