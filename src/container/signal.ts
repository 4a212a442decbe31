// Signals to container processes go through pidfds, never bare pid numbers:
// a pid can be reused once its process is reaped (crun libcrun_kill_linux).
//
// The task's init: pidfd_open(pid) first, then its start time (field 22 of
// /proc/<pid>/stat) is compared with the one recorded when the task started.
// If they match, the process holding that pid now is the task, and the fd
// opened before the check names the same process: had the task died and
// its pid been reused in between, the start time read after would be the
// newcomer's, which is later than the recorded one.
//
// Every process (kill --all): the cgroup is frozen first, so no listed
// process can exit and have its pid reused while we open and signal it;
// thawed after — unless it was frozen before (tasks pause): then it stays
// frozen and the signal is delivered on resume. SIGKILL with v2 cgroup.kill needs none of this.
import { closeSync } from 'node:fs';
import { NotFoundError } from '../errors.js';
import type { Sys } from '../sys/index.js';
import { isFrozenState, type ContainerCgroup } from './cgroup.js';
import { processStartTime } from './store.js';

const isEsrch = (e: unknown) => (e as { code?: string }).code === 'ESRCH';

/** A pidfd for pid when it still is the process that started at startTime; undefined otherwise. */
export function openPidfdChecked(sys: Sys, pid: number, startTime: string): number | undefined {
  if (!(pid > 0) || !startTime) return undefined;
  let fd: number;
  try {
    fd = sys.pidfdOpen(pid);
  } catch (e) {
    if (isEsrch(e)) return undefined;
    throw e;
  }
  if (processStartTime(pid) === startTime) return fd;
  closeSync(fd);
  return undefined;
}

/** Sends sig through the pidfd; false when the process has exited. */
export function sendByPidfd(sys: Sys, pidfd: number, sig: number): boolean {
  try {
    sys.pidfdSendSignal(pidfd, sig);
    return true;
  } catch (e) {
    if (isEsrch(e)) return false;
    throw e;
  }
}

/** Signals the task's init; throws NotFound when it is gone or its pid now names another process. */
export function signalTask(sys: Sys, t: { id: string; pid: number; startTime: string }, sig: number): void {
  const fd = openPidfdChecked(sys, t.pid, t.startTime);
  const gone = () => new NotFoundError(`container "${t.id}" has no running task: pid ${t.pid} is gone or is now another process (start time differs from the recorded ${t.startTime})`, { hint: 'list tasks with tsctr tasks ls' });
  if (fd === undefined) throw gone();
  try {
    if (!sendByPidfd(sys, fd, sig)) throw gone();
  } finally {
    closeSync(fd);
  }
}

export interface SignalAllReport {
  how: 'cgroup.kill' | 'freeze';
  /** The freezer's state once frozen (FROZEN / frozen). */
  frozen?: string;
  signalled: number[];
}

/** Signals every process in the cgroup: cgroup.kill for SIGKILL where there is one, else freeze → pidfd each → thaw. */
export async function signalAll(sys: Sys, cg: ContainerCgroup, sig: number, close: (fd: number) => void = closeSync): Promise<SignalAllReport> {
  if (sig === 9) {
    const pids = cg.pids();
    if (cg.kill()) return { how: 'cgroup.kill', signalled: pids };
  }
  const wasFrozen = isFrozenState(cg.freezerState());
  await cg.freeze();
  const report: SignalAllReport = { how: 'freeze', frozen: cg.freezerState(), signalled: [] };
  try {
    for (const pid of cg.pids()) {
      let fd: number;
      try {
        fd = sys.pidfdOpen(pid);
      } catch (e) {
        if (isEsrch(e)) continue;
        throw e;
      }
      try {
        if (sendByPidfd(sys, fd, sig)) report.signalled.push(pid);
      } finally {
        close(fd);
      }
    }
  } finally {
    if (!wasFrozen) cg.thaw();
  }
  return report;
}
