// tsctr-runc exec --process FILE: the process JSON is hostile input. Every
// bad value is refused naming the field, nothing unchecked reaches the plan,
// and files that are not a small regular file are refused before reading.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { loadProcessFile, MAX_PROCESS_JSON, parseProcessJson, validateProcess } from '../../../src/oci/process-json.js';
import { createExecPlan } from '../../../src/oci/plan/exec.js';
import { defaultSpec } from '../../../src/oci/spec/index.js';

const good = { terminal: false, user: { uid: 0, gid: 0 }, args: ['sh', '-c', 'echo ok'], env: ['PATH=/bin'], cwd: '/' };
const withField = (k: string, v: unknown) => JSON.stringify({ ...good, [k]: v });
const refused = (text: string, re: RegExp) => assert.throws(() => parseProcessJson(text), (e: Error) => e.name === 'InvalidArgumentError' && re.test(e.message));

test('a well-formed process (what containerd writes) comes back field by field', () => {
  const p = parseProcessJson(JSON.stringify({ ...good, consoleSize: { height: 30, width: 100 }, noNewPrivileges: true, rlimits: [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 1024 }], capabilities: { bounding: ['CAP_KILL'], effective: ['CAP_KILL'] }, user: { uid: 1000, gid: 1000, additionalGids: [10], umask: 0o22 }, oomScoreAdj: 5 }));
  assert.equal(p.args, ['sh', '-c', 'echo ok']);
  assert.equal(p.user, { uid: 1000, gid: 1000, additionalGids: [10], umask: 0o22 });
  assert.equal(p.consoleSize, { height: 30, width: 100 });
  assert.is(p.noNewPrivileges, true);
  assert.is(p.oomScoreAdj, 5);
});

test('not JSON, not an object, empty', () => {
  refused('', /not valid JSON/);
  refused('{"args": [', /not valid JSON/);
  refused('[]', /must be a JSON object/);
  refused('null', /must be a JSON object/);
  refused('"sh"', /must be a JSON object/);
  refused('42', /must be a JSON object/);
});

test('args: missing, empty, not strings, NUL bytes', () => {
  refused(withField('args', undefined), /process\.args: must be an array of strings/);
  refused(withField('args', []), /process\.args: must name a program/);
  refused(withField('args', 'sh -c x'), /process\.args: must be an array/);
  refused(withField('args', ['sh', 7]), /process\.args\[1\]: must be a string, got number/);
  refused(withField('args', ['sh', null]), /process\.args\[1\]: must be a string/);
  refused(withField('args', ['sh\u0000/bin/evil']), /process\.args\[0\]: must not contain a NUL byte/);
  refused(withField('args', [{ toString: 'x' }]), /process\.args\[0\]: must be a string, got object/);
});

test('cwd: relative, missing, NUL, not a string', () => {
  refused(withField('cwd', 'tmp'), /process\.cwd: must be an absolute path/);
  refused(withField('cwd', '../../etc'), /process\.cwd: must be an absolute path/);
  refused(withField('cwd', undefined), /process\.cwd: must be a string/);
  refused(withField('cwd', '/tmp\u0000x'), /process\.cwd: must not contain a NUL/);
  refused(withField('cwd', ['/']), /process\.cwd: must be a string/);
});

test('env: not KEY=value, NUL, not a list', () => {
  refused(withField('env', ['PATH']), /process\.env\[0\]: must look like KEY=value/);
  refused(withField('env', ['=x']), /process\.env\[0\]/);
  refused(withField('env', ['A=b\u0000LD_PRELOAD=/x']), /process\.env\[0\]: must not contain a NUL/);
  refused(withField('env', { PATH: '/bin' }), /process\.env: must be an array/);
});

test('user: negative, fractional, huge, strings, too many groups', () => {
  refused(withField('user', { uid: -1, gid: 0 }), /process\.user\.uid/);
  refused(withField('user', { uid: 0.5, gid: 0 }), /process\.user\.uid/);
  refused(withField('user', { uid: 4294967296, gid: 0 }), /process\.user\.uid/);
  refused(withField('user', { uid: '0', gid: 0 }), /process\.user\.uid/);
  refused(withField('user', { uid: 0 }), /process\.user\.gid/);
  refused(withField('user', 0), /process\.user: must be an object/);
  refused(withField('user', { uid: 0, gid: 0, additionalGids: [1, -5] }), /process\.user\.additionalGids\[1\]/);
  refused(withField('user', { uid: 0, gid: 0, additionalGids: new Array(65537).fill(1) }), /at most 65536/);
  refused(withField('user', { uid: 0, gid: 0, umask: 0o1777 }), /process\.user\.umask/);
});

test('capabilities and rlimits: unknown names, duplicates, soft above hard, negative', () => {
  refused(withField('capabilities', { bounding: ['CAP_TAKE_OVER_HOST'] }), /process\.capabilities\.bounding\[0\]: unknown capability/);
  refused(withField('capabilities', { effective: 'CAP_KILL' }), /process\.capabilities\.effective: must be an array/);
  refused(withField('capabilities', ['CAP_KILL']), /process\.capabilities: must be an object/);
  refused(withField('rlimits', [{ type: 'RLIMIT_BOGUS', soft: 1, hard: 1 }]), /process\.rlimits\[0\]\.type: unknown rlimit/);
  refused(withField('rlimits', [{ type: 'NOFILE', soft: 1, hard: 1 }]), /unknown rlimit/);
  refused(withField('rlimits', [{ type: 'RLIMIT_NOFILE', soft: 2, hard: 1 }]), /must not exceed hard/);
  refused(withField('rlimits', [{ type: 'RLIMIT_NOFILE', soft: -1, hard: 1 }]), /non-negative/);
  refused(withField('rlimits', [{ type: 'RLIMIT_NOFILE', soft: 1, hard: 1 }, { type: 'RLIMIT_NOFILE', soft: 1, hard: 1 }]), /duplicate rlimit/);
  refused(withField('rlimits', [{ type: '__proto__', soft: 1, hard: 1 }]), /unknown rlimit/);
  refused(withField('rlimits', [{ type: 'RLIMIT_constructor', soft: 1, hard: 1 }]), /unknown rlimit/);
});

test('terminal, consoleSize, noNewPrivileges, oomScoreAdj of the wrong type or range', () => {
  refused(withField('terminal', 'yes'), /process\.terminal: must be true or false/);
  refused(withField('noNewPrivileges', 1), /process\.noNewPrivileges: must be true or false/);
  refused(withField('consoleSize', { height: 70000, width: 80 }), /process\.consoleSize/);
  refused(withField('consoleSize', { height: -1, width: 80 }), /process\.consoleSize/);
  refused(withField('consoleSize', [24, 80]), /process\.consoleSize/);
  refused(withField('oomScoreAdj', -1001), /process\.oomScoreAdj/);
  refused(withField('oomScoreAdj', '5'), /process\.oomScoreAdj/);
});

test('AppArmor and SELinux labels are refused by name, not dropped; empty ones are fine', () => {
  refused(withField('apparmorProfile', 'unconfined'), /process\.apparmorProfile: is not supported by tsctr-runc/);
  refused(withField('selinuxLabel', 'system_u:system_r:container_t:s0'), /process\.selinuxLabel: is not supported/);
  refused(withField('scheduler', { policy: 'SCHED_FIFO' }), /process\.scheduler: is not supported/);
  assert.ok(parseProcessJson(withField('apparmorProfile', '')));
});

test('every problem is named at once, in one line', () => {
  assert.throws(() => parseProcessJson(JSON.stringify({ args: [], cwd: 'x', user: { uid: -1, gid: 0 } })), (e: Error) =>
    /process\.user\.uid/.test(e.message) && /process\.args/.test(e.message) && /process\.cwd/.test(e.message) && !e.message.includes('\n'));
});

test('__proto__ and unknown keys do not reach the result or pollute Object.prototype', () => {
  const p = parseProcessJson('{"args":["sh"],"cwd":"/","user":{"uid":0,"gid":0,"__proto__":{"uid":5}},"__proto__":{"terminal":true},"constructor":{"x":1},"extra":"ignored"}');
  assert.is(p.terminal, undefined);
  assert.is(p.user.uid, 0);
  assert.not.ok('extra' in p);
  assert.is(({} as { terminal?: boolean }).terminal, undefined);
  assert.equal(Object.keys(p).sort(), ['args', 'cwd', 'user']);
});

test('huge inputs are refused before parsing; long arrays are bounded', () => {
  refused(' '.repeat(MAX_PROCESS_JSON + 1), /too large/);
  refused(withField('env', new Array(70000).fill('A=b')), /process\.env: has 70000 entries/);
  // Deep nesting is a JSON.parse matter: it either parses (then is refused as the wrong shape) or throws a clean error.
  refused('{"args":' + '['.repeat(5000) + ']'.repeat(5000) + '}', /process\.args|not valid JSON/);
});

test('the file: missing, a directory, a fifo (never opened: would block), a symlink to a big file, too large', () => {
  const dir = mkdtempSync(join(tmpdir(), 'exec-process-json-'));
  try {
    assert.throws(() => loadProcessFile(join(dir, 'nope.json')), /no such file/);
    assert.throws(() => loadProcessFile(dir), /not a regular file/);
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    assert.throws(() => loadProcessFile(join(dir, 'fifo')), /not a regular file/);
    writeFileSync(join(dir, 'big.json'), Buffer.alloc(MAX_PROCESS_JSON + 10, 0x20));
    assert.throws(() => loadProcessFile(join(dir, 'big.json')), /too large/);
    symlinkSync(join(dir, 'big.json'), join(dir, 'link.json'));
    assert.throws(() => loadProcessFile(join(dir, 'link.json')), /too large/);
    writeFileSync(join(dir, 'ok.json'), JSON.stringify(good));
    assert.equal(loadProcessFile(join(dir, 'ok.json')).args, good.args);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a validated process compiles into an exec plan; a NUL could not have got this far', () => {
  const p = validateProcess({ ...good, args: ['true'] });
  const spec = defaultSpec({ args: ['sleep', '1'] });
  spec.linux!.seccomp = undefined;
  const plan = createExecPlan(spec, { pid: 1, process: p, lastCap: 40 });
  assert.is(plan.ops.at(-1)!.op, 'execve');
});

test.run();
