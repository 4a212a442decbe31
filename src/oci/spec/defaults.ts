// The default container config, as `ctr oci spec` prints it (containerd
// pkg/oci/spec.go populateDefaultUnixSpec), plus /sys/fs/cgroup read-only as
// containerd's CRI adds it.
import type { DeviceCgroupRule, Spec } from './types.js';

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** containerd's defaultUnixCaps (pkg/oci/spec.go). */
export const DEFAULT_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
] as const;

export const DEFAULT_MASKED_PATHS = [
  '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/sys/devices/virtual/powercap', '/proc/scsi',
] as const;

export const DEFAULT_READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'] as const;

/**
 * The device nodes every container gets (runtime-spec config-linux.md
 * "Default Devices"; runc libcontainer/specconv AllowedDevices).
 */
export const DEFAULT_DEVICES = [
  { path: '/dev/null', type: 'c', major: 1, minor: 3 },
  { path: '/dev/zero', type: 'c', major: 1, minor: 5 },
  { path: '/dev/full', type: 'c', major: 1, minor: 7 },
  { path: '/dev/random', type: 'c', major: 1, minor: 8 },
  { path: '/dev/urandom', type: 'c', major: 1, minor: 9 },
  { path: '/dev/tty', type: 'c', major: 5, minor: 0 },
] as const;

/** Device cgroup rules: deny everything, then allow what a shell needs (containerd WithDefaultUnixDevices). */
export function defaultDeviceRules(): DeviceCgroupRule[] {
  const allow = (type: 'c' | 'b', major: number | null, minor: number | null, access: string): DeviceCgroupRule =>
    ({ allow: true, type, major, minor, access });
  return [
    { allow: false, access: 'rwm' },
    allow('c', null, null, 'm'), // mknod of any char device (using it is still refused)
    allow('b', null, null, 'm'),
    ...DEFAULT_DEVICES.map((d) => allow('c', d.major, d.minor, 'rwm')),
    allow('c', 5, 1, 'rwm'), // /dev/console
    allow('c', 5, 2, 'rwm'), // /dev/ptmx
    allow('c', 136, null, 'rwm'), // /dev/pts/*
    allow('c', 10, 200, 'rwm'), // /dev/net/tun
  ];
}

export interface DefaultSpecOptions {
  id?: string;
  /** tsctr namespace (default "default"); part of the cgroups path. */
  namespace?: string;
  args?: string[];
  env?: string[];
  cwd?: string;
  rootfs?: string;
  hostname?: string;
}

export function defaultSpec(opts: DefaultSpecOptions = {}): Spec {
  const caps = [...DEFAULT_CAPABILITIES];
  const spec: Spec = {
    ociVersion: '1.1.0',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: opts.args ?? ['sh'],
      env: opts.env ?? [`PATH=${DEFAULT_PATH}`],
      cwd: opts.cwd ?? '/',
      capabilities: { bounding: [...caps], effective: [...caps], permitted: [...caps], inheritable: [], ambient: [] },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: opts.rootfs ?? 'rootfs', readonly: false },
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
    ],
    linux: {
      resources: { devices: defaultDeviceRules() },
      namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'network' }],
      maskedPaths: [...DEFAULT_MASKED_PATHS],
      readonlyPaths: [...DEFAULT_READONLY_PATHS],
    },
  };
  if (opts.hostname !== undefined) spec.hostname = opts.hostname;
  if (opts.id !== undefined) spec.linux!.cgroupsPath = `tsctr/${opts.namespace ?? 'default'}/${opts.id}`;
  return spec;
}
