// Containers (metadata under --root, per namespace) and their tasks (runtime
// state under --state). A container is what `run` creates; its task is the
// running process. A task whose recorded pid is gone — its tsctr was killed
// — is a leftover: findLeftover() spots it and the caller cleans it up.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { AlreadyExistsError, InvalidArgumentError, NotFoundError } from '../errors.js';
import { readJson, writeJsonAtomic } from '../util/fs.js';
import { withLock, type SysProvider } from '../content/lock.js';
import type { Spec } from '../oci/spec/index.js';

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
}

export interface TaskState {
  id: string;
  pid: number;
  /** /proc/<pid>/stat field 22: tells a reused pid from ours. */
  startTime: string;
  status: 'created' | 'running' | 'stopped';
  rootfs: string;
  /** True when the rootfs was mounted by us and must be unmounted. */
  rootfsMounted: boolean;
  cgroupsPath?: string;
  cliPid: number;
  cliStartTime: string;
  startedAt: string;
  exitStatus?: number;
  /** Set by tasks pause, cleared by resume: a record only; listings read the freezer (task-state.ts). */
  paused?: boolean;
  /** run -d: kept by tsctr-monitor, which records the exit status in exitFile; output goes to logFile. */
  detached?: boolean;
  monitorPid?: number;
  exitFile?: string;
  logFile?: string;
  /** run -d: the monitor's attach socket (tasks attach); tty when the task has a terminal. */
  attachSocket?: string;
  tty?: boolean;
  /** run -d: where the monitor writes how many OOM kills it saw (absent: none). */
  oomFile?: string;
  /** Foreground run: the kernel OOM-killed a process of the task. */
  oomKilled?: boolean;
}

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,75}$/;
export function validateContainerId(id: string): void {
  if (!ID_RE.test(id)) throw new InvalidArgumentError(`invalid container id "${id}": use letters, digits, '_', '.' and '-' (at most 76 characters, starting with a letter or digit)`);
}

export class ContainerStore {
  constructor(readonly root: string, readonly stateRoot: string, readonly namespace: string) {}

  private recordPath(id: string) { return join(this.root, 'metadata', this.namespace, 'containers', `${id}.json`); }
  taskDir(id: string) { return join(this.stateRoot, this.namespace, id); }
  private taskPath(id: string) { return join(this.taskDir(id), 'state.json'); }

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
  remove(id: string): void { rmSync(this.recordPath(id), { force: true }); }

  list(): ContainerRecord[] {
    const dir = join(this.root, 'metadata', this.namespace, 'containers');
    if (!existsSync(dir)) return [];
    return readdirSync(dir).filter((f) => f.endsWith('.json') && !f.startsWith('.')).map((f) => readJson<ContainerRecord>(join(dir, f))!).filter(Boolean);
  }

  getTask(id: string): TaskState | undefined { return readJson<TaskState>(this.taskPath(id)); }
  saveTask(t: TaskState): void { writeJsonAtomic(this.taskPath(t.id), t); }
  removeTask(id: string): void { rmSync(this.taskDir(id), { recursive: true, force: true }); }
  listTasks(): TaskState[] {
    const dir = join(this.stateRoot, this.namespace);
    if (!existsSync(dir)) return [];
    return readdirSync(dir).map((id) => this.getTask(id)).filter((t): t is TaskState => t !== undefined);
  }
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

export function isTaskAlive(t: TaskState): boolean {
  return t.pid > 0 && processStartTime(t.pid) === t.startTime;
}

/** True when the tsctr that ran this task is gone (killed) while its record remains. */
export function isLeftover(t: TaskState): boolean {
  // A detached task outlives its tsctr by design: once stopped it waits for `tasks rm`.
  if (t.detached) return false;
  return !isTaskAlive(t) && processStartTime(t.cliPid) !== t.cliStartTime;
}
