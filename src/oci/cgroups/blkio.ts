// linux.resources.blockIO on cgroup v1 (blkio) and v2 (io), after the kernel's
// cgroup-v1/blkio-controller.rst and cgroup-v2.rst "IO". Every field is either
// written or refused naming the field: CFQ's weight files (blkio.weight,
// leaf_weight) left with the legacy block layer (Linux 5.0); BFQ offers
// blkio.bfq.weight / weight_device and has no leaf weight.
import { FailedPreconditionError } from '../../errors.js';
import type { BlockIO, ThrottleDevice } from '../spec/types.js';
import { hasCgroupFile, writeCgroupFile } from './files.js';
import { convertBlkioToIoWeight } from './v2.js';

const THROTTLES = [
  ['throttleReadBpsDevice', 'read_bps_device', 'rbps'],
  ['throttleWriteBpsDevice', 'write_bps_device', 'wbps'],
  ['throttleReadIOPSDevice', 'read_iops_device', 'riops'],
  ['throttleWriteIOPSDevice', 'write_iops_device', 'wiops'],
] as const;

const refuse = (field: string, why: string) =>
  new FailedPreconditionError(`linux.resources.blockIO.${field}: ${why}; refused, not ignored`, { hint: `remove linux.resources.blockIO.${field} from config.json` });

/** The first file of the list that this cgroup has. */
const pick = (dir: string, ...files: string[]) => files.find((f) => hasCgroupFile(dir, f));

/** Checks every field against the files first, so nothing is written when one is refused. */
export function applyBlkioV1(dir: string, b: BlockIO): void {
  const weightFile = pick(dir, 'blkio.weight', 'blkio.bfq.weight');
  const weightDevFile = pick(dir, 'blkio.weight_device', 'blkio.bfq.weight_device');
  const noCfq = 'this kernel has no blkio.leaf_weight (CFQ is gone since Linux 5.0; BFQ has no leaf weight)';
  if (b.weight !== undefined && !weightFile) throw refuse('weight', 'this kernel has no blkio weight file (neither CFQ nor BFQ is the I/O scheduler)');
  if (b.leafWeight !== undefined && !hasCgroupFile(dir, 'blkio.leaf_weight')) throw refuse('leafWeight', noCfq);
  (b.weightDevice ?? []).forEach((d, i) => {
    if (d.weight !== undefined && !weightDevFile) throw refuse(`weightDevice[${i}].weight`, 'this kernel has no blkio weight_device file');
    if (d.leafWeight !== undefined && !hasCgroupFile(dir, 'blkio.leaf_weight_device')) throw refuse(`weightDevice[${i}].leafWeight`, noCfq);
  });
  for (const [field, file] of THROTTLES) if (b[field]?.length && !hasCgroupFile(dir, `blkio.throttle.${file}`)) throw refuse(field, `this kernel has no blkio.throttle.${file}`);

  if (b.weight !== undefined) writeCgroupFile(dir, weightFile!, b.weight);
  if (b.leafWeight !== undefined) writeCgroupFile(dir, 'blkio.leaf_weight', b.leafWeight);
  for (const d of b.weightDevice ?? []) {
    if (d.weight !== undefined) writeCgroupFile(dir, weightDevFile!, `${d.major}:${d.minor} ${d.weight}`);
    if (d.leafWeight !== undefined) writeCgroupFile(dir, 'blkio.leaf_weight_device', `${d.major}:${d.minor} ${d.leafWeight}`);
  }
  for (const [field, file] of THROTTLES) for (const t of b[field] ?? []) writeCgroupFile(dir, `blkio.throttle.${file}`, `${t.major}:${t.minor} ${t.rate}`);
}

/** io.weight / io.bfq.weight and io.max (cgroup-v2.rst); v2 has no leaf weight. */
export function applyIoV2(dir: string, b: BlockIO): void {
  const bfq = hasCgroupFile(dir, 'io.bfq.weight');
  const anyWeight = b.weight !== undefined || (b.weightDevice ?? []).some((d) => d.weight !== undefined);
  if (anyWeight && !bfq && !hasCgroupFile(dir, 'io.weight')) throw refuse('weight', 'no io.weight or io.bfq.weight file (no weight-based I/O scheduler)');
  if (b.leafWeight !== undefined) throw refuse('leafWeight', 'cgroup v2 has no leaf weight');
  (b.weightDevice ?? []).forEach((d, i) => { if (d.leafWeight !== undefined) throw refuse(`weightDevice[${i}].leafWeight`, 'cgroup v2 has no leaf weight'); });
  const hasMax = hasCgroupFile(dir, 'io.max');
  for (const [field] of THROTTLES) if (b[field]?.length && !hasMax) throw refuse(field, 'no io.max file');

  // BFQ takes the v1 range (1..1000) as is; io.weight is 1..10000.
  if (b.weight !== undefined) writeCgroupFile(dir, bfq ? 'io.bfq.weight' : 'io.weight', bfq ? b.weight : convertBlkioToIoWeight(b.weight));
  for (const d of b.weightDevice ?? []) {
    if (d.weight !== undefined) writeCgroupFile(dir, bfq ? 'io.bfq.weight' : 'io.weight', `${d.major}:${d.minor} ${bfq ? d.weight : convertBlkioToIoWeight(d.weight)}`);
  }
  const max = new Map<string, string[]>();
  for (const [field, , key] of THROTTLES) for (const t of (b[field] ?? []) as ThrottleDevice[]) {
    const dev = `${t.major}:${t.minor}`;
    max.set(dev, [...(max.get(dev) ?? []), `${key}=${t.rate}`]);
  }
  for (const [dev, kv] of max) writeCgroupFile(dir, 'io.max', `${dev} ${kv.join(' ')}`);
}

/** Whether any blockIO field asks for something. */
export function hasBlockIO(b: BlockIO | undefined): boolean {
  return !!b && (b.weight !== undefined || b.leafWeight !== undefined || !!b.weightDevice?.length || THROTTLES.some(([f]) => !!b[f]?.length));
}
