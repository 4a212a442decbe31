// Containers: metadata under --root, per namespace (what `containers create`
// and `run` record: image, snapshot, spec, labels, network). A container's
// task is the runtime core's: its one record lives in the core's state
// directory, <state>/.runtime/<ns>/<id>/ (task.ts reads it); the task's
// bundle (config.json, the mounted rootfs, network files, log) is
// <state>/<ns>/<id>/.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { AlreadyExistsError, InvalidArgumentError, NotFoundError } from '../errors.js';
import { readJson, writeJsonAtomic } from '../util/fs.js';
import { withLock, type SysProvider } from '../content/lock.js';
import type { Spec } from '../oci/spec/index.js';
import type { ParsedNetworkFlags } from './network/attach.js';
import { StateDir } from '../oci/state.js';
import { readTask, type Task } from './task.js';

export interface ContainerRecord {
  id: string;
  image?: string;
  /** null with --rootfs: the root filesystem is the user's directory. */
  snapshotter: string | null;
  snapshotKey: string | null;
  rootfsDir?: string;
  spec: Spec;
  createdAt: string;
  /** Remove the container when its task ends (run --rm). */
  removeOnExit: boolean;
  labels: Record<string, string>;
  /** --user, resolved against the image's /etc/passwd when the task starts (the rootfs is mounted then). */
  user?: string;
  /** --cni/--net/-p/--dns: the network each task of this container joins. */
  network?: ParsedNetworkFlags;
  noPivot?: boolean;
  /** The snapshot's files were shifted to the user namespace's ids (--uidmap): done once, by the first start. */
  idShifted?: boolean;
}

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,75}$/;
export function validateContainerId(id: string): void {
  if (!ID_RE.test(id)) throw new InvalidArgumentError(`invalid container id "${id}": use letters, digits, '_', '.' and '-' (at most 76 characters, starting with a letter or digit)`);
}

export class ContainerStore {
  constructor(readonly root: string, readonly stateRoot: string, readonly namespace: string) {}

  private recordPath(id: string) { return join(this.root, 'metadata', this.namespace, 'containers', `${id}.json`); }
  taskDir(id: string) { return join(this.stateRoot, this.namespace, id); }
  /** Where tsctr before the core-backed tasks kept a task's state (read only to clean it up). */
  legacyTaskPath(id: string) { return join(this.taskDir(id), 'state.json'); }

  get(id: string): ContainerRecord {
    const r = readJson<ContainerRecord>(this.recordPath(id));
    if (!r) throw new NotFoundError(`container "${id}" not found in namespace "${this.namespace}"`, { hint: 'list containers with tsctr containers ls' });
    return r;
  }
  find(id: string): ContainerRecord | undefined { return readJson<ContainerRecord>(this.recordPath(id)); }

  /** One flock per namespace: check-then-write of a record is atomic across concurrent tsctr processes. */
  private lockPath() { return join(this.root, 'locks', `containers-${this.namespace}.lock`); }

  /**
   * Creates the record, or throws AlreadyExists: of two `run` with one id,
   * exactly one gets here first; the other must then undo only what it made.
   */
  async create(r: ContainerRecord, sys?: SysProvider): Promise<void> {
    validateContainerId(r.id);
    await withLock(this.lockPath(), () => {
      if (existsSync(this.recordPath(r.id))) throw new AlreadyExistsError(`container "${r.id}" already exists in namespace "${this.namespace}"`, { hint: `remove it with tsctr containers rm ${r.id}, or pick another id` });
      writeJsonAtomic(this.recordPath(r.id), r);
    }, { sys });
  }
  update(r: ContainerRecord): void { writeJsonAtomic(this.recordPath(r.id), r); }

  /** containers label: KEY=VALUE sets, KEY= (empty value) removes, under the namespace's lock; returns the labels now. */
  async setLabels(id: string, changes: Record<string, string>, sys?: SysProvider): Promise<Record<string, string>> {
    return withLock(this.lockPath(), () => {
      const r = this.get(id);
      const labels = { ...r.labels };
      for (const [k, v] of Object.entries(changes)) { if (v === '') delete labels[k]; else labels[k] = v; }
      if (Object.keys(changes).length) this.update({ ...r, labels });
      return labels;
    }, { sys });
  }
  remove(id: string): void { rmSync(this.recordPath(id), { force: true }); }

  list(): ContainerRecord[] {
    const dir = join(this.root, 'metadata', this.namespace, 'containers');
    if (!existsSync(dir)) return [];
    return readdirSync(dir).filter((f) => f.endsWith('.json') && !f.startsWith('.')).map((f) => readJson<ContainerRecord>(join(dir, f))!).filter(Boolean);
  }

  /** The container's task as recorded by the runtime core (task.ts), or undefined. */
  getTask(id: string): Task | undefined { return readTask(this, id); }

  /** The runtime core's state directory of this namespace: one record per task (oci/state.ts). */
  runtime(): StateDir { return new StateDir(join(this.stateRoot, '.runtime', this.namespace)); }
  /** The lock a starting (and a foreground) task holds: nobody else sets up or cleans its bundle meanwhile. */
  taskLockPath(id: string) { return join(this.root, 'locks', `task-${this.namespace}-${id}.lock`); }
}

/** The start time of a process (clock ticks since boot), or undefined when it is gone. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm may contain spaces and parentheses: split after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

