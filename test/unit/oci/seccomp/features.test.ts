// The features document claims only what compileSeccomp honours.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileSeccomp, encodeFilterFlags } from '../../../../src/oci/seccomp/compile.js';
import { seccompFeatures } from '../../../../src/oci/seccomp/features.js';
import type { Seccomp } from '../../../../src/oci/spec/types.js';

const f = seccompFeatures();

test('every action, operator and arch it lists compiles, without a warning', () => {
  assert.not.ok(f.actions.includes('SCMP_ACT_NOTIFY'));
  for (const a of f.actions) compileSeccomp({ defaultAction: a, syscalls: [{ names: ['read'], action: a as Seccomp['defaultAction'] }] } as Seccomp);
  for (const op of f.operators) compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['ioctl'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: 3, valueTwo: 1, op }] }] } as Seccomp);
  assert.equal(f.archs.sort(), ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_X32', 'SCMP_ARCH_X86', 'SCMP_ARCH_X86_64']);
  assert.equal(compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', architectures: f.archs }).warnings, []);
});

test('supported flags encode; known but unsupported ones are refused', () => {
  assert.ok(f.supportedFlags.every((x) => f.knownFlags.includes(x)));
  assert.is(encodeFilterFlags({ defaultAction: 'SCMP_ACT_ALLOW', flags: f.supportedFlags }), 7);
  for (const x of f.knownFlags.filter((k) => !f.supportedFlags.includes(k))) assert.throws(() => encodeFilterFlags({ defaultAction: 'SCMP_ACT_ALLOW', flags: [x] }), /linux\.seccomp\.flags/);
});

test.run();
