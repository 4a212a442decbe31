// Where OOM kills are read (v1 memory hierarchy first, else the unified one),
// how the count is parsed, how the monitor's events block is encoded, and
// what tasks ls says of an OOM-killed task.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { oomSourceOf } from '../../../../src/container/cgroup.js';
import { countFile, parseOomKill } from '../../../../src/container/oom.js';
import { encodeEventsBlock } from '../../../../src/container/monitor.js';
import { describeTask } from '../../../../src/container/task-state.js';
import { decodeWaitStatus } from '../../../../src/sys/index.js';

test('v1 and hybrid read memory.oom_control of the memory hierarchy; pure v2 memory.events of the unified one', () => {
  const hybrid = [{ hierarchy: 'cpu,cpuacct', dir: '/sys/fs/cgroup/cpu,cpuacct/tsctr/default/c' }, { hierarchy: 'memory', dir: '/sys/fs/cgroup/memory/x/tsctr/default/c' }, { hierarchy: '', dir: '/sys/fs/cgroup/unified/tsctr/default/c' }];
  assert.equal(oomSourceOf(hybrid), { kind: 'v1', dir: '/sys/fs/cgroup/memory/x/tsctr/default/c' });
  assert.is(countFile(oomSourceOf(hybrid)!), '/sys/fs/cgroup/memory/x/tsctr/default/c/memory.oom_control');
  const v2 = [{ hierarchy: '', dir: '/sys/fs/cgroup/tsctr/default/c' }];
  assert.equal(oomSourceOf(v2), { kind: 'v2', dir: '/sys/fs/cgroup/tsctr/default/c' });
  assert.is(countFile(oomSourceOf(v2)!), '/sys/fs/cgroup/tsctr/default/c/memory.events');
  assert.is(oomSourceOf([{ hierarchy: 'pids', dir: '/p' }]), undefined);
  assert.equal(oomSourceOf([{ hierarchy: 'name=systemd', dir: '/s' }, { hierarchy: 'cpu,memory', dir: '/m' }]), { kind: 'v1', dir: '/m' });
});

test('parseOomKill: the oom_kill key only, whole lines, digits only', () => {
  assert.is(parseOomKill('oom_kill_disable 0\nunder_oom 0\noom_kill 3\n'), 3);
  assert.is(parseOomKill('low 0\nhigh 5\nmax 9\noom 2\noom_kill 1\noom_group_kill 0\n'), 1);
  for (const t of ['', 'oom 4\n', 'oom_kill_disable 1\n', 'oom_kill -1\n', 'oom_kill 1e9\n', 'xoom_kill 2\n', 'oom_kill ' + '9'.repeat(40) + '\n', 'oom_kill\t2\n']) assert.is(parseOomKill(t), undefined, JSON.stringify(t));
});

test('the monitor\'s events block: key=value strings ending in NUL; a NUL inside a value is refused', () => {
  const b = encodeEventsBlock({ dir: '/r/events', limit: 4096, namespace: 'default', id: 'c1', oom: { kind: 'v1', dir: '/m' }, oomFile: '/s/oom' });
  assert.equal(b.toString().split('\0'), ['dir=/r/events', 'limit=4096', 'ns=default', 'id=c1', 'oom=v1', 'oom_dir=/m', 'oom_file=/s/oom', '']);
  assert.is(encodeEventsBlock(undefined).length, 0);
  assert.throws(() => encodeEventsBlock({ dir: '/r\0x', limit: 4096, namespace: 'default', id: 'c1' }), /NUL/);
  assert.throws(() => encodeEventsBlock({ dir: '/' + 'a'.repeat(5000), limit: 4096, namespace: 'default', id: 'c1' }), /too long/);
});

test('tasks ls: an OOM-killed task says so, stopped or still running', () => {
  assert.is(describeTask({ alive: false, exit: decodeWaitStatus(9), oomKilled: true }).text, 'STOPPED (exit 137, OOM-killed)');
  assert.is(describeTask({ alive: false, exit: decodeWaitStatus(9), oomKilled: true }).oomKilled, true);
  assert.is(describeTask({ alive: true, oomKilled: true }).text, 'RUNNING (a process was OOM-killed)');
  assert.is(describeTask({ alive: true, monitor: false, oomKilled: true }).text, 'RUNNING (no monitor, a process was OOM-killed)');
  assert.is(describeTask({ alive: false, exit: decodeWaitStatus(0) }).oomKilled, undefined);
});

test.run();
