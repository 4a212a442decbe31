// linux.resources.blockIO: every field written where the kernel has the
// file, refused by name where it has not, and nothing written when one
// field of the set is refused. Fake cgroup directories hold the files a
// kernel would offer (BFQ v1 here; CFQ; v2 io).
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { applyBlkioV1, applyIoV2 } from '../../../../src/oci/cgroups/blkio.js';
import { applyV1 } from '../../../../src/oci/cgroups/v1.js';
import { applyV2 } from '../../../../src/oci/cgroups/v2.js';
import type { BlockIO } from '../../../../src/oci/spec/index.js';

let dir = '';
test.before.each(() => { dir = mkdtempSync(join(tmpdir(), 'tsctr-blkio-')); });
test.after.each(() => rmSync(dir, { recursive: true, force: true }));
const files = (...names: string[]) => { for (const n of names) writeFileSync(join(dir, n), ''); };
const read = (n: string) => readFileSync(join(dir, n), 'utf8');
const THROTTLE = ['blkio.throttle.read_bps_device', 'blkio.throttle.write_bps_device', 'blkio.throttle.read_iops_device', 'blkio.throttle.write_iops_device'];

const all: BlockIO = {
  weight: 500,
  weightDevice: [{ major: 8, minor: 0, weight: 300 }],
  throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 102400 }],
  throttleWriteBpsDevice: [{ major: 8, minor: 0, rate: 204800 }],
  throttleReadIOPSDevice: [{ major: 8, minor: 16, rate: 10 }],
  throttleWriteIOPSDevice: [{ major: 8, minor: 16, rate: 20 }],
};

test('v1 with BFQ (this kernel): weight and weight_device in blkio.bfq.*, throttles in blkio.throttle.*', () => {
  files('blkio.bfq.weight', 'blkio.bfq.weight_device', ...THROTTLE);
  applyBlkioV1(dir, all);
  assert.is(read('blkio.bfq.weight'), '500');
  assert.is(read('blkio.bfq.weight_device'), '8:0 300');
  assert.is(read('blkio.throttle.read_bps_device'), '8:0 102400');
  assert.is(read('blkio.throttle.write_bps_device'), '8:0 204800');
  assert.is(read('blkio.throttle.read_iops_device'), '8:16 10');
  assert.is(read('blkio.throttle.write_iops_device'), '8:16 20');
});

test('v1 with CFQ: blkio.weight and leaf weights', () => {
  files('blkio.weight', 'blkio.weight_device', 'blkio.leaf_weight', 'blkio.leaf_weight_device', 'blkio.bfq.weight');
  applyBlkioV1(dir, { weight: 400, leafWeight: 300, weightDevice: [{ major: 8, minor: 0, leafWeight: 200 }] });
  assert.is(read('blkio.weight'), '400');
  assert.is(read('blkio.leaf_weight'), '300');
  assert.is(read('blkio.leaf_weight_device'), '8:0 200');
  assert.is(read('blkio.bfq.weight'), '');
});

test('v1 refusals name the field, and nothing is written before one', () => {
  files('blkio.bfq.weight', 'blkio.bfq.weight_device', ...THROTTLE);
  assert.throws(() => applyBlkioV1(dir, { weight: 500, leafWeight: 300 }), /linux\.resources\.blockIO\.leafWeight: this kernel has no blkio\.leaf_weight .*refused, not ignored/);
  assert.is(read('blkio.bfq.weight'), '', 'weight not written before the refusal');
  assert.throws(() => applyBlkioV1(dir, { weightDevice: [{ major: 8, minor: 0, weight: 10, leafWeight: 300 }] }), /blockIO\.weightDevice\[0\]\.leafWeight/);
  rmSync(join(dir, 'blkio.throttle.write_iops_device'));
  assert.throws(() => applyBlkioV1(dir, all), /blockIO\.throttleWriteIOPSDevice: this kernel has no blkio\.throttle\.write_iops_device/);
  assert.is(read('blkio.throttle.read_bps_device'), '');
  rmSync(join(dir, 'blkio.bfq.weight'));
  assert.throws(() => applyBlkioV1(dir, { weight: 100 }), /blockIO\.weight: this kernel has no blkio weight file/);
});

test('v2: io.bfq.weight keeps the v1 range, io.weight converts; throttles become one io.max line per device', () => {
  files('io.bfq.weight', 'io.max');
  applyIoV2(dir, { weight: 500, throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1 }], throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 2 }] });
  assert.is(read('io.bfq.weight'), '500');
  assert.is(read('io.max'), '8:0 rbps=1 wiops=2');
  rmSync(join(dir, 'io.bfq.weight'));
  files('io.weight');
  applyIoV2(dir, { weight: 1000 });
  assert.is(read('io.weight'), '10000');
  assert.throws(() => applyIoV2(dir, { leafWeight: 10 }), /blockIO\.leafWeight: cgroup v2 has no leaf weight/);
  rmSync(join(dir, 'io.max'));
  assert.throws(() => applyIoV2(dir, { throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1 }] }), /throttleReadBpsDevice: no io\.max/);
  assert.not.ok(existsSync(join(dir, 'io.max')));
});

test('cpu.burst, cpu.idle, memory.kernelTCP, memory.useHierarchy: written where the file is, refused by name where not', () => {
  files('cpu.cfs_burst_us', 'cpu.idle', 'memory.kmem.tcp.limit_in_bytes', 'memory.use_hierarchy');
  const dirs = new Map([['cpu', dir], ['memory', dir]]);
  applyV1(dirs, { cpu: { burst: 1000, idle: 1 }, memory: { kernelTCP: 1 << 20, useHierarchy: true } });
  assert.is(read('cpu.cfs_burst_us'), '1000');
  assert.is(read('cpu.idle'), '1');
  assert.is(read('memory.kmem.tcp.limit_in_bytes'), String(1 << 20));
  assert.is(read('memory.use_hierarchy'), '1');
  rmSync(join(dir, 'cpu.cfs_burst_us'));
  assert.throws(() => applyV1(dirs, { cpu: { burst: 1000 } }), /linux\.resources\.cpu\.burst: this kernel has no cpu\.cfs_burst_us; refused/);
  rmSync(join(dir, 'cpu.idle'));
  applyV1(dirs, { cpu: { idle: 0 } }); // the default needs no file
  assert.throws(() => applyV1(dirs, { cpu: { idle: 1 } }), /cpu\.idle/);
  files('cpu.max', 'cpu.max.burst', 'memory.max');
  applyV2(dir, { cpu: { burst: 500 } }, new Set(['cpu', 'memory']));
  assert.is(read('cpu.max.burst'), '500');
  assert.throws(() => applyV2(dir, { memory: { kernelTCP: 1 } }, new Set(['memory'])), /memory\.kernelTCP: cgroup v2 has no kernel TCP memory limit/);
  assert.throws(() => applyV2(dir, { memory: { useHierarchy: false } }, new Set(['memory'])), /memory\.useHierarchy/);
});

test('memory or pids limits on a host without that hierarchy: refused by name (they were a warning)', () => {
  assert.throws(() => applyV1(new Map(), { memory: { limit: 1 << 20 } }), /linux\.resources\.memory: no memory cgroup hierarchy is mounted on this host; refused/);
  assert.throws(() => applyV1(new Map(), { pids: { limit: 10 } }), /linux\.resources\.pids: no pids cgroup hierarchy/);
  applyV1(new Map(), { memory: {} }); // an empty object asks for nothing
});

test.run();
