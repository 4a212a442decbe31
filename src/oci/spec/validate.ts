// Refuses a config.json the runtime cannot honour, naming the field the way
// runc's libcontainer/configs/validate does, e.g.
//   linux.namespaces[2].type: unknown namespace "foo"
import { InvalidArgumentError } from '../../errors.js';
import { NAMESPACE_FLAGS, RLIMIT } from '../../sys/constants.js';
import { findCapability } from './capabilities.js';
import { parseIoPriority, parsePersonality, parseTimeOffsets } from './linux-attrs.js';
import { findUnsupported } from './support.js';
import type { Spec } from './types.js';

const PROPAGATIONS = ['', 'private', 'rprivate', 'slave', 'rslave', 'shared', 'rshared', 'unbindable', 'runbindable'];
export const SECCOMP_ACTIONS = [
  'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE', 'SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY',
];
export const SECCOMP_OPERATORS = [
  'SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ',
];

// Sysctls the kernel scopes to a namespace (runc libcontainer/configs/validate sysctl()).
const IPC_SYSCTLS = new Set([
  'kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax',
  'kernel.shmmni', 'kernel.shm_rmid_forced',
]);

const isInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v);
const isUint32 = (v: unknown) => isInt(v) && (v as number) >= 0 && (v as number) <= 0xffffffff;
const isStringArray = (v: unknown) => Array.isArray(v) && v.every((s) => typeof s === 'string');

/** Every problem found, each as `field: reason`. */
export function findSpecErrors(spec: Spec): string[] {
  const errs: string[] = [];
  const bad = (field: string, why: string) => errs.push(`${field}: ${why}`);
  if (typeof spec !== 'object' || spec === null) return ['config: must be a JSON object'];
  if (typeof spec.ociVersion !== 'string' || !/^1\./.test(spec.ociVersion)) bad('ociVersion', `must be a 1.x version string, got ${JSON.stringify(spec.ociVersion)}`);
  if (!spec.root || typeof spec.root.path !== 'string' || spec.root.path === '') bad('root.path', 'must be a non-empty string');

  const nsTypes = new Set<string>();
  const namespaces = spec.linux?.namespaces ?? [];
  if (!Array.isArray(namespaces)) bad('linux.namespaces', 'must be an array');
  else namespaces.forEach((ns, i) => {
    if (!(ns.type in NAMESPACE_FLAGS)) bad(`linux.namespaces[${i}].type`, `unknown namespace ${JSON.stringify(ns.type)}`);
    else if (nsTypes.has(ns.type)) bad(`linux.namespaces[${i}].type`, `duplicate namespace "${ns.type}"`);
    nsTypes.add(ns.type);
    if (ns.path !== undefined && (typeof ns.path !== 'string' || !ns.path.startsWith('/'))) bad(`linux.namespaces[${i}].path`, 'must be absolute');
  });

  const p = spec.process;
  if (!p) bad('process', 'is required to start a container');
  else {
    if (!Array.isArray(p.args) || p.args.length === 0 || !isStringArray(p.args)) bad('process.args', 'must be a non-empty array');
    if (typeof p.cwd !== 'string' || !p.cwd.startsWith('/')) bad('process.cwd', 'must be an absolute path');
    if (p.env !== undefined) {
      if (!isStringArray(p.env)) bad('process.env', 'must be an array of strings');
      else p.env.forEach((e, i) => { if (!/^[^=]+=/.test(e)) bad(`process.env[${i}]`, `must look like KEY=value, got ${JSON.stringify(e)}`); });
    }
    if (!p.user || !isUint32(p.user.uid)) bad('process.user.uid', 'must be an integer from 0 to 4294967295');
    if (!p.user || !isUint32(p.user.gid)) bad('process.user.gid', 'must be an integer from 0 to 4294967295');
    (p.user?.additionalGids ?? []).forEach((g, i) => { if (!isUint32(g)) bad(`process.user.additionalGids[${i}]`, 'must be an integer from 0 to 4294967295'); });
    if (p.user?.umask !== undefined && (!isInt(p.user.umask) || p.user.umask < 0 || p.user.umask > 0o777)) bad('process.user.umask', 'must be from 0 to 0777');
    for (const set of ['bounding', 'effective', 'inheritable', 'permitted', 'ambient'] as const) {
      const list = p.capabilities?.[set];
      if (list === undefined) continue;
      if (!isStringArray(list)) { bad(`process.capabilities.${set}`, 'must be an array of strings'); continue; }
      list.forEach((c, i) => { if (findCapability(c) === undefined) bad(`process.capabilities.${set}[${i}]`, `unknown capability ${JSON.stringify(c)}`); });
    }
    const seen = new Set<string>();
    (p.rlimits ?? []).forEach((r, i) => {
      if (!(r.type?.replace(/^RLIMIT_/, '') in RLIMIT) || !r.type.startsWith('RLIMIT_')) bad(`process.rlimits[${i}].type`, `unknown rlimit ${JSON.stringify(r.type)}`);
      else if (seen.has(r.type)) bad(`process.rlimits[${i}].type`, `duplicate rlimit ${r.type}`);
      seen.add(r.type);
      if (!isInt(r.soft) || !isInt(r.hard) || r.soft < 0 || r.hard < 0) bad(`process.rlimits[${i}]`, 'soft and hard must be non-negative integers');
      else if (r.soft > r.hard) bad(`process.rlimits[${i}].soft`, `must not exceed hard (${r.soft} > ${r.hard})`);
    });
    if (p.oomScoreAdj !== undefined && (!isInt(p.oomScoreAdj) || p.oomScoreAdj < -1000 || p.oomScoreAdj > 1000)) bad('process.oomScoreAdj', 'must be an integer from -1000 to 1000');
    if (p.ioPriority !== undefined) errs.push(...parseIoPriority(p.ioPriority).errors);
    if (p.consoleSize !== undefined && (!isUint32(p.consoleSize?.height) || !isUint32(p.consoleSize?.width) || p.consoleSize.height > 0xffff || p.consoleSize.width > 0xffff)) bad('process.consoleSize', 'height and width must be integers from 0 to 65535');
  }

  if (!Array.isArray(spec.mounts ?? [])) bad('mounts', 'must be an array');
  else (spec.mounts ?? []).forEach((m, i) => {
    if (typeof m.destination !== 'string' || !m.destination.startsWith('/')) bad(`mounts[${i}].destination`, 'must be absolute');
    else if (m.destination.split('/').includes('..')) bad(`mounts[${i}].destination`, 'must not contain ".."');
    if (m.options !== undefined && !isStringArray(m.options)) bad(`mounts[${i}].options`, 'must be an array of strings');
    const isBind = m.type === 'bind' || (m.options ?? []).some((o) => o === 'bind' || o === 'rbind');
    if (isBind && (typeof m.source !== 'string' || !m.source.startsWith('/'))) bad(`mounts[${i}].source`, 'a bind mount needs an absolute source');
    if (!isBind && (typeof m.type !== 'string' || m.type === '')) bad(`mounts[${i}].type`, 'must name a filesystem type (or use the "bind" option)');
  });

  const l = spec.linux;
  if (l) {
    for (const key of ['uidMappings', 'gidMappings'] as const) {
      const maps = l[key];
      if (maps === undefined || maps.length === 0) continue;
      if (!nsTypes.has('user')) bad(`linux.${key}`, 'needs a user namespace in linux.namespaces');
      maps.forEach((m, i) => {
        if (!isUint32(m.containerID) || !isUint32(m.hostID) || !isUint32(m.size) || m.size === 0) bad(`linux.${key}[${i}]`, 'containerID, hostID and size must be integers, size at least 1');
      });
    }
    if (nsTypes.has('user') && !namespaces.find((n) => n.type === 'user')?.path && !(l.uidMappings?.length && l.gidMappings?.length)) {
      bad('linux.uidMappings', 'a new user namespace needs uidMappings and gidMappings');
    }
    if (l.rootfsPropagation !== undefined && !PROPAGATIONS.includes(l.rootfsPropagation)) bad('linux.rootfsPropagation', `unknown propagation ${JSON.stringify(l.rootfsPropagation)}`);
    for (const key of ['maskedPaths', 'readonlyPaths'] as const) {
      (l[key] ?? []).forEach((path, i) => { if (typeof path !== 'string' || !path.startsWith('/')) bad(`linux.${key}[${i}]`, 'must be absolute'); });
    }
    for (const [name, value] of Object.entries(l.sysctl ?? {})) {
      // The name becomes a path under /proc/sys: no "..", no empty parts.
      const why = !/^[A-Za-z0-9_-]+([./][A-Za-z0-9_:@-]+)*$/.test(name) ? 'not a sysctl name'
        : checkSysctl(name, nsTypes, namespaces.find((n) => n.type === 'network')?.path);
      if (why) bad(`linux.sysctl[${JSON.stringify(name)}]`, why);
      if (typeof value !== 'string') bad(`linux.sysctl[${JSON.stringify(name)}]`, 'value must be a string');
    }
    if (l.timeOffsets !== undefined) {
      errs.push(...parseTimeOffsets(l.timeOffsets).errors);
      const timeNs = namespaces.find((n) => n.type === 'time');
      if (!timeNs || timeNs.path) bad('linux.timeOffsets', 'needs a new time namespace (a "time" entry without path in linux.namespaces): offsets are set only before any process is in it');
    }
    if (l.personality !== undefined) errs.push(...parsePersonality(l.personality).errors);
    (l.devices ?? []).forEach((d, i) => {
      if (!['c', 'b', 'u', 'p'].includes(d.type)) bad(`linux.devices[${i}].type`, 'must be "c", "b", "u" or "p"');
      if (typeof d.path !== 'string' || !d.path.startsWith('/')) bad(`linux.devices[${i}].path`, 'must be absolute');
      if (d.fileMode !== undefined && (!isInt(d.fileMode) || d.fileMode < 0 || d.fileMode > 0o7777)) bad(`linux.devices[${i}].fileMode`, 'must be permission bits from 0 to 07777');
      for (const k of ['uid', 'gid'] as const) if (d[k] !== undefined && !isUint32(d[k])) bad(`linux.devices[${i}].${k}`, 'must be an integer from 0 to 4294967295');
    });
    const sc = l.seccomp;
    if (sc) {
      if (!SECCOMP_ACTIONS.includes(sc.defaultAction)) bad('linux.seccomp.defaultAction', `unknown action ${JSON.stringify(sc.defaultAction)}`);
      (sc.syscalls ?? []).forEach((s, i) => {
        if (!isStringArray(s.names) || s.names.length === 0) bad(`linux.seccomp.syscalls[${i}].names`, 'must be a non-empty array of strings');
        if (!SECCOMP_ACTIONS.includes(s.action)) bad(`linux.seccomp.syscalls[${i}].action`, `unknown action ${JSON.stringify(s.action)}`);
        (s.args ?? []).forEach((a, j) => {
          if (!isInt(a.index) || a.index < 0 || a.index > 5) bad(`linux.seccomp.syscalls[${i}].args[${j}].index`, 'must be from 0 to 5');
          if (!SECCOMP_OPERATORS.includes(a.op)) bad(`linux.seccomp.syscalls[${i}].args[${j}].op`, `unknown operator ${JSON.stringify(a.op)}`);
          for (const k of ['value', 'valueTwo'] as const) {
            const v = a[k];
            if (v !== undefined && typeof v !== 'bigint' && !isInt(v)) bad(`linux.seccomp.syscalls[${i}].args[${j}].${k}`, 'must be an integer');
          }
        });
      });
    }
    const r = l.resources;
    if (r) {
      (r.devices ?? []).forEach((d, i) => {
        if (typeof d.allow !== 'boolean') bad(`linux.resources.devices[${i}].allow`, 'must be true or false');
        if (d.type !== undefined && !['a', 'b', 'c'].includes(d.type)) bad(`linux.resources.devices[${i}].type`, 'must be "a", "b" or "c"');
        if (d.access !== undefined && !/^[rwm]*$/.test(d.access)) bad(`linux.resources.devices[${i}].access`, 'must be made of r, w and m');
      });
      if (r.pids !== undefined && !isInt(r.pids.limit)) bad('linux.resources.pids.limit', 'must be an integer (-1 or 0 for no limit)');
      const mem = r.memory ?? {};
      for (const k of ['limit', 'reservation', 'swap'] as const) {
        if (mem[k] !== undefined && (!isInt(mem[k]) || (mem[k]! < 0 && mem[k] !== -1))) bad(`linux.resources.memory.${k}`, 'must be a byte count or -1');
      }
      if (mem.limit !== undefined && mem.swap !== undefined && mem.limit > 0 && mem.swap > 0 && mem.swap < mem.limit) bad('linux.resources.memory.swap', 'memory+swap must not be below memory.limit');
      const cpu = r.cpu ?? {};
      if (cpu.shares !== undefined && (!isInt(cpu.shares) || cpu.shares < 2)) bad('linux.resources.cpu.shares', 'must be an integer of at least 2');
      if (cpu.period !== undefined && (!isInt(cpu.period) || cpu.period < 1000 || cpu.period > 1000000)) bad('linux.resources.cpu.period', 'must be from 1000 to 1000000 µs');
      if (cpu.quota !== undefined && (!isInt(cpu.quota) || (cpu.quota < 1000 && cpu.quota !== -1))) bad('linux.resources.cpu.quota', 'must be at least 1000 µs, or -1');
      for (const k of ['cpus', 'mems'] as const) if (cpu[k] !== undefined && !/^(\d+(-\d+)?)(,\d+(-\d+)?)*$/.test(cpu[k]!)) bad(`linux.resources.cpu.${k}`, `must be a list like "0-2,4", got ${JSON.stringify(cpu[k])}`);
      const b = r.blockIO ?? {};
      const weight = (f: string, v: unknown) => { if (v !== undefined && (!isInt(v) || (v as number) < 10 || (v as number) > 1000)) bad(`linux.resources.blockIO.${f}`, 'must be from 10 to 1000'); };
      const devno = (f: string, d: { major: unknown; minor: unknown }) => { if (!isUint32(d?.major) || !isUint32(d?.minor)) bad(`linux.resources.blockIO.${f}`, 'major and minor must be device numbers'); };
      weight('weight', b.weight);
      weight('leafWeight', b.leafWeight);
      (b.weightDevice ?? []).forEach((d, i) => {
        devno(`weightDevice[${i}]`, d);
        weight(`weightDevice[${i}].weight`, d?.weight);
        weight(`weightDevice[${i}].leafWeight`, d?.leafWeight);
        if (d?.weight === undefined && d?.leafWeight === undefined) bad(`linux.resources.blockIO.weightDevice[${i}]`, 'needs weight or leafWeight');
      });
      for (const k of ['throttleReadBpsDevice', 'throttleWriteBpsDevice', 'throttleReadIOPSDevice', 'throttleWriteIOPSDevice'] as const) {
        (b[k] ?? []).forEach((d, i) => {
          devno(`${k}[${i}]`, d);
          if (!isInt(d?.rate) || d.rate < 0) bad(`linux.resources.blockIO.${k}[${i}].rate`, 'must be a non-negative integer');
        });
      }
    }
  }
  if (spec.hostname !== undefined && spec.hostname !== '' && !nsTypes.has('uts')) bad('hostname', 'needs a UTS namespace in linux.namespaces');
  if (spec.domainname !== undefined && spec.domainname !== '' && !nsTypes.has('uts')) bad('domainname', 'needs a UTS namespace in linux.namespaces');
  return errs;
}

/** Why a sysctl may not be set in this container, or undefined when it may. */
function checkSysctl(name: string, ns: Set<string>, netnsPath: string | undefined): string | undefined {
  if (IPC_SYSCTLS.has(name) || name.startsWith('fs.mqueue.')) return ns.has('ipc') ? undefined : 'needs an IPC namespace';
  if (name.startsWith('net.')) {
    if (!ns.has('network')) return 'needs a network namespace';
    // Joining the host's own network namespace would change the host.
    if (netnsPath === '/proc/1/ns/net' || netnsPath === '/proc/self/ns/net') return 'the network namespace is the host\'s';
    return undefined;
  }
  if (name === 'kernel.hostname' || name === 'kernel.domainname') return ns.has('uts') ? 'use the hostname/domainname fields instead' : 'needs a UTS namespace';
  return 'not namespaced: setting it would change the host';
}

/** Throws InvalidArgumentError naming the first bad field (and counting the rest). */
export function validateSpec(spec: Spec): void {
  const refused = findUnsupported(spec);
  if (refused.length) {
    const more = refused.length > 1 ? ` (and ${refused.length - 1} more: ${refused.slice(1).join('; ')})` : '';
    throw new InvalidArgumentError(`config.json: ${refused[0]}${more}`, { hint: 'remove the field from config.json, or use a runtime that supports it' });
  }
  const errs = findSpecErrors(spec);
  if (errs.length === 0) return;
  const more = errs.length > 1 ? ` (and ${errs.length - 1} more: ${errs.slice(1).join('; ')})` : '';
  throw new InvalidArgumentError(`invalid config: ${errs[0]}${more}`);
}
