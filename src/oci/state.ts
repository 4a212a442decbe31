// The runtime's own record of a container, under its root (default
// /run/tsctr-runc, like runc's /run/runc):
//
//   <root>/<id>/            created by mkdir (EEXIST: the id is taken); flock'd while a command works on it
//   <root>/<id>/state.json  written to a temp file and renamed, so a reader never sees half of it
//   <root>/<id>/exec.fifo   exists from create until start consumes it (runc's exec fifo)
//   <root>/<id>/exit        the raw wait status, written (temp + rename) by whoever reaped
//                           the process: a monitor, or the foreground tsctr that was its parent
//
// Status is derived, never stored: the pid alive with its recorded start
// time (a reused pid has another), then "created" while the fifo exists,
// "running" after; "stopped" when the process is gone (or a zombie nobody
// has reaped yet).
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AlreadyExistsError, InvalidArgumentError, NotFoundError } from '../errors.js';
import { LOCK } from '../sys/constants.js';
import type { Sys } from '../sys/index.js';
import type { Spec } from './spec/index.js';
import type { CgroupLayout } from './cgroups/index.js';
import { phase } from '../util/phases.js';

export const DEFAULT_ROOT = '/run/tsctr-runc';
export const OCI_VERSION = '1.2.0';

export type Status = 'creating' | 'created' | 'running' | 'stopped' | 'paused';

/** What is stored in state.json. */
export interface ContainerRecord {
  id: string;
  pid: number;
  /** Field 22 of /proc/<pid>/stat when the container was created. */
  startTime: string;
  bundle: string;
  rootfs: string;
  created: string;
  annotations: Record<string, string>;
  cgroupsPath?: string;
  /** The cgroup hierarchies as create saw them (a relative cgroupsPath is below the creator's own cgroups). */
  cgroupLayout?: CgroupLayout;
  /** The config.json the container was created from (hooks, namespaces, process for exec). */
  spec: Spec;
  /** Set by start once the fifo is consumed (the fifo's absence says the same; this also dates it). */
  started?: string;
  /** The container's parent as create spawned it (parent.ts): the creating process, or a monitor. */
  parent?: { kind: 'process' | 'monitor'; pid: number; startTime: string };
}

/** The runtime-spec state (runtime.md "State"), as `state` prints it and hooks read on stdin. */
export interface OciState {
  ociVersion: string;
  id: string;
  status: Status;
  pid?: number;
  bundle: string;
  annotations?: Record<string, string>;
}

// runc's rule for ids: ^[\w+-\.]+$ ; no "/" and no "." / "..", so an id is one path component.
const ID = /^[\w+\-.]+$/;

export function checkId(id: string): void {
  if (!id) throw new InvalidArgumentError('container id cannot be empty');
  if (!ID.test(id) || id === '.' || id === '..' || id.length > 1024) throw new InvalidArgumentError(`invalid container id ${JSON.stringify(id)}`, { hint: 'an id is made of letters, digits and _ + - .' });
}

export class StateDir {
  constructor(readonly root: string) {}

  dir(id: string): string { checkId(id); return join(this.root, id); }
  fifo(id: string): string { return join(this.dir(id), 'exec.fifo'); }
  exitFile(id: string): string { return join(this.dir(id), 'exit'); }

  /** The raw wait status the parent recorded, or undefined (still running, or nobody could record it). */
  readExit(id: string): number | undefined {
    try {
      const t = readFileSync(this.exitFile(id), 'utf8').trim();
      return /^\d+$/.test(t) ? Number(t) : undefined;
    } catch {
      return undefined;
    }
  }

  /** What a parent that reaped the process writes (the monitor writes the same, native/monitor.c). */
  writeExit(id: string, rawStatus: number): void {
    const tmp = `${this.exitFile(id)}.tmp-${process.pid}`;
    writeFileSync(tmp, `${rawStatus}\n`);
    renameSync(tmp, this.exitFile(id));
  }
  private file(id: string): string { return join(this.dir(id), 'state.json'); }

  /** Takes the id: mkdir fails when it exists. */
  reserve(id: string): void {
    mkdirSync(this.root, { recursive: true, mode: 0o711 });
    try {
      mkdirSync(this.dir(id), { mode: 0o711 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new AlreadyExistsError(`container with id exists: ${id}`);
      throw e;
    }
  }

  exists(id: string): boolean { return existsSync(this.dir(id)); }

  read(id: string): ContainerRecord | undefined {
    try {
      return JSON.parse(readFileSync(this.file(id), 'utf8')) as ContainerRecord;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return undefined;
      throw e;
    }
  }

  /** The record, or NotFound with runc's wording. */
  load(id: string): ContainerRecord {
    const r = this.read(id);
    if (!r) throw new NotFoundError(`container does not exist: ${id}`);
    return r;
  }

  write(r: ContainerRecord): void {
    phase('state write', () => {
      const tmp = this.file(r.id) + `.tmp-${process.pid}`;
      writeFileSync(tmp, JSON.stringify(r));
      renameSync(tmp, this.file(r.id));
    }, 'state.json: temp file + rename');
  }

  remove(id: string): void { rmSync(this.dir(id), { recursive: true, force: true }); }

  ids(): string[] {
    try {
      return readdirSync(this.root).filter((n) => ID.test(n) && statSync(join(this.root, n)).isDirectory()).sort();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  }

  /**
   * flock(2) on the container's directory: commands on one id run one at a
   * time. The kernel drops the lock when the holder dies (SIGKILL included).
   * After locking, a vanished directory means a concurrent delete won.
   */
  async lock(sys: Sys, id: string): Promise<() => void> {
    let fd: number;
    try {
      fd = openSync(this.dir(id), 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`container does not exist: ${id}`);
      throw e;
    }
    await sys.flockWait(fd, LOCK.EX);
    if (!this.exists(id)) { closeSync(fd); throw new NotFoundError(`container does not exist: ${id}`); }
    return () => closeSync(fd);
  }
}

/** Field 22 (starttime) of /proc/<pid>/stat and the state letter, or undefined when there is no such process. */
export function procStat(pid: number): { startTime: string; state: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm may contain spaces and parentheses: split after the last ')'.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: f[0]!, startTime: f[19]! };
  } catch {
    return undefined;
  }
}

/** Whether the recorded process still runs (not a zombie, not a reused pid). */
export function isAlive(r: Pick<ContainerRecord, 'pid' | 'startTime'>): boolean {
  const s = procStat(r.pid);
  return !!s && s.startTime === r.startTime && s.state !== 'Z' && s.state !== 'X';
}

export function statusOf(dir: StateDir, r: ContainerRecord, frozen = false): Status {
  if (!r.pid) return 'creating';
  if (!isAlive(r)) return 'stopped';
  if (existsSync(dir.fifo(r.id))) return 'created';
  return frozen ? 'paused' : 'running';
}

export function ociState(r: ContainerRecord, status: Status): OciState {
  return {
    ociVersion: OCI_VERSION,
    id: r.id,
    status,
    // runtime.md: pid is REQUIRED when status is created or running; runc keeps printing it.
    ...(status === 'stopped' ? {} : { pid: r.pid }),
    bundle: r.bundle,
    annotations: r.annotations,
  };
}
