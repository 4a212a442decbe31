// A seccomp profile is user input (--seccomp-profile, a bundle's config.json):
// every bad or hostile shape gets one InvalidArgumentError naming the field,
// never a stack trace, a filter the kernel rejects, or a silently wrong one.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InvalidArgumentError } from '../../../../src/errors.js';
import { SECCOMP_RET } from '../../../../src/oci/seccomp/bpf.js';
import { compileSeccomp, encodeFilterFlags } from '../../../../src/oci/seccomp/compile.js';
import { SYSCALLS_X86_64 as NR } from '../../../../src/oci/seccomp/syscalls-x86_64.js';
import type { Seccomp } from '../../../../src/oci/spec/types.js';
import { runBpf } from './bpf-eval.js';

const compile = (p: unknown) => compileSeccomp(p as Seccomp, { arch: 'x86_64' });

function refuses(p: unknown, message: RegExp, what: string, fn: (p: unknown) => unknown = compile): void {
  try {
    fn(p);
  } catch (e) {
    assert.instance(e, InvalidArgumentError, `${what}: ${(e as Error).stack}`);
    assert.match((e as Error).message, message, what);
    assert.not.match((e as Error).message, /\n/, `${what}: one line`);
    return;
  }
  assert.unreachable(`${what}: accepted`);
}

const rule = (extra: object) => ({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['ioctl'], action: 'SCMP_ACT_ERRNO', ...extra }] });

test('prototype names are not system calls: skipped, reported, compiled to nothing', () => {
  const names = ['__proto__', 'toString', 'constructor', 'hasOwnProperty', 'valueOf'];
  const r = compile({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names, action: 'SCMP_ACT_ALLOW' }] });
  assert.equal(r.unknownSyscalls, names);
  assert.equal(r.enosysAbove, {}, 'nothing named, no bound');
  for (const nr of [0, 1, 59, 500]) assert.is(runBpf(r.instructions, nr), (SECCOMP_RET.ERRNO | 1) >>> 0);
});

test('odd names: empty, NUL, control characters, huge, many — one bounded warning line', () => {
  const names = ['', 'read\0', 'a\nb', 'x'.repeat(100_000), ...Array.from({ length: 5000 }, (_, i) => `nope_${i}`)];
  const r = compile({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names, action: 'SCMP_ACT_ERRNO' }] });
  assert.is(r.unknownSyscalls.length, names.length);
  assert.is(r.warnings.length, 1);
  assert.not.match(r.warnings[0]!, /\n/);
  assert.ok(r.warnings[0]!.length < 1000, `bounded (${r.warnings[0]!.length})`);
  assert.match(r.warnings[0]!, /5004 system call name\(s\).* and 4994 more$/);
  assert.is(runBpf(r.instructions, NR.read!), SECCOMP_RET.ALLOW);
});

test('errnoRet and defaultErrnoRet must be an errno', () => {
  for (const v of [-1, 1.5, 4096, 70000, Number.NaN, '1', null, 1e300]) {
    refuses(rule({ errnoRet: v }), /^linux\.seccomp\.syscalls\[0\]\.errnoRet: .* is not an errno/, `errnoRet ${String(v)}`);
    refuses({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: v }, /^linux\.seccomp\.defaultErrnoRet: /, `defaultErrnoRet ${String(v)}`);
  }
  assert.is(runBpf(compile(rule({ errnoRet: 4095 })).instructions, NR.ioctl!), (SECCOMP_RET.ERRNO | 4095) >>> 0);
  assert.is(runBpf(compile(rule({ errnoRet: 0 })).instructions, NR.ioctl!), SECCOMP_RET.ERRNO, 'errno 0: the call "succeeds" with 0');
});

test('argument indexes outside seccomp_data, non-integer and imprecise values, unknown operators', () => {
  for (const index of [6, -1, 1.5, '0', 2 ** 32]) refuses(rule({ args: [{ index, value: 0, op: 'SCMP_CMP_EQ' }] }), /argument index/, `index ${String(index)}`);
  for (const value of [1.5, '5', Number.NaN, 2 ** 60, undefined, {}]) refuses(rule({ args: [{ index: 0, value, op: 'SCMP_CMP_EQ' }] }), /argument value/, `value ${String(value)}`);
  refuses(rule({ args: [{ index: 0, value: 0, op: 'SCMP_CMP_SOMETIMES' }] }), /unknown operator "SCMP_CMP_SOMETIMES"/, 'op');
  refuses(rule({ args: [{ index: 0, value: 3, valueTwo: 0.5, op: 'SCMP_CMP_MASKED_EQ' }] }), /argument value 0\.5/, 'valueTwo');
  // Values as bigints (from code) cover the whole u64 range.
  const r = compile(rule({ args: [{ index: 0, value: 0xffffffffffffffffn, op: 'SCMP_CMP_EQ' }] }));
  assert.is(runBpf(r.instructions, NR.ioctl!, [-1n]), (SECCOMP_RET.ERRNO | 1) >>> 0);
});

test('wrong JSON shapes name the field', () => {
  const cases: [unknown, RegExp][] = [
    [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: {} }, /^linux\.seccomp\.syscalls: must be an array/],
    [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [null] }, /^linux\.seccomp\.syscalls\[0\]: must be an object/],
    [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: 'read', action: 'SCMP_ACT_ALLOW' }] }, /^linux\.seccomp\.syscalls\[0\]\.names: /],
    [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: [], action: 'SCMP_ACT_ALLOW' }] }, /^linux\.seccomp\.syscalls\[0\]\.names: /],
    [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: [1], action: 'SCMP_ACT_ALLOW' }] }, /^linux\.seccomp\.syscalls\[0\]\.names: /],
    [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: 'x' }] }, /^linux\.seccomp\.syscalls\[0\]\.args: /],
    [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [null] }] }, /^linux\.seccomp\.syscalls\[0\]\.args: /],
    [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'ALLOW_ALL' }] }, /^linux\.seccomp\.syscalls\[0\]\.action: unknown action "ALLOW_ALL"/],
    [{ defaultAction: 'SCMP_ACT_NOPE' }, /^linux\.seccomp\.defaultAction: unknown action/],
    [{ defaultAction: 'SCMP_ACT_ALLOW', architectures: 'SCMP_ARCH_X86_64' }, /^linux\.seccomp\.architectures: must be an array of strings/],
    [{ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_VAX'] }, /^linux\.seccomp\.architectures\[1\]: unknown architecture "SCMP_ARCH_VAX"/],
    [{ defaultAction: 'SCMP_ACT_ALLOW', flags: 'SECCOMP_FILTER_FLAG_LOG' }, /^linux\.seccomp\.flags: must be an array of strings/],
    [{ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['constructor'] }, /^linux\.seccomp\.architectures\[0\]: unknown architecture "constructor"/],
    [{ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['__proto__'] }, /^linux\.seccomp\.architectures\[0\]: unknown architecture "__proto__"/],
  ];
  for (const [p, re] of cases) refuses(p, re, JSON.stringify(p));
});

test('seccomp notify: listenerPath, listenerMetadata, SCMP_ACT_NOTIFY and the listener flags are refused by name', () => {
  refuses({ defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/run/agent.sock' }, /^linux\.seccomp\.listenerPath: "\/run\/agent\.sock": tsctr does not support seccomp notify agents/, 'listenerPath');
  refuses({ defaultAction: 'SCMP_ACT_ALLOW', listenerMetadata: 'x' }, /^linux\.seccomp\.listenerMetadata: /, 'listenerMetadata');
  refuses({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }] }, /^linux\.seccomp\.syscalls\[0\]\.action: SCMP_ACT_NOTIFY needs a seccomp agent/, 'rule');
  refuses({ defaultAction: 'SCMP_ACT_NOTIFY' }, /^linux\.seccomp\.defaultAction: SCMP_ACT_NOTIFY/, 'default');
  for (const f of ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV', 'SECCOMP_FILTER_FLAG_NEW_LISTENER']) {
    refuses({ defaultAction: 'SCMP_ACT_ALLOW', flags: [f] }, new RegExp(`^linux\\.seccomp\\.flags: ${f} needs a seccomp notify listener`), f, encodeFilterFlags as (p: unknown) => unknown);
  }
  refuses({ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_FAST'] }, /^linux\.seccomp\.flags: unknown flag "SECCOMP_FILTER_FLAG_FAST"/, 'unknown flag', encodeFilterFlags as (p: unknown) => unknown);
  for (const f of ['toString', '__proto__', 'constructor']) refuses({ defaultAction: 'SCMP_ACT_ALLOW', flags: [f] }, /^linux\.seccomp\.flags: unknown flag/, f, encodeFilterFlags as (p: unknown) => unknown);
});

test('the flags seccomp(2) takes are passed on: TSYNC 1, LOG 2, SPEC_ALLOW 4', () => {
  const f = (flags: string[]) => encodeFilterFlags({ defaultAction: 'SCMP_ACT_ALLOW', flags });
  assert.is(f([]), 0);
  assert.is(f(['SECCOMP_FILTER_FLAG_LOG']), 2);
  assert.is(f(['SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_TSYNC']), 7);
});

test('a profile too big for the kernel is refused up front, not at load', () => {
  const syscalls = Array.from({ length: 1500 }, (_, i) => ({ names: ['ioctl'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: i, op: 'SCMP_CMP_EQ' }] }));
  refuses({ defaultAction: 'SCMP_ACT_ALLOW', syscalls }, /^linux\.seccomp: the filter needs \d+ instructions, more than the kernel's 4096/, 'huge');
});

test.run();
