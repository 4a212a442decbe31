// signalAll: freeze → a pidfd per listed process → thaw, in that order and
// on every path; cgroup.kill for SIGKILL where the cgroup has it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FakeSys } from '../../../src/sys/fake.js';
import { SysError } from '../../../src/sys/index.js';
import { signalAll } from '../../../src/container/signal.js';
import type { ContainerCgroup } from '../../../src/container/cgroup.js';

function fakeCgroup(log: string[], opts: { pids: number[]; hasKill?: boolean; frozen?: boolean }): ContainerCgroup {
  let state = opts.frozen ? 'FROZEN' : 'THAWED';
  return {
    path: 'tsctr/default/x',
    create() {}, join() {}, destroy: async () => false, mountSources: () => [], stats: () => [], oomSource: () => undefined,
    pids: () => { log.push('pids'); return opts.pids; },
    freeze: async () => { log.push('freeze'); state = 'FROZEN'; },
    thaw: () => { log.push('thaw'); state = 'THAWED'; },
    freezerState: () => state,
    thawSettled: async () => { log.push('thaw'); state = 'THAWED'; },
    kill: () => { if (!opts.hasKill) return false; log.push('cgroup.kill'); return true; },
  };
}

test('a paused (already frozen) cgroup stays frozen after SIGTERM: the signal is delivered on resume', async () => {
  const log: string[] = [];
  const r = await signalAll(new LoggingSys(log), fakeCgroup(log, { pids: [10], frozen: true }), 15, () => {});
  assert.equal(log, ['freeze', 'pids', 'open 10', 'signal 10 15']);
  assert.equal(r.signalled, [10]);
});

class LoggingSys extends FakeSys {
  constructor(readonly log: string[], readonly gone = new Set<number>()) { super(); }
  override pidfdOpen(pid: number) {
    this.log.push(`open ${pid}`);
    if (this.gone.has(pid)) throw new SysError('pidfd_open', 3 /* ESRCH */);
    return 1000 + pid;
  }
  override pidfdSendSignal(fd: number, sig: number) { this.log.push(`signal ${fd - 1000} ${sig}`); }
}

test('SIGTERM: frozen before the first pidfd is opened, thawed after the last signal', async () => {
  const log: string[] = [];
  // The fds are fake: closing them would close real ones, so count instead.
  const sys = new LoggingSys(log);
  const r = await signalAll(sys, fakeCgroup(log, { pids: [10, 11] }), 15, () => {});
  assert.equal(log, ['freeze', 'pids', 'open 10', 'signal 10 15', 'open 11', 'signal 11 15', 'thaw']);
  assert.equal(r, { how: 'freeze', frozen: 'FROZEN', signalled: [10, 11] });
});

test('a process gone before its pidfd is opened is skipped; the cgroup is thawed when signalling fails', async () => {
  const log: string[] = [];
  const sys = new LoggingSys(log, new Set([10]));
  const r = await signalAll(sys, fakeCgroup(log, { pids: [10, 11] }), 15, () => {});
  assert.equal(r.signalled, [11]);
  const failing = new LoggingSys(log);
  failing.pidfdSendSignal = () => { throw new SysError('pidfd_send_signal', 1 /* EPERM */); };
  log.length = 0;
  await signalAll(failing, fakeCgroup(log, { pids: [12] }), 15, () => {}).then(() => assert.unreachable(), (e) => assert.instance(e, SysError));
  assert.is(log.at(-1), 'thaw', 'thawed on the error path too');
});

test('SIGKILL with cgroup.kill: no freeze, no pid; without it, freeze + pidfd as for any signal', async () => {
  const log: string[] = [];
  const r = await signalAll(new LoggingSys(log), fakeCgroup(log, { pids: [10], hasKill: true }), 9, () => {});
  assert.equal(r.how, 'cgroup.kill');
  assert.not.ok(log.some((l) => l.startsWith('open') || l === 'freeze'));
  log.length = 0;
  const r2 = await signalAll(new LoggingSys(log), fakeCgroup(log, { pids: [10] }), 9, () => {});
  assert.is(r2.how, 'freeze');
  assert.equal(log.filter((l) => l !== 'pids'), ['freeze', 'open 10', 'signal 10 9', 'thaw']);
});

test.run();
