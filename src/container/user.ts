// Resolves a --user value (uid, uid:gid, name, name:group and mixes) against
// the image's own /etc/passwd and /etc/group. Like runc's
// user.GetExecUser: a numeric uid need not exist in passwd (its gid is then
// 0); a name must. The files are read inside the root: run and exec pass
// readerInRoot(sys, rootfs), which opens them through the executor's
// resolver (openat2 RESOLVE_IN_ROOT), so /etc/passwd -> /host/file reads the
// root's /host/file, never the host's.
import { closeSync, lstatSync, readFileSync, readlinkSync } from 'node:fs';
import type { Sys } from '../sys/index.js';
import { posix } from 'node:path';
import { InvalidArgumentError, NotFoundError } from '../errors.js';

export interface ResolvedUser {
  uid: number;
  gid: number;
  /** Groups listing the user as a member in /etc/group. */
  additionalGids: number[];
  username?: string;
  /** For HOME when the image's env lacks it. */
  home?: string;
}

interface PasswdEntry { name: string; uid: number; gid: number; home: string }
interface GroupEntry { name: string; gid: number; members: string[] }

const ID_RE = /^\d+$/;
const MAX_ID = 0xffffffff - 1; // (uid_t)-1 means "no change" to setresuid

/**
 * The host path of a path inside rootfs, following symlinks the way the
 * container would see them (absolute targets start at the rootfs). A link
 * that climbs above the rootfs with ".." is refused.
 */
export function resolveInRootfs(rootfs: string, path: string): string {
  const parts = path.split('/').filter(Boolean);
  let done: string[] = [];
  let hops = 0;
  while (parts.length) {
    const part = parts.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      if (done.length === 0) throw new InvalidArgumentError(`${posix.join(rootfs, path)}: a symlink leaves the root filesystem`);
      done.pop();
      continue;
    }
    const host = posix.join(rootfs, ...done, part);
    let isLink = false;
    try { isLink = lstatSync(host).isSymbolicLink(); } catch { /* missing: the caller's read reports it */ }
    if (!isLink) { done.push(part); continue; }
    if (++hops > 40) throw new InvalidArgumentError(`${posix.join(rootfs, path)}: too many levels of symbolic links`);
    const target = readlinkSync(host);
    if (target.startsWith('/')) done = [];
    parts.unshift(...target.split('/').filter(Boolean));
  }
  return posix.join(rootfs, ...done);
}

/** Reads a file inside the root; undefined when it is missing. */
export type RootReader = (path: string) => string | undefined;

const missing = (e: unknown) => ['ENOENT', 'ENOTDIR'].includes((e as { code?: string }).code ?? '');

/** The textual walk above (no sys layer needed): for tests and --dry-run. */
export function readerByWalk(rootfs: string): RootReader {
  return (path) => {
    try {
      return readFileSync(resolveInRootfs(rootfs, path), 'utf8');
    } catch (e) {
      if (missing(e)) return undefined;
      throw e;
    }
  };
}

/** Reads through a fd the native resolver opened inside the root (no symlink reaches the host). */
export function readerInRoot(sys: Sys, rootfs: string): RootReader {
  return (path) => {
    let fd: number;
    try {
      fd = sys.openInRoot(rootfs, path);
    } catch (e) {
      if (missing(e)) return undefined;
      throw e;
    }
    try {
      return readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
  };
}

export function parsePasswd(text: string): PasswdEntry[] {
  return text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':')).filter((f) => f.length >= 4 && ID_RE.test(f[2]!) && ID_RE.test(f[3]!))
    .map((f) => ({ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5] ?? '/' }));
}

export function parseGroup(text: string): GroupEntry[] {
  return text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':')).filter((f) => f.length >= 3 && ID_RE.test(f[2]!))
    .map((f) => ({ name: f[0]!, gid: Number(f[2]), members: (f[3] ?? '').split(',').map((m) => m.trim()).filter(Boolean) }));
}

function checkId(v: string, what: string, input: string): number {
  const n = Number(v);
  if (n > MAX_ID) throw new InvalidArgumentError(`user ${JSON.stringify(input)}: ${what} ${v} is out of range`);
  return n;
}

export function resolveUser(rootfs: string, user: string, read: RootReader = readerByWalk(rootfs)): ResolvedUser {
  const m = user.match(/^([^:]+)(?::([^:]+))?$/);
  if (!m) throw new InvalidArgumentError(`user ${JSON.stringify(user)}: expected uid, uid:gid, name or name:group`);
  const [, u, g] = m as unknown as [string, string, string | undefined];
  const passwdPath = posix.join(rootfs, 'etc/passwd');
  const groupPath = posix.join(rootfs, 'etc/group');
  const passwd = parsePasswd(read('/etc/passwd') ?? '');
  const groupText = read('/etc/group');
  const groups = parseGroup(groupText ?? '');

  let entry: PasswdEntry | undefined;
  let uid: number;
  if (ID_RE.test(u)) {
    uid = checkId(u, 'uid', user);
    entry = passwd.find((p) => p.uid === uid);
  } else {
    entry = passwd.find((p) => p.name === u);
    if (!entry) throw new NotFoundError(`user ${JSON.stringify(u)}: no such user in ${passwdPath}`, { hint: 'use a numeric uid, or one listed in the image\'s /etc/passwd' });
    uid = entry.uid;
  }
  let gid = entry?.gid ?? 0;
  if (g !== undefined) {
    if (ID_RE.test(g)) gid = checkId(g, 'gid', user);
    else {
      const ge = groups.find((x) => x.name === g);
      if (!ge) throw new NotFoundError(`group ${JSON.stringify(g)}: no such group in ${groupPath}`, { hint: 'use a numeric gid, or one listed in the image\'s /etc/group' });
      gid = ge.gid;
    }
  }
  const additional = new Set<number>();
  if (entry) for (const ge of groups) if (ge.members.includes(entry.name) && ge.gid !== gid) additional.add(ge.gid);
  return { uid, gid, additionalGids: [...additional], ...(entry ? { username: entry.name, home: entry.home } : {}) };
}
