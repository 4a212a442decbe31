// What the detached-task tests (attach*, tasks-start) share: a throw-away Env
// with the fixture image that removes their containers afterwards, the task
// list and the runtime core's record of a task, a wait on a condition (never
// a fixed sleep), and `tasks attach` driven from a shell on a real pty.
import type { Test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSys, type Sys } from '../../src/sys/index.js';
import { PtySession } from './pty-driver.js';
import { Env } from './tsctr.js';

export type TaskRow = { id: string; pid: number; status: string; exit?: number | null };

/** Polls f every 50 ms until it returns something other than undefined or false. */
export async function until<T>(f: () => T | undefined | false, what: string, ms = 15000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A process that exists and is not a zombie. */
export const alive = (pid: number): boolean => existsSync(`/proc/${pid}`) && readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2] !== 'Z';

/**
 * One suite's world: an Env named `name` (the fixture imported when root),
 * the libc bindings, and after the suite: `onCleanup` functions, every
 * tracked pty closed, each of `ids` removed with --force, the Env removed.
 */
export class TaskSuite {
  /** Made at once (two temporary directories); the fixture is imported before the suite. */
  readonly env: Env;
  private loaded: Sys | undefined;
  private readonly sessions: PtySession[] = [];
  private readonly cleanups: Array<() => void> = [];

  constructor(test: Test, name: string, ids: readonly string[]) {
    this.env = new Env(name);
    test.before(async () => {
      this.loaded = await loadSys();
      if (process.geteuid?.() === 0) this.env.importFixture();
    });
    test.after(() => {
      // Every step runs even when one before it throws (a cleanup's process already gone):
      // a pty session left open or a container left behind outlives the suite.
      const errors: unknown[] = [];
      const step = (f: () => void) => { try { f(); } catch (e) { errors.push(e); } };
      for (const f of this.cleanups) step(f);
      for (const s of this.sessions) step(() => s.close());
      for (const id of ids) step(() => this.env.run(['containers', 'rm', '--force', id]));
      step(() => this.env.cleanup());
      if (errors.length) throw errors[0];
    });
  }

  get sys(): Sys {
    if (!this.loaded) throw new Error('TaskSuite: sys used before test.before ran');
    return this.loaded;
  }

  onCleanup(f: () => void): void {
    this.cleanups.push(f);
  }

  /** A pty session that is closed after the suite (closing it earlier too is fine). */
  track(s: PtySession): PtySession {
    this.sessions.push(s);
    return s;
  }

  /** A command on a fresh pty, closed after the suite. */
  pty(argv: string[], size?: { rows: number; cols: number }): PtySession {
    return this.track(new PtySession(this.sys, argv, size));
  }

  tasks(): TaskRow[] {
    return JSON.parse(this.env.run(['tasks', 'ls', '--json']).stdout || '[]') as TaskRow[];
  }
  task(id: string): TaskRow | undefined {
    return this.tasks().find((t) => t.id === id);
  }

  /** The runtime core's directory of a task (its state.json). */
  coreDir(id: string): string {
    return join(this.env.state, '.runtime', 'default', id);
  }

  /** The core's record of a detached task: its pid, its parent (the monitor), and the attach socket in its bundle directory. */
  monitored(id: string): { pid: number; parentKind: string | undefined; monitorPid: number; attachSocket: string } {
    const r = JSON.parse(readFileSync(join(this.coreDir(id), 'state.json'), 'utf8')) as { pid: number; parent?: { kind: string; pid: number } };
    return { pid: r.pid, parentKind: r.parent?.kind, monitorPid: r.parent!.pid, attachSocket: join(this.env.state, 'default', id, 'attach.sock') };
  }

  /** `tasks attach` in a shell on a fresh pty; after it ends, the shell prints its exit code and the terminal's modes (see ended). */
  attachInShell(id: string, extra: string[] = []): PtySession {
    const cmd = [process.execPath, ...this.env.args(['tasks', 'attach', ...extra, id])].map((a) => `'${a}'`).join(' ');
    return this.pty(['/bin/sh', '-c', `${cmd}; echo "rc=$?"; stty -a; echo "END""-MODES"`]);
  }
}

/** Attached once the shell in the task answers a bare return with its prompt (our terminal is raw by then). */
export async function ready(s: PtySession): Promise<void> {
  const from = s.output.length;
  s.send('\r');
  // busybox ash may ask for the cursor position (ESC [ 6 n) after its prompt.
  await s.waitFor(/# (\x1b\[6n)?$/, from);
}

/** The exit code of an attachInShell session's attach, and the terminal's modes after it. */
export async function ended(s: PtySession): Promise<{ rc: number; modes: string }> {
  const out = await s.waitFor(/rc=\d+[\s\S]*END-MODES/);
  return { rc: Number(/rc=(\d+)/.exec(out)![1]), modes: out.slice(out.indexOf('rc=')) };
}

/** The terminal is back in the mode it had: canonical, echoing, output processed. */
export function assertRestored(modes: string): void {
  for (const flag of ['icanon', 'echo', 'opost', 'isig', 'icrnl']) assert.match(modes, new RegExp(`(^|\\s)${flag}(\\s|$)`), `${flag} restored`);
}

/**
 * A task that waits for `tasks exec <id> ...GO`: the exec'd shell writes its
 * pid to /tmp/go, and the task goes on only once that process is gone (reaped
 * by its tsctr). Were the task to go on as soon as the file appears, its end
 * could SIGKILL the exec'd process, still in the task's pid namespace between
 * its write and its exit, and the exec would report 137 (seen under load).
 * `each` runs in every round of the wait.
 */
export const waitForGo = (each = 'sleep 0.05'): string => `while [ ! -s /tmp/go ]; do ${each}; done; while [ -e /proc/$(cat /tmp/go) ]; do sleep 0.05; done`;
export const GO = ['sh', '-c', 'echo $$ > /tmp/go'];
