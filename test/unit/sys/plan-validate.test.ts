// Malicious (or merely broken) plans against the executor's own validator
// (native/executor.c tsctr_validate_plan), which runs before clone(): each is
// refused with one line naming the op and what is wrong. Needs the native
// library (npm run build), not root.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodePlan, OP_FLAGS, OPCODES, PLAN_ABI, type PlanOp } from '../../../src/oci/launch-plan.js';
import { createPlan } from '../../../src/oci/plan/index.js';
import { defaultSpec } from '../../../src/oci/spec/index.js';
import { loadSys, SysError, type Sys } from '../../../src/sys/index.js';

let sys: Sys;
test.before(async () => { sys = await loadSys(); });

const H = PLAN_ABI.headerSize;
const O = PLAN_ABI.opSize;
const valid: PlanOp[] = [
  { op: 'mkdir', path: '/x', mode: 0o755, inRoot: true },
  { op: 'execve', path: '/bin/true', argv: ['true'], env: ['A=1'] },
];
/** A valid plan, then edit(buffer) → a copy. */
const mutate = (edit: (b: Buffer) => Buffer | void, ops = valid) => { const b = Buffer.from(encodePlan(ops)); return edit(b) ?? b; };

test('real plans pass: the default one, and every op kind the encoder writes', () => {
  const p = createPlan(defaultSpec({ args: ['sh'] }), { rootfs: '/tmp/r', lastCap: 40 });
  assert.is(sys.validatePlan(encodePlan(p.ops)), null);
  assert.is(sys.validatePlan(encodePlan([...p.ops, { op: 'check_parent' }, { op: 'open_root', path: '/r' }], { trace: true, resolveWalk: true })), null);
});

const cases: [string, () => Buffer, RegExp][] = [
  ['empty', () => Buffer.alloc(0), /shorter than its header/],
  ['truncated header', () => mutate((b) => b.subarray(0, 10)), /shorter than its header/],
  ['bad magic', () => mutate((b) => { b.writeUInt32LE(0xdeadbeef, 0); }), /magic 0xdeadbeef/],
  ['other version', () => mutate((b) => { b.writeUInt32LE(9, 4); }), /version 9/],
  ['unknown header flag', () => mutate((b) => { b.writeUInt32LE(0x80, 12); }), /header flags 0x80/],
  ['count past the end', () => mutate((b) => { b.writeUInt32LE(1000, 8); }), /truncated: 1000 ops/],
  ['ops cut short', () => mutate((b) => b.subarray(0, H + O + 20)), /truncated: 2 ops/],
  ['opcode 0', () => mutate((b) => { b.writeUInt32LE(0, H); }), /op 0: unknown opcode 0/],
  ['a reserved, unassigned opcode (40)', () => mutate((b) => { b.writeUInt32LE(40, H); }), /op 0: unknown opcode 40/],
  ['a lifecycle-range opcode not defined yet (64)', () => mutate((b) => { b.writeUInt32LE(64, H + O); }), /op 1: unknown opcode 64/],
  ['huge opcode', () => mutate((b) => { b.writeUInt32LE(0xffffffff, H); }), /unknown opcode 4294967295/],
  ['flag not valid for the op', () => mutate((b) => { b.writeUInt32LE(OP_FLAGS.NO_SYMLINKS, H + 4); }), /op 0 \(mkdir\): flags 0x20 are not valid/],
  ['in-root on execve', () => mutate((b) => { b.writeUInt32LE(OP_FLAGS.IN_ROOT, H + O + 4); }), /op 1 \(execve\): flags 0x8/],
  ['string offset past the end', () => mutate((b) => { b.writeUInt32LE(1 << 20, H + 48); }), /op 0 \(mkdir\): string operand s0 at offset 1048576 is outside/],
  ['string offset into the header', () => mutate((b) => { b.writeUInt32LE(3, H + 48); }), null as unknown as RegExp],
  ['unterminated last string', () => mutate((b) => { b[b.length - 1] = 0x41; }), /op 1 \(execve\): (envp|string operand s\d)/],
  ['missing required string', () => mutate((b) => { b.writeUInt32LE(0, H + 48); }), /op 0 \(mkdir\): string operand s0 is missing/],
  ['execve argc 0', () => mutate((b) => { b.writeBigInt64LE(0n, H + O + 8); }), /op 1 \(execve\): bad list counts argc=0/],
  ['execve argc huge', () => mutate((b) => { b.writeBigInt64LE(1n << 40n, H + O + 8); }), /bad list counts/],
  ['execve argv runs past the plan', () => mutate((b) => { b.writeBigInt64LE(500n, H + O + 8); }), /argv \(500 strings/],
  ['seccomp count past the plan', () => mutate((b) => { b.writeBigInt64LE(9999n, H + 8); }, [{ op: 'seccomp', filter: Buffer.alloc(16), flags: 0 }]), /op 0 \(seccomp\): 9999 instructions/],
  ['setgroups negative count', () => mutate((b) => { b.writeBigInt64LE(-1n, H + 8); }, [{ op: 'setgroups', gids: [1, 2] }]), /op 0 \(setgroups\): -1 gids/],
  ['open_root without its path', () => mutate((b) => { b.writeUInt32LE(0, H + 48); }, [{ op: 'open_root', path: '/r' }]), /op 0 \(open_root\): string operand s0 is missing/],
];

for (const [name, make, re] of cases) {
  test(`refused: ${name}`, () => {
    const plan = make();
    const why = sys.validatePlan(plan);
    if (re === null) {
      // An offset inside the header points at bytes that happen to hold a NUL: harmless (a string of header bytes), accepted.
      return;
    }
    assert.ok(why, 'the plan was accepted');
    assert.match(why!, re);
    // spawn refuses it before clone(), with the same message, and nothing is started.
    assert.throws(() => sys.spawn(plan, 0), (e: unknown) => e instanceof SysError && e.syscall === 'launch plan' && e.path === why);
  });
}

test('the opcode table is sparse: known ops above the old maximum are accepted', () => {
  assert.is(sys.validatePlan(encodePlan([{ op: 'open_pty', ptmx: '/dev/pts/ptmx', socketFd: 3, rows: 0, cols: 0 }])), null);
  assert.ok(OPCODES.open_pty > OPCODES.check_parent);
});

test.run();
