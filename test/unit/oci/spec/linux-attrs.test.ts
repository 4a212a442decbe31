// Malicious-input suite for the parsers of linux.timeOffsets,
// linux.personality and process.ioPriority: a bundle's config.json is
// untrusted. Each bad input gets an error naming the field, never a
// throw, a NaN or a value the kernel would read differently.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseIoPriority, parsePersonality, parseTimeOffsets } from '../../../../src/oci/spec/index.js';
import { findSpecErrors } from '../../../../src/oci/spec/validate.js';
import { defaultSpec } from '../../../../src/oci/spec/index.js';

test('timeOffsets: the kernel text, one line per clock', () => {
  assert.equal(parseTimeOffsets({ monotonic: { secs: 1, nanosecs: 2 } }), { value: 'monotonic 1 2', errors: [] });
  assert.equal(parseTimeOffsets({ boottime: {} }), { value: 'boottime 0 0', errors: [] });
  assert.equal(parseTimeOffsets({ monotonic: { secs: -5 }, boottime: { nanosecs: 999999999 } }).value, 'monotonic -5 0\nboottime 0 999999999');
  assert.equal(parseTimeOffsets({}), { value: '', errors: [] });
});

const BAD_OFFSETS: [string, unknown, RegExp][] = [
  ['not an object', 'monotonic 1 0', /linux\.timeOffsets: must be an object/],
  ['an array', [{ secs: 1 }], /linux\.timeOffsets: must be an object/],
  ['null', null, /linux\.timeOffsets: must be an object/],
  ['a clock time namespaces cannot offset', { realtime: { secs: 1 } }, /\["realtime"\]: unknown clock/],
  ['a clock name that would add a line', { 'monotonic 1 0\nboottime': { secs: 1 } }, /unknown clock/],
  ['a clock id instead of a name', { 1: { secs: 1 } }, /\["1"\]: unknown clock/],
  ['__proto__ as a clock', JSON.parse('{"__proto__": {"secs": 1}}'), /unknown clock/],
  ['secs as a string', { monotonic: { secs: '1\nboottime 9' } }, /\.secs: must be an integer/],
  ['secs fractional', { monotonic: { secs: 1.5 } }, /\.secs: must be an integer/],
  ['secs NaN-like', { monotonic: { secs: Number.NaN } }, /\.secs: must be an integer/],
  ['secs past 2^53', { monotonic: { secs: 2 ** 60 } }, /\.secs: must be an integer/],
  ['secs beyond what the clock can carry', { boottime: { secs: 200 * 365 * 86400 } }, /\.secs: must be an integer of at most/],
  ['nanosecs negative', { monotonic: { nanosecs: -1 } }, /\.nanosecs: must be an integer from 0 to 999999999/],
  ['nanosecs a whole second', { monotonic: { nanosecs: 1e9 } }, /\.nanosecs/],
  ['nanosecs a string', { monotonic: { nanosecs: '5' } }, /\.nanosecs/],
  ['the offset not an object', { monotonic: 5 }, /\["monotonic"\]: must be an object/],
];
for (const [what, input, re] of BAD_OFFSETS) {
  test(`timeOffsets refused: ${what}`, () => {
    const r = parseTimeOffsets(input);
    assert.is(r.value, undefined);
    assert.ok(r.errors.length >= 1);
    assert.match(r.errors.join('; '), re);
    for (const e of r.errors) assert.not.ok(e.includes('\n'), 'an error is one line');
  });
}

test('timeOffsets need a new time namespace (offsets are writable only before anyone enters it)', () => {
  const s = defaultSpec({ args: ['sh'] });
  s.linux!.timeOffsets = { monotonic: { secs: 1 } };
  assert.ok(findSpecErrors(s).some((e) => e.startsWith('linux.timeOffsets: needs a new time namespace')));
  s.linux!.namespaces!.push({ type: 'time' });
  assert.equal(findSpecErrors(s), []);
});

test('personality: the two domains the spec names', () => {
  assert.equal(parsePersonality({ domain: 'LINUX' }), { value: 0, errors: [] });
  assert.equal(parsePersonality({ domain: 'LINUX32', flags: [] }), { value: 8, errors: [] });
});

const BAD_PERSONALITY: [string, unknown, RegExp][] = [
  ['not an object', 'LINUX32', /linux\.personality: must be an object/],
  ['no domain', {}, /\.domain: must be LINUX or LINUX32/],
  ['lower case', { domain: 'linux32' }, /\.domain/],
  ['a numeric persona', { domain: 8 }, /\.domain/],
  ['another kernel persona by name', { domain: 'SVR4' }, /\.domain/],
  ['an inherited property name', { domain: 'toString' }, /\.domain/],
  ['__proto__', { domain: '__proto__' }, /\.domain/],
  ['a flag (none is defined)', { domain: 'LINUX', flags: ['ADDR_NO_RANDOMIZE'] }, /\.flags: "ADDR_NO_RANDOMIZE" is not supported by tsctr-runc/],
  ['flags not a list', { domain: 'LINUX', flags: 'ADDR_NO_RANDOMIZE' }, /\.flags: must be an array/],
];
for (const [what, input, re] of BAD_PERSONALITY) {
  test(`personality refused: ${what}`, () => {
    const r = parsePersonality(input);
    assert.is(r.value, undefined);
    assert.match(r.errors.join('; '), re);
  });
}

test('ioPriority: IOPRIO_PRIO_VALUE(class, data)', () => {
  assert.equal(parseIoPriority({ class: 'IOPRIO_CLASS_RT', priority: 0 }), { value: 1 << 13, errors: [] });
  assert.equal(parseIoPriority({ class: 'IOPRIO_CLASS_BE', priority: 4 }), { value: (2 << 13) | 4, errors: [] });
  assert.equal(parseIoPriority({ class: 'IOPRIO_CLASS_IDLE' }), { value: 3 << 13, errors: [] });
});

const BAD_IOPRIO: [string, unknown, RegExp][] = [
  ['not an object', 2, /process\.ioPriority: must be an object/],
  ['unknown class', { class: 'IOPRIO_CLASS_NONE', priority: 0 }, /\.class: must be one of/],
  ['class by number', { class: 1, priority: 0 }, /\.class/],
  ['inherited name', { class: 'constructor', priority: 0 }, /\.class/],
  ['priority 8 (would spill into the class bits)', { class: 'IOPRIO_CLASS_BE', priority: 8 }, /\.priority: must be an integer from 0 to 7/],
  ['priority 8192 (would change the class)', { class: 'IOPRIO_CLASS_IDLE', priority: 8192 }, /\.priority/],
  ['negative priority', { class: 'IOPRIO_CLASS_BE', priority: -1 }, /\.priority/],
  ['fractional', { class: 'IOPRIO_CLASS_BE', priority: 1.5 }, /\.priority/],
  ['a string', { class: 'IOPRIO_CLASS_BE', priority: '1' }, /\.priority/],
];
for (const [what, input, re] of BAD_IOPRIO) {
  test(`ioPriority refused: ${what}`, () => {
    const r = parseIoPriority(input);
    assert.is(r.value, undefined);
    assert.match(r.errors.join('; '), re);
  });
}

test('devices, consoleSize and blockIO numbers are checked in the spec', () => {
  const s = defaultSpec({ args: ['sh'] });
  s.linux!.devices = [{ type: 'c', path: '/dev/x', major: 1, minor: 3, fileMode: 0o170000 }, { type: 'x' as never, path: 'rel' }];
  s.process!.consoleSize = { height: -1, width: 80 };
  s.linux!.resources = { blockIO: { weight: 5, weightDevice: [{ major: 8, minor: 0 }], throttleReadBpsDevice: [{ major: -8, minor: 0, rate: -1 }] } };
  const e = findSpecErrors(s).join('\n');
  for (const want of ['linux.devices[0].fileMode', 'linux.devices[1].type', 'linux.devices[1].path', 'process.consoleSize', 'linux.resources.blockIO.weight:',
    'linux.resources.blockIO.weightDevice[0]: needs weight or leafWeight', 'linux.resources.blockIO.throttleReadBpsDevice[0]: major', 'throttleReadBpsDevice[0].rate']) assert.ok(e.includes(want), want);
});

test.run();
