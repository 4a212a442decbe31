// The exit file beside the core's state.json: written by whoever reaped the
// process (tsctr-monitor in C, a foreground tsctr here), read by tasks ls/rm.
// A file another process could have damaged is read as "no status", never as
// a wrong one.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StateDir } from '../../../src/oci/state.js';
import { rawWaitStatus } from '../../../src/container/start.js';
import { decodeWaitStatus } from '../../../src/sys/index.js';

const root = mkdtempSync('/tmp/tsctr-state-exit-');
const dir = new StateDir(root);
mkdirSync(join(root, 'c1'));
test.after(() => rmSync(root, { recursive: true, force: true }));

test('writeExit/readExit round-trip the raw wait status; nothing else is left in the dir', () => {
  for (const s of [0, 7 << 8, 255 << 8, 9, 15 | 0x80]) {
    dir.writeExit('c1', s);
    assert.is(dir.readExit('c1'), s);
  }
  assert.equal(readdirSync(join(root, 'c1')), ['exit']);
});

test('rawWaitStatus is what waitpid gives: decodeWaitStatus reads it back', () => {
  for (const w of [{ kind: 'exited', code: 0 }, { kind: 'exited', code: 7 }, { kind: 'signaled', signal: 9, coreDumped: false }, { kind: 'signaled', signal: 11, coreDumped: true }] as const) {
    assert.equal(decodeWaitStatus(rawWaitStatus(w)), w);
  }
});

test('hostile exit files: anything but a decimal number is no status', () => {
  for (const text of ['', '\n', '-1', '7x', '0x700', ' 1 2', 'NaN', '1e3', '\u0000', 'x'.repeat(100000)]) {
    writeFileSync(join(root, 'c1', 'exit'), text);
    assert.is(dir.readExit('c1'), undefined, JSON.stringify(text.slice(0, 20)));
  }
  rmSync(join(root, 'c1', 'exit'));
  assert.is(dir.readExit('c1'), undefined, 'missing');
  mkdirSync(join(root, 'c1', 'exit'));
  assert.is(dir.readExit('c1'), undefined, 'a directory');
  rmSync(join(root, 'c1', 'exit'), { recursive: true });
});

test('ids that are not one path component are refused before any path is made', () => {
  for (const id of ['../x', '.', '..', 'a/b', '']) assert.throws(() => dir.exitFile(id));
});

test.run();
