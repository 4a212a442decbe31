import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CLONE, MNT, MS, PR, RLIMIT } from '../../../../src/sys/constants.js';
import { describeOp, encodePlan, type PlanOp } from '../../../../src/oci/launch-plan.js';
import { createPlan, guessSourceIsDir, parseMountOptions, type PlanOptions } from '../../../../src/oci/plan/index.js';
import { defaultSpec, type Spec } from '../../../../src/oci/spec/index.js';

const ROOTFS = '/tmp/rootfs';
const opts = (o: Partial<PlanOptions> = {}): PlanOptions => ({ rootfs: ROOTFS, lastCap: 40, ...o });
const spec = (edit: (s: Spec) => void = () => {}) => { const s = defaultSpec({ args: ['sh'], hostname: 'box' }); edit(s); return s; };
const lines = (ops: PlanOp[]) => ops.map(describeOp);
const indexOf = (ops: PlanOp[], pred: (o: PlanOp) => boolean, what: string) => {
  const i = ops.findIndex(pred);
  assert.ok(i >= 0, `no ${what} in the plan`);
  return i;
};

// The whole default plan, one strace-like line per op. A change here is a
// change in what every container does: review it as such. "<root>/x" is a
// path the executor resolves inside the root fd opened by the fourth op.
const DEFAULT_PLAN = [
  "umask(00)",
  "mount(NULL, \"/\", NULL, MS_REC|MS_SLAVE, NULL)",
  "mount(\"/tmp/rootfs\", \"/tmp/rootfs\", \"bind\", MS_BIND|MS_REC, NULL)",
  "<root> = open(\"/tmp/rootfs\", O_PATH|O_DIRECTORY)",
  "mkdir -p(\"<root>/proc\", 0755)",
  "mount(\"proc\", \"<root>/proc\", \"proc\", MS_NOSUID|MS_NODEV|MS_NOEXEC, NULL) no-symlinks",
  "mkdir -p(\"<root>/dev\", 0755)",
  "mount(\"tmpfs\", \"<root>/dev\", \"tmpfs\", MS_NOSUID|MS_STRICTATIME, \"mode=755,size=65536k\")",
  "mkdir -p(\"<root>/dev/pts\", 0755)",
  "mount(\"devpts\", \"<root>/dev/pts\", \"devpts\", MS_NOSUID|MS_NOEXEC, \"newinstance,ptmxmode=0666,mode=0620,gid=5\")",
  "mkdir -p(\"<root>/dev/shm\", 0755)",
  "mount(\"shm\", \"<root>/dev/shm\", \"tmpfs\", MS_NOSUID|MS_NODEV|MS_NOEXEC, \"mode=1777,size=65536k\")",
  "mkdir -p(\"<root>/dev/mqueue\", 0755)",
  "mount(\"mqueue\", \"<root>/dev/mqueue\", \"mqueue\", MS_NOSUID|MS_NODEV|MS_NOEXEC, NULL)",
  "mkdir -p(\"<root>/sys\", 0755)",
  "mount(\"sysfs\", \"<root>/sys\", \"sysfs\", MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC, NULL) no-symlinks",
  "mkdir -p(\"<root>/sys/fs/cgroup\", 0755)",
  "mount(\"cgroup\", \"<root>/sys/fs/cgroup\", \"cgroup2\", MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC|MS_RELATIME, NULL)",
  "mknod(\"<root>/dev/null\", 020666, 1:3)",
  "mknod(\"<root>/dev/zero\", 020666, 1:5)",
  "mknod(\"<root>/dev/full\", 020666, 1:7)",
  "mknod(\"<root>/dev/random\", 020666, 1:8)",
  "mknod(\"<root>/dev/urandom\", 020666, 1:9)",
  "mknod(\"<root>/dev/tty\", 020666, 5:0)",
  "symlink(\"pts/ptmx\", \"<root>/dev/ptmx\")",
  "symlink(\"/proc/self/fd\", \"<root>/dev/fd\")",
  "symlink(\"/proc/self/fd/0\", \"<root>/dev/stdin\")",
  "symlink(\"/proc/self/fd/1\", \"<root>/dev/stdout\")",
  "symlink(\"/proc/self/fd/2\", \"<root>/dev/stderr\")",
  "chdir(\"<root>/\")",
  "pivot_root(\".\", \".\")",
  "mount(NULL, \".\", NULL, MS_REC|MS_SLAVE, NULL)",
  "umount2(\".\", 2)",
  "chdir(\"/\")",
  "mkdir -p(\"<root>/\", 0755)",
  "sethostname(\"box\")",
  "mount(\"<root>/proc/bus\", \"<root>/proc/bus\", NULL, MS_BIND|MS_REC, NULL)",
  "mount(NULL, \"<root>/proc/bus\", NULL, MS_RDONLY|MS_REMOUNT|MS_BIND|MS_REC, NULL)",
  "mount(\"<root>/proc/fs\", \"<root>/proc/fs\", NULL, MS_BIND|MS_REC, NULL)",
  "mount(NULL, \"<root>/proc/fs\", NULL, MS_RDONLY|MS_REMOUNT|MS_BIND|MS_REC, NULL)",
  "mount(\"<root>/proc/irq\", \"<root>/proc/irq\", NULL, MS_BIND|MS_REC, NULL)",
  "mount(NULL, \"<root>/proc/irq\", NULL, MS_RDONLY|MS_REMOUNT|MS_BIND|MS_REC, NULL)",
  "mount(\"<root>/proc/sys\", \"<root>/proc/sys\", NULL, MS_BIND|MS_REC, NULL)",
  "mount(NULL, \"<root>/proc/sys\", NULL, MS_RDONLY|MS_REMOUNT|MS_BIND|MS_REC, NULL)",
  "mount(\"<root>/proc/sysrq-trigger\", \"<root>/proc/sysrq-trigger\", NULL, MS_BIND|MS_REC, NULL)",
  "mount(NULL, \"<root>/proc/sysrq-trigger\", NULL, MS_RDONLY|MS_REMOUNT|MS_BIND|MS_REC, NULL)",
  "mask(\"<root>/proc/acpi\")",
  "mask(\"<root>/proc/asound\")",
  "mask(\"<root>/proc/kcore\")",
  "mask(\"<root>/proc/keys\")",
  "mask(\"<root>/proc/latency_stats\")",
  "mask(\"<root>/proc/timer_list\")",
  "mask(\"<root>/proc/timer_stats\")",
  "mask(\"<root>/proc/sched_debug\")",
  "mask(\"<root>/sys/firmware\")",
  "mask(\"<root>/sys/devices/virtual/powercap\")",
  "mask(\"<root>/proc/scsi\")",
  "setrlimit(7, 1024, 1024)",
  "dup2(0, 0)",
  "dup2(1, 1)",
  "dup2(2, 2)",
  "close_range(3, ~0, CLOEXEC)",
  "chdir(\"/\")",
  "capbset_drop(keep=0xa80425fb)",
  "prctl(8, 1)",
  "setgroups([])",
  "setresgid(0, 0, 0)",
  "setresuid(0, 0, 0)",
  "prctl(8, 0)",
  "capset(eff=0xa80425fb, prm=0xa80425fb, inh=0x0)",
  "cap_ambient_raise(0x0)",
  "umask(022)",
  "prctl(38, 1, 0, 0, 0)",
  "execve(\"sh\", [\"sh\"], 1 env)",

];

test('snapshot: the default plan', () => {
  const p = createPlan(spec(), opts());
  assert.equal(lines(p.ops), DEFAULT_PLAN);
  assert.is(p.cloneFlags, CLONE.NEWPID | CLONE.NEWIPC | CLONE.NEWUTS | CLONE.NEWNS | CLONE.NEWNET);
  assert.equal(p.joinNamespaces, []);
  assert.equal(p.warnings, []);
  // It encodes: every string fits the executor's format.
  assert.ok(encodePlan(p.ops).length > 16);
});

test('mount options: flags, clears, propagation and data', () => {
  const table: [string[], number, number[], string | null][] = [
    [['nosuid', 'nodev', 'noexec'], MS.NOSUID | MS.NODEV | MS.NOEXEC, [], null],
    [['ro', 'rw'], 0, [], null],
    [['rbind', 'ro'], MS.BIND | MS.REC | MS.RDONLY, [], null],
    [['bind', 'rprivate'], MS.BIND, [MS.PRIVATE | MS.REC], null],
    [['nosuid', 'suid', 'strictatime', 'relatime', 'noatime'], MS.STRICTATIME | MS.RELATIME | MS.NOATIME, [], null],
    [['mode=755', 'size=65536k', 'nosuid'], MS.NOSUID, [], 'mode=755,size=65536k'],
    [['shared', 'rslave'], 0, [MS.SHARED, MS.SLAVE | MS.REC], null],
    [['defaults', 'exec', 'dev', 'sync', 'dirsync', 'mand', 'nomand'], MS.SYNCHRONOUS | MS.DIRSYNC, [], null],
  ];
  for (const [o, flags, prop, data] of table) assert.equal(parseMountOptions(o), { flags, propagation: prop, data }, o.join(','));
});

test('bind mounts: a dir gets mkdir -p, a file gets create_file; ro needs a preserving remount', () => {
  const p = createPlan(spec((s) => s.mounts!.push(
    { destination: '/data', type: 'bind', source: '/srv/data', options: ['rbind', 'ro', 'nosuid', 'rprivate'] },
    { destination: '/etc/resolv.conf', type: 'none', source: '/etc/resolv.conf', options: ['bind'] },
  )), opts());
  const l = lines(p.ops);
  const i = l.indexOf('mkdir -p("<root>/data", 0755)');
  assert.ok(i > 0);
  assert.equal(l.slice(i, i + 4), [
    'mkdir -p("<root>/data", 0755)',
    'mount("/srv/data", "<root>/data", "bind", MS_BIND|MS_REC, NULL)',
    'mount(NULL, "<root>/data", NULL, MS_RDONLY|MS_NOSUID|MS_REMOUNT|MS_BIND|MS_REC, NULL)',
    'mount(NULL, "<root>/data", NULL, MS_REC|MS_PRIVATE, NULL)',
  ]);
  assert.ok(p.ops.some((o) => o.op === 'mount' && o.target === '/data' && o.inRoot && o.preserveFlags));
  const j = l.indexOf('mkdir -p("<root>/etc", 0755)');
  assert.equal(l.slice(j, j + 3), [
    'mkdir -p("<root>/etc", 0755)',
    'create("<root>/etc/resolv.conf", 0644)',
    'mount("/etc/resolv.conf", "<root>/etc/resolv.conf", "bind", MS_BIND, NULL)',
  ]);
  assert.not.ok(l.some((x) => x.startsWith('mount(NULL, "<root>/etc/resolv.conf"')), 'a plain bind needs no remount');
});

test('sourceIsDir hook decides bind targets; the default guess', () => {
  const s = spec((x) => x.mounts!.push({ destination: '/cfg', type: 'bind', source: '/srv/cfg', options: ['bind'] }));
  const asFile = createPlan(s, opts({ sourceIsDir: () => false }));
  assert.ok(asFile.ops.some((o) => o.op === 'create_file' && o.path === '/cfg' && o.inRoot));
  const asDir = createPlan(s, opts({ sourceIsDir: (p) => p === '/srv/cfg' }));
  assert.ok(asDir.ops.some((o) => o.op === 'mkdir' && o.path === '/cfg' && o.inRoot));
  const guesses: [string, boolean][] = [
    ['/srv/data', true], ['/etc/resolv.conf', false], ['/etc/hosts', false], ['/etc/hostname', false], ['/dev/null', false],
    ['/dev/pts', true], ['/var/lib/app.d', false], ['/home/.config', true], ['/opt/app-1.2', false], ['/x/config.json', false], ['/usr/lib', true],
  ];
  for (const [path, dir] of guesses) assert.is(guessSourceIsDir(path), dir, path);
});

test('order: rootfs set up, pivot, then masks, then process set-up, seccomp last before execve', () => {
  const p = createPlan(spec((s) => {
    s.linux!.sysctl = { 'net.ipv4.ip_forward': '1' };
    s.process!.oomScoreAdj = 100;
    s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] };
    s.root!.readonly = true;
  }), opts());
  const ops = p.ops;
  const at = (pred: (o: PlanOp) => boolean, what: string) => indexOf(ops, pred, what);
  const seq = [
    at((o) => o.op === 'mount' && o.target === '/' && o.flags === (MS.REC | MS.SLAVE), 'rslave /'),
    at((o) => o.op === 'mount' && o.source === ROOTFS && o.target === ROOTFS, 'rootfs bind'),
    at((o) => o.op === 'mount' && o.fstype === 'proc', 'proc'),
    at((o) => o.op === 'mknod', 'mknod'),
    at((o) => o.op === 'pivot_root', 'pivot_root'),
    at((o) => o.op === 'umount2', 'old root detach'),
    at((o) => o.op === 'sethostname', 'hostname'),
    at((o) => o.op === 'write_file' && o.path === '/proc/sys/net/ipv4/ip_forward', 'sysctl'),
    at((o) => o.op === 'mount' && o.target === '/proc/sys' && (o.flags & MS.RDONLY) !== 0, 'ro /proc/sys'),
    at((o) => o.op === 'mask_path', 'mask'),
    at((o) => o.op === 'mount' && o.target === '/' && (o.flags & MS.RDONLY) !== 0, 'ro /'),
    at((o) => o.op === 'setrlimit', 'rlimit'),
    at((o) => o.op === 'write_file' && o.path === '/proc/self/oom_score_adj', 'oom'),
    at((o) => o.op === 'dup2', 'stdio'),
    at((o) => o.op === 'chdir' && o.path === '/' && ops.indexOf(o) > 40, 'cwd'),
    at((o) => o.op === 'cap_bounding', 'bounding'),
    at((o) => o.op === 'setresuid', 'setresuid'),
    at((o) => o.op === 'capset', 'capset'),
    at((o) => o.op === 'umask' && o.mask === 0o022, 'umask'),
    at((o) => o.op === 'prctl' && o.option === PR.SET_NO_NEW_PRIVS, 'nnp'),
    at((o) => o.op === 'seccomp', 'seccomp'),
    at((o) => o.op === 'execve', 'execve'),
  ];
  for (let i = 1; i < seq.length; i++) assert.ok(seq[i - 1]! < seq[i]!, `step ${i}: ${describeOp(ops[seq[i - 1]!]!)} should precede ${describeOp(ops[seq[i]!]!)}`);
  assert.is(seq.at(-1), ops.length - 1);
  assert.equal(ops.find((o) => o.op === 'write_file' && o.path.endsWith('oom_score_adj')), { op: 'write_file', path: '/proc/self/oom_score_adj', data: '100', inRoot: true });
});

test('without noNewPrivileges seccomp loads before capabilities are dropped', () => {
  const p = createPlan(spec((s) => { s.process!.noNewPrivileges = false; s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [] }; }), opts());
  const sc = p.ops.findIndex((o) => o.op === 'seccomp');
  assert.ok(sc >= 0 && sc < p.ops.findIndex((o) => o.op === 'cap_bounding'));
  assert.not.ok(p.ops.some((o) => o.op === 'prctl' && o.option === PR.SET_NO_NEW_PRIVS));
});

test('noPivot: MS_MOVE onto / and chroot', () => {
  const l = lines(createPlan(spec(), opts({ noPivot: true })).ops);
  const i = l.indexOf('chdir("<root>/")');
  assert.equal(l.slice(i, i + 4), ['chdir("<root>/")', 'mount("/tmp/rootfs", "/", NULL, MS_MOVE, NULL)', 'chroot(".")', 'chdir("/")']);
  assert.not.ok(l.some((x) => x.startsWith('pivot_root')));
});

test('pivot: the runc sequence', () => {
  const l = lines(createPlan(spec(), opts()).ops);
  const i = l.indexOf('pivot_root(".", ".")');
  assert.equal(l.slice(i - 1, i + 4), ['chdir("<root>/")', 'pivot_root(".", ".")', 'mount(NULL, ".", NULL, MS_REC|MS_SLAVE, NULL)', `umount2(".", ${MNT.DETACH})`, 'chdir("/")']);
});

test('capabilities and credentials', () => {
  const p = createPlan(spec((s) => {
    s.process!.user = { uid: 1000, gid: 100, additionalGids: [10, 20], umask: 0o077 };
    s.process!.capabilities = { bounding: ['CAP_CHOWN', 'CAP_NET_BIND_SERVICE', 'CAP_CHECKPOINT_RESTORE'], effective: ['CAP_NET_BIND_SERVICE'], permitted: ['CAP_NET_BIND_SERVICE'], inheritable: ['CAP_NET_BIND_SERVICE'], ambient: ['CAP_NET_BIND_SERVICE'] };
  }), opts({ lastCap: 39 }));
  const l = lines(p.ops);
  const i = l.indexOf('capbset_drop(keep=0x401)');
  assert.equal(l.slice(i, i + 8), [
    'capbset_drop(keep=0x401)', `prctl(${PR.SET_KEEPCAPS}, 1)`, 'setgroups([10, 20])', 'setresgid(100, 100, 100)', 'setresuid(1000, 1000, 1000)',
    `prctl(${PR.SET_KEEPCAPS}, 0)`, 'capset(eff=0x400, prm=0x400, inh=0x400)', 'cap_ambient_raise(0x400)',
  ]);
  assert.ok(l.includes('umask(077)'));
  assert.match(p.warnings.join('\n'), /CAP_CHECKPOINT_RESTORE is unknown to this kernel \(cap_last_cap 39\)/);
  assert.ok(p.ops.some((o) => o.op === 'cap_bounding' && o.lastCap === 39));
});

test('rlimits, env PATH for execve, cwd created after pivot, inside the root', () => {
  const p = createPlan(spec((s) => {
    s.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 100, hard: 200 }, { type: 'RLIMIT_CORE', soft: 0, hard: 0 }];
    s.process!.env = ['PATH=/opt/bin:/bin', 'A=1'];
    s.process!.cwd = '/work/dir';
    s.process!.args = ['app', '--flag'];
  }), opts());
  assert.equal(p.ops.filter((o) => o.op === 'setrlimit'), [
    { op: 'setrlimit', resource: RLIMIT.NOFILE, soft: 100n, hard: 200n },
    { op: 'setrlimit', resource: RLIMIT.CORE, soft: 0n, hard: 0n },
  ]);
  assert.equal(p.ops.at(-1), { op: 'execve', path: 'app', argv: ['app', '--flag'], env: ['PATH=/opt/bin:/bin', 'A=1'], searchPath: '/opt/bin:/bin' });
  const mk = p.ops.findIndex((o) => o.op === 'mkdir' && o.path === '/work/dir' && o.parents && o.inRoot);
  assert.ok(mk > p.ops.findIndex((o) => o.op === 'pivot_root'));
  // After pivot_root the kernel confines a plain chdir to the root; it must not need openat2, which a filter may refuse.
  assert.ok(p.ops.findIndex((o) => o.op === 'chdir' && o.path === '/work/dir' && !o.inRoot) > mk);
});

test('stdio: given fds, staging when sources collide, pty with console', () => {
  const dups = (o: Partial<PlanOptions>, s = spec()) => createPlan(s, opts(o)).ops.filter((x) => ['dup2', 'close_from', 'setsid', 'setctty'].includes(x.op)).map(describeOp);
  assert.equal(dups({}), ['dup2(0, 0)', 'dup2(1, 1)', 'dup2(2, 2)', 'close_range(3, ~0, CLOEXEC)']);
  assert.equal(dups({ stdio: { stdin: 10, stdout: 11, stderr: 11 } }), ['dup2(10, 0)', 'dup2(11, 1)', 'dup2(11, 2)', 'close_range(3, ~0, CLOEXEC)']);
  // stdout=2, stderr=1 swapped: a naive dup2(2,1) would clobber fd 1 before it is copied.
  assert.equal(dups({ stdio: { stdin: 0, stdout: 2, stderr: 1 } }), ['dup2(2, 901)', 'dup2(1, 902)', 'dup2(0, 0)', 'dup2(901, 1)', 'dup2(902, 2)', 'close_range(3, ~0, CLOEXEC)']);
  const tty = spec((s) => { s.process!.terminal = true; });
  assert.equal(dups({ stdio: 'pty', consoleFd: 7, consoleSlavePath: '/dev/pts/3' }, tty), ['dup2(7, 0)', 'dup2(7, 1)', 'dup2(7, 2)', 'close_range(3, ~0, CLOEXEC)', 'setsid()', 'ioctl(0, TIOCSCTTY)']);
  const l = lines(createPlan(tty, opts({ stdio: 'pty', consoleFd: 7, consoleSlavePath: '/dev/pts/3' })).ops);
  assert.ok(l.includes('create("<root>/dev/console", 0666)'));
  assert.ok(l.includes('mount("/dev/pts/3", "<root>/dev/console", "bind", MS_BIND, NULL)'));
  assert.throws(() => createPlan(tty, opts()), /process.terminal: true needs stdio "pty"/);
  assert.throws(() => createPlan(tty, opts({ stdio: 'pty' })), /console slave fd/);
});

test('user namespace: CLONE_NEWUSER, maps returned, devices bind-mounted instead of mknod', () => {
  const p = createPlan(spec((s) => {
    s.linux!.namespaces!.push({ type: 'user' });
    s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    s.linux!.gidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
  }), opts());
  assert.ok(p.cloneFlags & CLONE.NEWUSER);
  assert.equal(p.uidMappings, [{ containerID: 0, hostID: 100000, size: 65536 }]);
  assert.equal(p.gidMappings, [{ containerID: 0, hostID: 200000, size: 65536 }]);
  assert.not.ok(p.ops.some((o) => o.op === 'mknod'));
  const l = lines(p.ops);
  // Become the namespace's root first (the host kuid is unmapped there).
  assert.equal(l.slice(0, 2), ['setresgid(0, 0, 0)', 'setresuid(0, 0, 0)']);
  // cgroup2 cannot be mounted from a user namespace without its own cgroup namespace: bind the host's, read-only.
  assert.ok(l.includes('mount("/sys/fs/cgroup", "<root>/sys/fs/cgroup", "bind", MS_BIND|MS_REC, NULL)'));
  assert.ok(l.includes('create("<root>/dev/null", 0644)'));
  assert.ok(l.includes('mount("/dev/null", "<root>/dev/null", "bind", MS_BIND, NULL)'));
});

test('joined namespaces: setns in order (user first, mount last), pid reported to the parent', () => {
  const p = createPlan(spec((s) => {
    s.linux!.namespaces = [
      { type: 'mount' }, { type: 'uts' }, { type: 'pid', path: '/proc/42/ns/pid' }, { type: 'network', path: '/proc/42/ns/net' }, { type: 'ipc', path: '/proc/42/ns/ipc' },
    ];
  }), opts());
  assert.equal(p.joinNamespaces, [{ type: 'pid', path: '/proc/42/ns/pid' }]);
  assert.is(p.cloneFlags, CLONE.NEWNS | CLONE.NEWUTS);
  assert.equal(lines(p.ops.slice(0, 2)), ['setns("/proc/42/ns/ipc", 0x8000000)', 'setns("/proc/42/ns/net", 0x40000000)']);
  // A joined user namespace owns the new ones: they are unshared after setns.
  const u = createPlan(spec((s) => {
    s.linux!.namespaces = [{ type: 'mount' }, { type: 'uts' }, { type: 'user', path: '/proc/42/ns/user' }, { type: 'pid', path: '/proc/42/ns/pid' }];
  }), opts());
  assert.is(u.cloneFlags, 0);
  assert.equal(lines(u.ops.slice(0, 2)), ['setns("/proc/42/ns/user", 0x10000000)', `unshare(0x${(CLONE.NEWNS | CLONE.NEWUTS).toString(16)})`]);
  // A new cgroup namespace is unshared in the plan, after the parent joined the cgroups.
  const c = createPlan(spec((s) => { s.linux!.namespaces!.push({ type: 'cgroup' }); }), opts());
  assert.not.ok(c.cloneFlags & CLONE.NEWCGROUP);
  assert.equal(c.ops[0], { op: 'unshare', flags: CLONE.NEWCGROUP });
});

test('cgroup mount: host directories bound per hierarchy, or a fresh cgroup2', () => {
  const v1 = lines(createPlan(spec(), opts({ cgroupMounts: [{ name: 'memory', hostPath: '/sys/fs/cgroup/memory/x/c1' }, { name: 'cpu,cpuacct', hostPath: '/sys/fs/cgroup/cpu,cpuacct/c1' }] })).ops);
  const i = v1.indexOf('mount("tmpfs", "<root>/sys/fs/cgroup", "tmpfs", MS_NOSUID|MS_NODEV|MS_NOEXEC, "mode=755")');
  assert.ok(i > 0);
  assert.equal(v1.slice(i + 1, i + 4), [
    'mkdir("<root>/sys/fs/cgroup/memory", 0755)',
    'mount("/sys/fs/cgroup/memory/x/c1", "<root>/sys/fs/cgroup/memory", "bind", MS_BIND|MS_REC, NULL)',
    'mount(NULL, "<root>/sys/fs/cgroup/memory", NULL, MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC|MS_REMOUNT|MS_BIND, NULL)',
  ]);
  assert.ok(v1.includes('symlink("cpu,cpuacct", "<root>/sys/fs/cgroup/cpuacct")'));
  assert.ok(v1.includes('mount(NULL, "<root>/sys/fs/cgroup", NULL, MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC|MS_REMOUNT, "mode=755")'));
  const v2 = lines(createPlan(spec(), opts({ cgroupMounts: [{ name: '', hostPath: '/sys/fs/cgroup/c1' }] })).ops);
  assert.ok(v2.includes('mount("/sys/fs/cgroup/c1", "<root>/sys/fs/cgroup", "bind", MS_BIND|MS_REC, NULL)'));
  assert.ok(lines(createPlan(spec(), opts()).ops).includes('mount("cgroup", "<root>/sys/fs/cgroup", "cgroup2", MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC|MS_RELATIME, NULL)'));
});

test('spec devices, sysctls, domainname, rootfsPropagation', () => {
  const p = createPlan(spec((s) => {
    s.linux!.devices = [{ type: 'c', path: '/dev/fuse', major: 10, minor: 229, fileMode: 0o600, uid: 0, gid: 5 }];
    s.linux!.sysctl = { 'kernel.shmmax': '1000' };
    s.domainname = 'example.org';
    s.linux!.rootfsPropagation = 'rprivate';
  }), opts());
  const l = lines(p.ops);
  assert.ok(l.includes('mknod("<root>/dev/fuse", 020600, 10:229)'));
  assert.ok(l.includes('lchown("<root>/dev/fuse", 0, 5)'));
  assert.ok(l.includes('write("<root>/proc/sys/kernel/shmmax", "1000")'));
  assert.ok(l.includes('setdomainname("example.org")'));
  assert.is(l[1], 'mount(NULL, "/", NULL, MS_REC|MS_PRIVATE, NULL)');
  assert.ok(l.includes('mount(NULL, "/", NULL, MS_REC|MS_PRIVATE, NULL)', 30));
});

test('invalid configs and options are refused, naming the field', () => {
  assert.throws(() => createPlan(spec((s) => { s.process!.args = []; }), opts()), /process\.args: must be a non-empty array/);
  assert.throws(() => createPlan(spec((s) => { s.linux!.namespaces!.push({ type: 'foo' as never }); }), opts()), /linux\.namespaces\[5\]\.type: unknown namespace "foo"/);
  assert.throws(() => createPlan(spec((s) => { s.mounts![3]!.destination = 'dev/shm'; }), opts()), /mounts\[3\]\.destination: must be absolute/);
  assert.throws(() => createPlan(spec((s) => { s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'uts'); }), opts()), /hostname: needs a UTS namespace/);
  assert.throws(() => createPlan(spec((s) => { s.linux!.sysctl = { 'kernel.panic': '1' }; }), opts()), /linux\.sysctl\["kernel\.panic"\]: not namespaced/);
  assert.throws(() => createPlan(spec((s) => { s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'mount'); }), opts()), /a mount namespace is required/);
  assert.throws(() => createPlan(spec((s) => { s.linux!.namespaces!.push({ type: 'time', path: '/proc/1/ns/time' }); s.linux!.timeOffsets = { monotonic: { secs: 1 } }; }), opts()), /linux\.timeOffsets: needs a new time namespace/);
  assert.throws(() => createPlan(spec((s) => { s.linux!.intelRdt = { closID: 'x' }; }), opts()), /^InvalidArgument|config\.json: linux\.intelRdt is not supported by tsctr-runc/);
  assert.throws(() => createPlan(spec((s) => { s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_NOPE'] }; }), opts()), /linux\.seccomp\.flags: unknown flag/);
  assert.throws(() => createPlan(spec(), opts({ rootfs: 'rootfs' })), /rootfs: must be an absolute host path/);
});

test('unknown seccomp names become warnings, not failures', () => {
  const p = createPlan(spec((s) => { s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'], syscalls: [{ names: ['mkdir', 'not_a_syscall'], action: 'SCMP_ACT_ERRNO' }] }; }), opts());
  assert.match(p.warnings.join('\n'), /not_a_syscall/);
  assert.ok(p.ops.some((o) => o.op === 'seccomp'));
});

test.run();
