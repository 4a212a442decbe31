import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { describeOp, encodePlan, hintForStep, RLIM_INFINITY, type PlanOp } from '../../../src/oci/launch-plan.js';

// Reads back the fixed part of op i (layout in native/plan.h).
function opAt(buf: Buffer, i: number) {
  const at = 16 + i * 64;
  const n = [0, 1, 2, 3, 4].map((k) => buf.readBigInt64LE(at + 8 + k * 8));
  const s = [0, 1, 2, 3].map((k) => buf.readUInt32LE(at + 48 + k * 4));
  return { code: buf.readUInt32LE(at), flags: buf.readUInt32LE(at + 4), n, s };
}
function cstr(buf: Buffer, off: number): string | null {
  if (off === 0) return null;
  return buf.toString('utf8', off, buf.indexOf(0, off));
}

test('header carries magic, version, count and trace flag', () => {
  const b = encodePlan([{ op: 'setsid' }], { trace: true });
  assert.is(b.toString('latin1', 0, 4), 'TSPL');
  assert.is(b.readUInt32LE(4), 1);
  assert.is(b.readUInt32LE(8), 1);
  assert.is(b.readUInt32LE(12), 1);
  assert.is(encodePlan([]).readUInt32LE(12), 0);
});

test('mount encodes strings by offset and NULL as 0', () => {
  const b = encodePlan([{ op: 'mount', source: null, target: '/', fstype: null, flags: 0x4000 | 0x80000, data: null }]);
  const o = opAt(b, 0);
  assert.is(o.code, 1);
  assert.is(o.n[0], BigInt(0x84000));
  assert.is(cstr(b, o.s[0]!), null);
  assert.is(cstr(b, o.s[1]!), '/');
  assert.is(o.s[2], 0);
});

test('ignoreMissing and preserveFlags set op flags', () => {
  const b = encodePlan([
    { op: 'mount', source: '/a', target: '/b', fstype: null, flags: 0, data: null, ignoreMissing: true, preserveFlags: true },
    { op: 'mask_path', path: '/proc/kcore' },
    { op: 'mkdir', path: '/a/b', mode: 0o755, parents: true },
  ]);
  assert.is(opAt(b, 0).flags, 3);
  assert.is(opAt(b, 1).flags, 1);
  assert.is(opAt(b, 2).flags, 4);
});

test('execve encodes argv and env as consecutive strings', () => {
  const b = encodePlan([{ op: 'execve', path: 'sh', argv: ['sh', '-c', 'echo hi'], env: ['A=1', 'B=2'], searchPath: '/bin' }]);
  const o = opAt(b, 0);
  assert.is(o.n[0], 3n);
  assert.is(o.n[1], 2n);
  assert.is(cstr(b, o.s[0]!), 'sh');
  const argv = b.toString('utf8', o.s[1]!, o.s[1]! + 'sh\0-c\0echo hi\0'.length).split('\0');
  assert.equal(argv.slice(0, 3), ['sh', '-c', 'echo hi']);
  assert.is(cstr(b, o.s[3]!), '/bin');
});

test('rlimit infinity and capability masks survive as 64-bit values', () => {
  const b = encodePlan([
    { op: 'setrlimit', resource: 7, soft: 1024n, hard: RLIM_INFINITY },
    { op: 'capset', effective: 1n << 40n, permitted: (1n << 41n) - 1n, inheritable: 0n },
  ]);
  assert.is(opAt(b, 0).n[2], -1n);
  assert.is(opAt(b, 1).n[0], 1n << 40n);
  assert.is(BigInt.asUintN(64, opAt(b, 1).n[1]!), (1n << 41n) - 1n);
});

test('seccomp and setgroups blobs are 8-byte aligned', () => {
  const filter = Buffer.alloc(16, 1);
  const b = encodePlan([{ op: 'sethostname', name: 'abc' }, { op: 'seccomp', filter, flags: 0 }, { op: 'setgroups', gids: [1, 2, 3] }]);
  const sc = opAt(b, 1);
  assert.is(sc.n[0], 2n);
  assert.is(sc.s[0]! % 8, 0);
  assert.ok(b.subarray(sc.s[0]!, sc.s[0]! + 16).equals(filter));
  const sg = opAt(b, 2);
  assert.is(sg.n[0], 3n);
  assert.is(b.readUInt32LE(sg.s[0]! + 8), 3);
});

test('bad plans are refused before they reach the executor', () => {
  assert.throws(() => encodePlan([{ op: 'execve', path: 'x', argv: [], env: [] }]), /argv\[0\]/);
  assert.throws(() => encodePlan([{ op: 'chdir', path: 'a\0b' }]), /NUL/);
  assert.throws(() => encodePlan([{ op: 'seccomp', filter: Buffer.alloc(5), flags: 0 }]), /8-byte/);
});

test('describeOp and hints read like strace', () => {
  const m: PlanOp = { op: 'mount', source: 'proc', target: '/proc', fstype: 'proc', flags: 0x2 | 0x4 | 0x8, data: null };
  assert.is(describeOp(m), 'mount("proc", "/proc", "proc", MS_NOSUID|MS_NODEV|MS_NOEXEC, NULL)');
  assert.match(hintForStep({ op: 'pivot_root', newRoot: '.', putOld: '.' }, 'EINVAL')!, /not a mount point/);
  assert.match(hintForStep({ op: 'execve', path: 'nope', argv: ['nope'], env: [] }, 'ENOENT')!, /not found/);
});

test.run();
