// describeTask: a task's state told from facts read now (process, freezer,
// monitor, exit file), never from the record alone.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { describeTask } from '../../../src/container/task-state.js';
import { decodeWaitStatus } from '../../../src/sys/index.js';

test('a live task: RUNNING, PAUSED by the v1 or v2 freezer, PAUSING while v1 says FREEZING', () => {
  assert.is(describeTask({ alive: true }).text, 'RUNNING');
  assert.is(describeTask({ alive: true, freezer: 'THAWED' }).text, 'RUNNING');
  assert.is(describeTask({ alive: true, freezer: 'thawed', monitor: true }).text, 'RUNNING');
  assert.is(describeTask({ alive: true, freezer: 'FROZEN' }).status, 'PAUSED');
  assert.is(describeTask({ alive: true, freezer: 'frozen' }).status, 'PAUSED');
  assert.is(describeTask({ alive: true, freezer: 'FREEZING' }).status, 'PAUSING');
});

test('a detached task whose monitor is gone says so, paused or not', () => {
  assert.equal(describeTask({ alive: true, freezer: 'THAWED', monitor: false }), { status: 'RUNNING', text: 'RUNNING (no monitor)', monitor: false, exit: null });
  assert.is(describeTask({ alive: true, freezer: 'FROZEN', monitor: false }).text, 'PAUSED (no monitor)');
});

test('a dead task: STOPPED with the recorded exit, UNKNOWN when nobody recorded one', () => {
  assert.equal(describeTask({ alive: false, exit: decodeWaitStatus(7 << 8) }), { status: 'STOPPED', text: 'STOPPED (exit 7)', monitor: null, exit: 7 });
  assert.is(describeTask({ alive: false, exit: decodeWaitStatus(9) }).exit, 137);
  assert.equal(describeTask({ alive: false }), { status: 'UNKNOWN', text: 'UNKNOWN (exit status lost)', monitor: null, exit: null });
  // A stale freezer reading of a dead task does not make it PAUSED.
  assert.is(describeTask({ alive: false, freezer: 'FROZEN' }).status, 'UNKNOWN');
});

test('created by the core and not started (waiting on the exec fifo): CREATED, with or without its monitor', () => {
  assert.equal(describeTask({ alive: true, created: true }), { status: 'CREATED', text: 'CREATED', monitor: null, exit: null });
  assert.is(describeTask({ alive: true, created: true, monitor: false }).text, 'CREATED (no monitor)');
  // A dead process is never CREATED, whatever the fifo says.
  assert.is(describeTask({ alive: false, created: true }).status, 'UNKNOWN');
});

test.run();
