// Run by exec-safety.test.ts under `setpriv --bounding-set=-sys_ptrace`: this
// process and its children then hold every capability but CAP_SYS_PTRACE, so
// whether one may read another's /proc/<pid>/exe depends on the target's
// dumpable flag alone (ptrace_may_access: same uid, permitted ⊇ target's).
// This process reads its own executor child's link (same caps, same uid).
// Spawns an executor child waiting in its plan and reports what readlink saw
// before the child ran op 0 and after. argv[2]: "dumpable" or "nondumpable".
import { closeSync, readlinkSync, writeSync } from 'node:fs';
import { loadSys } from '../../src/sys/index.js';
import { PR } from '../../src/sys/constants.js';
import { encodePlan, type PlanOp } from '../../src/oci/launch-plan.js';

const sys = await loadSys();
const ops: PlanOp[] = [{ op: 'sync' }];
if (process.argv[2] === 'nondumpable') ops.unshift({ op: 'prctl', option: PR.SET_DUMPABLE, args: [0, 0, 0, 0] });
const child = sys.spawn(encodePlan(ops), 0, -1);
const look = () => {
  try { return readlinkSync(`/proc/${child.pid}/exe`); } catch (e) { return (e as NodeJS.ErrnoException).code!; }
};
const early = look();
writeSync(child.syncFd, 'g');
// The child is now past op 0, blocked in the sync op.
await new Promise((r) => setTimeout(r, 50));
const late = look();
writeSync(child.syncFd, 'g');
closeSync(child.syncFd);
closeSync(child.reportFd);
const st = await sys.wait(child.pid);
process.stdout.write(JSON.stringify({ early, late, status: st, selfDumpable: sys.prctl(PR.GET_DUMPABLE) }) + '\n');
