// The executor ABI is defined once, in native/plan.h (and the validator's
// op table in native/executor.c). This reads both and checks the
// TypeScript side against them: opcodes, op and header flags, sizes, the
// report record, and the op names the validator prints.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeStepReports, encodePlan, HEADER_FLAGS, OP_FLAGS, OPCODES, PLAN_ABI, type PlanOpName } from '../../../src/oci/launch-plan.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../../../..');
const header = readFileSync(join(repo, 'native/plan.h'), 'utf8');
const executor = readFileSync(join(repo, 'native/executor.c'), 'utf8');

const defines = (prefix: string) => Object.fromEntries([...header.matchAll(new RegExp(`^#define ${prefix}([A-Z_]+) (0x[0-9a-fA-F]+|\\d+)u?\\b`, 'gm'))].map((m) => [m[1]!, Number(m[2])]));
const enumBody = header.slice(header.indexOf('enum tspl_opcode {'), header.indexOf('};', header.indexOf('enum tspl_opcode {')));
const cOpcodes = Object.fromEntries([...enumBody.matchAll(/^\s*TSPL_([A-Z0-9_]+) = (\d+),/gm)].map((m) => [m[1]!.toLowerCase(), Number(m[2])]));

test('every opcode is the same number on both sides, and no side has one the other lacks', () => {
  assert.equal(Object.keys(cOpcodes).sort(), Object.keys(OPCODES).sort());
  for (const [name, n] of Object.entries(OPCODES)) assert.is(cOpcodes[name], n, name);
  // Numbers are unique (a sparse table, by ranges).
  assert.is(new Set(Object.values(OPCODES)).size, Object.keys(OPCODES).length);
});

test('the validator knows every op by the name TypeScript uses', () => {
  const table = Object.fromEntries([...executor.matchAll(/\{ TSPL_([A-Z0-9_]+), "([a-z0-9_]+)"/g)].map((m) => [m[1]!.toLowerCase(), m[2]!]));
  assert.equal(Object.keys(table).sort(), Object.keys(OPCODES).sort());
  for (const [k, name] of Object.entries(table)) assert.is(name, k);
});

test('op flags, header flags, magic, version and sizes', () => {
  assert.equal(defines('TSPL_OPF_'), OP_FLAGS);
  assert.equal(defines('TSPL_HDR_'), HEADER_FLAGS);
  assert.is(defines('TSPL_')['MAGIC'], PLAN_ABI.magic);
  assert.is(defines('TSPL_')['VERSION'], PLAN_ABI.version);
  const size = (what: string) => Number(new RegExp(`sizeof\\(struct ${what}\\) == (\\d+)`).exec(header)?.[1]);
  assert.is(size('tspl_header'), PLAN_ABI.headerSize);
  assert.is(size('tspl_op'), PLAN_ABI.opSize);
  assert.is(size('tspl_report'), PLAN_ABI.reportSize);
  // The op layout: u32 op, u32 flags, i64 n[5], u32 s[4] = 64 bytes.
  assert.match(header, /struct tspl_op \{\s*uint32_t op;\s*uint32_t flags;[^}]*int64_t n\[5\];\s*uint32_t s\[4\];\s*\}/);
  assert.match(header, /struct tspl_report \{\s*uint32_t step;\s*int32_t err;[^}]*uint64_t ns;[^}]*\}/);
});

test('encodePlan writes the header and op layout plan.h describes', () => {
  const b = encodePlan([{ op: 'mknod', path: '/dev/null', mode: 0o20666, major: 1, minor: 3, inRoot: true }, { op: 'check_parent' }], { trace: true, resolveWalk: true });
  assert.is(b.readUInt32LE(0), PLAN_ABI.magic);
  assert.is(b.readUInt32LE(8), 2);
  assert.is(b.readUInt32LE(12), HEADER_FLAGS.TRACE | HEADER_FLAGS.RESOLVE_WALK);
  const op0 = PLAN_ABI.headerSize;
  assert.is(b.readUInt32LE(op0), OPCODES.mknod);
  assert.is(b.readUInt32LE(op0 + 4), OP_FLAGS.IN_ROOT);
  const s0 = b.readUInt32LE(op0 + 48);
  assert.is(b.subarray(s0, b.indexOf(0, s0)).toString(), '/dev/null');
  assert.is(b.readUInt32LE(op0 + PLAN_ABI.opSize), OPCODES.check_parent);
});

test('decodeStepReports: whole records, the partial rest kept', () => {
  const rec = (step: number, err: number, ns: bigint) => { const r = Buffer.alloc(16); r.writeUInt32LE(step, 0); r.writeInt32LE(err, 4); r.writeBigUInt64LE(ns, 8); return r; };
  const all = Buffer.concat([rec(0, 0, 5n), rec(7, 2, 99n), rec(8, 0, 1n).subarray(0, 10)]);
  const { records, rest } = decodeStepReports(all);
  assert.equal(records, [{ step: 0, errno: 0, ns: 5 }, { step: 7, errno: 2, ns: 99 }]);
  assert.is(rest.length, 10);
  assert.equal(decodeStepReports(Buffer.alloc(0)).records, []);
});

const _names: PlanOpName[] = Object.keys(OPCODES) as PlanOpName[];
void _names;

test.run();
