// The device rule emulator (runc's semantics) and the BPF program compiled
// from it: golden listings for runc's own test cases, decisions of the
// program (interpreted) for the default rules, and malicious rule lists.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isKind } from '../../../../src/errors.js';
import { compileDeviceFilter, formatDeviceFilter, resolveDeviceRules, runDeviceFilter, formatException } from '../../../../src/oci/cgroups/index.js';
import { defaultDeviceRules } from '../../../../src/oci/spec/defaults.js';
import type { DeviceCgroupRule } from '../../../../src/oci/spec/types.js';

const allow = (type: 'a' | 'b' | 'c', major: number | null, minor: number | null, access = 'rwm'): DeviceCgroupRule => ({ allow: true, type, major, minor, access });
const deny = (type: 'a' | 'b' | 'c', major: number | null, minor: number | null, access = 'rwm'): DeviceCgroupRule => ({ allow: false, type, major, minor, access });
/** The listing without comments and labels: one instruction a line. */
const ops = (rules: DeviceCgroupRule[]) => formatDeviceFilter(compileDeviceFilter(rules)).split('\n').filter((l) => !l.endsWith(':')).map((l) => l.replace(/\s*;.*$/, '').replace(/^\s*\d+: /, ''));

const PROLOGUE = ['r2 = *(u32 *)(r1 + 0)', 'w2 &= 0xffff', 'r3 = *(u32 *)(r1 + 0)', 'w3 >>= 16', 'r4 = *(u32 *)(r1 + 4)', 'r5 = *(u32 *)(r1 + 8)'];

test('no rules: deny everything (runc TestDeviceFilter_Nil)', () => {
  assert.equal(ops([]), [...PROLOGUE, 'w0 = 0', 'exit']);
});

test('allow all, and allow all but one block device (runc Privileged, PrivilegedExceptSingleDevice)', () => {
  assert.equal(ops([allow('a', null, null)]), [...PROLOGUE, 'w0 = 1', 'exit']);
  assert.equal(ops([allow('a', -1, -1), deny('b', 8, 0)]), [...PROLOGUE,
    'if r2 != 1 goto +4 <block-1>', 'if r4 != 8 goto +3 <block-1>', 'if r5 != 0 goto +2 <block-1>', 'w0 = 0', 'exit',
    'w0 = 1', 'exit']);
});

test('an "a" rule resets what came before (runc Weird: 8:1 allowed, 8:2 denied)', () => {
  const rules = [deny('b', 8, 1), allow('a', null, null), deny('b', 8, 2)];
  assert.equal(ops(rules), [...PROLOGUE,
    'if r2 != 1 goto +4 <block-1>', 'if r4 != 8 goto +3 <block-1>', 'if r5 != 2 goto +2 <block-1>', 'w0 = 0', 'exit',
    'w0 = 1', 'exit']);
  const f = compileDeviceFilter(rules);
  assert.ok(runDeviceFilter(f, 'b', 8, 1, 'r'));
  assert.not.ok(runDeviceFilter(f, 'b', 8, 2, 'r'));
});

test('the default list compiles to runc\'s built-in allow list program, block by block', () => {
  const f = compileDeviceFilter(defaultDeviceRules());
  // Sorted by major, minor, type: wildcards first, b before c.
  assert.equal(f.exceptions.map(formatException), ['b *:* m', 'c *:* m', 'c 1:3 rwm', 'c 1:5 rwm', 'c 1:7 rwm', 'c 1:8 rwm', 'c 1:9 rwm', 'c 5:0 rwm', 'c 5:1 rwm', 'c 5:2 rwm', 'c 10:200 rwm', 'c 136:* rwm']);
  const text = formatDeviceFilter(f);
  assert.ok(text.startsWith(`   0: r2 = *(u32 *)(r1 + 0)                  ; access_type
   1: w2 &= 0xffff                           ; r2 = device type`), text);
  assert.ok(text.includes(`block-0:
   6: if r2 != 1 goto +5 <block-1>           ; allow b *:* m
   7: w1 = w3
   8: w1 &= 1
   9: if r1 != r3 goto +2 <block-1>
  10: w0 = 1
  11: exit
block-1:`), text);
  assert.ok(text.endsWith(`block-11:
  63: if r2 != 2 goto +3 <block-12>          ; allow c 136:* rwm
  64: if r4 != 136 goto +2 <block-12>
  65: w0 = 1
  66: exit
block-12:
  67: w0 = 0                                 ; default: deny
  68: exit`), text);
  // runc's list has no /dev/console (5:1); ours does: one block of 5 more.
  assert.is(f.insns.length, 64 + 5);
  assert.is(f.bytecode.length, f.insns.length * 8);
  assert.is(f.bytecode.subarray(0, 8).toString('hex'), '6112000000000000'); // ldxw r2, [r1+0]
  assert.is(f.bytecode.subarray(6 * 8, 7 * 8).toString('hex'), '5502050001000000'); // jne r2, 1, +5
  assert.is(f.license, 'Apache');
});

test('what the default program lets a container do', () => {
  const f = compileDeviceFilter(defaultDeviceRules());
  const cases: [string, 'b' | 'c', number, number, string, boolean][] = [
    ['/dev/null read+write', 'c', 1, 3, 'rw', true],
    ['/dev/zero', 'c', 1, 5, 'r', true],
    ['/dev/pts/7', 'c', 136, 7, 'rw', true],
    ['/dev/net/tun', 'c', 10, 200, 'rwm', true],
    ['mknod of a host disk', 'b', 254, 0, 'm', true],
    ['reading a host disk', 'b', 254, 0, 'r', false],
    ['writing a host disk', 'b', 8, 0, 'w', false],
    ['mknod and open at once', 'b', 8, 0, 'rm', false],
    ['/dev/mem', 'c', 1, 1, 'r', false],
    ['/dev/kmsg', 'c', 1, 11, 'w', false],
    ['/dev/tty0', 'c', 4, 0, 'r', false],
    ['mknod of any char device', 'c', 4, 0, 'm', true],
    ['a block device with the null numbers', 'b', 1, 3, 'r', false],
  ];
  for (const [what, type, major, minor, access, want] of cases) assert.is(runDeviceFilter(f, type, major, minor, access), want, what);
});

test('the last rule about a device wins; access is merged per device', () => {
  const f = compileDeviceFilter([deny('a', null, null), allow('c', 1, 3, 'r'), allow('c', 1, 3, 'w'), deny('c', 1, 3, 'w'), allow('c', 1, 5), deny('c', 1, 5)]);
  assert.equal(f.exceptions.map(formatException), ['c 1:3 r']);
  assert.ok(runDeviceFilter(f, 'c', 1, 3, 'r'));
  assert.not.ok(runDeviceFilter(f, 'c', 1, 3, 'w'));
  assert.not.ok(runDeviceFilter(f, 'c', 1, 5, 'r'));
  // In deny-list mode an allow takes a deny back.
  const g = compileDeviceFilter([allow('a', null, null), deny('b', 8, null), deny('c', 1, 1, 'rw'), allow('c', 1, 1, 'r')]);
  assert.equal(g.exceptions.map(formatException), ['c 1:1 w', 'b 8:* rwm']);
  assert.ok(runDeviceFilter(g, 'c', 1, 1, 'r'));
  assert.not.ok(runDeviceFilter(g, 'c', 1, 1, 'w'));
  assert.not.ok(runDeviceFilter(g, 'b', 8, 17, 'm'));
  assert.ok(runDeviceFilter(g, 'b', 9, 0, 'rwm'));
  // No type means "a"; no access means rwm.
  assert.equal(resolveDeviceRules([{ allow: true }, { allow: false, type: 'b', major: 8, minor: 0 }]), { defaultAllow: true, exceptions: [{ type: 'b', major: 8, minor: 0, access: 'rwm' }] });
});

test('malicious rule lists: bad numbers, types and access are refused; a hole in a wildcard is refused', () => {
  const bad: [DeviceCgroupRule[], RegExp][] = [
    [[allow('c', -5, 0)], /devices\[0\]\.major: -5 is not a device number/],
    [[allow('c', 1, 1.5)], /devices\[0\]\.minor: 1.5/],
    [[allow('c', 2 ** 31, 0)], /major: 2147483648/],
    [[allow('c', Number.NaN, 0)], /major: NaN/],
    [[{ allow: true, type: 'z' as 'c', major: 1, minor: 1, access: 'r' }], /devices\[0\]\.type: "z"/],
    [[deny('a', null, null), allow('c', 1, 3, 'rx')], /devices\[1\]\.access: "rx"/],
    [[...defaultDeviceRules(), deny('c', 1, 3, 'rwm')], /deny "c 1:3 rwm" cannot punch a hole in "c \*:\* m"/],
    [[allow('a', null, null), deny('c', 1, null), allow('c', 1, 3)], /allow "c 1:3 rwm" cannot punch a hole in "c 1:\* rwm"/],
  ];
  for (const [rules, re] of bad) {
    let err: unknown;
    try { compileDeviceFilter(rules); } catch (e) { err = e; }
    assert.ok(isKind(err, 'InvalidArgument'), `${re}: ${String(err)}`);
    assert.match(String(err), re);
  }
  // Taking away access the wildcard does not grant is fine.
  assert.ok(compileDeviceFilter([...defaultDeviceRules(), deny('c', 1, 3, 'rw')]).exceptions.every((e) => formatException(e) !== 'c 1:3 rwm'));
  // A thousand rules stay a straight line of blocks (no loops for the verifier).
  const many = compileDeviceFilter([deny('a', null, null), ...Array.from({ length: 1000 }, (_, i) => allow('c', 200, i, 'r'))]);
  assert.is(many.exceptions.length, 1000);
  assert.ok(many.insns.every((x) => x.off >= 0));
  assert.ok(runDeviceFilter(many, 'c', 200, 999, 'r'));
  assert.not.ok(runDeviceFilter(many, 'c', 200, 1000, 'r'));
});

test.run();
