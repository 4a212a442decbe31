// Every config.json field tsctr-runc does not do is refused, one line naming
// it; fields the spec does not define are ignored (config.md allows it).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { defaultSpec, findUnsupported, REFUSED_FIELDS, validateSpec, type Spec } from '../../../../src/oci/spec/index.js';

const spec = (edit: (s: Spec) => void) => { const s = defaultSpec({ args: ['sh'], hostname: 'box' }); edit(s); return s; };

const CASES: [string, (s: Spec) => void][] = [
  ['process.apparmorProfile', (s) => { s.process!.apparmorProfile = 'docker-default'; }],
  ['process.selinuxLabel', (s) => { s.process!.selinuxLabel = 'system_u:system_r:container_t:s0'; }],
  ['linux.mountLabel', (s) => { s.linux!.mountLabel = 'system_u:object_r:container_file_t:s0'; }],
  ['process.scheduler', (s) => { s.process!.scheduler = { policy: 'SCHED_FIFO', priority: 1 }; }],
  ['process.execCPUAffinity', (s) => { s.process!.execCPUAffinity = { final: '0' }; }],
  ['linux.intelRdt', (s) => { s.linux!.intelRdt = { closID: 'guaranteed_group' }; }],
  ['linux.netDevices', (s) => { s.linux!.netDevices = { eth1: { name: 'eth1' } }; }],
  ['linux.memoryPolicy', (s) => { s.linux!.memoryPolicy = { mode: 'MPOL_BIND', nodes: '0' }; }],
  ['linux.resources.rdma', (s) => { s.linux!.resources = { rdma: { mlx5_1: { hcaHandles: 3 } } }; }],
  ['vm', (s) => { s.vm = { hypervisor: { path: '/usr/bin/qemu' } }; }],
  ['windows', (s) => { s.windows = { layerFolders: [] }; }],
  ['solaris', (s) => { s.solaris = {}; }],
  ['zos', (s) => { s.zos = {}; }],
];

for (const [field, edit] of CASES) {
  test(`refused by name: ${field}`, () => {
    const s = spec(edit);
    assert.equal(findUnsupported(s).length, 1);
    try {
      validateSpec(s);
      assert.unreachable('accepted');
    } catch (e) {
      const msg = (e as Error).message;
      assert.ok(msg.startsWith(`config.json: ${field} is not supported by tsctr-runc (`), msg);
      assert.not.ok(msg.includes('\n'));
    }
  });
}

test('every refused field has a case here', () => {
  assert.equal([...REFUSED_FIELDS].sort(), CASES.map(([f]) => f).sort());
});

test('empty labels and empty lists are not requests: accepted', () => {
  validateSpec(spec((s) => {
    s.process!.apparmorProfile = '';
    s.process!.selinuxLabel = '';
    s.linux!.mountLabel = '';
    s.linux!.netDevices = {};
    s.linux!.resources = { rdma: {} };
  }));
});

test('keys the spec does not define are ignored', () => {
  validateSpec(spec((s) => {
    (s as unknown as Record<string, unknown>)['x-vendor'] = { anything: true };
    (s.linux as unknown as Record<string, unknown>)['somethingNew'] = 1;
    (s.process as unknown as Record<string, unknown>)['futureField'] = 'x';
  }));
});

test('several refusals: the first named, the rest counted on the same line', () => {
  try {
    validateSpec(spec((s) => { s.linux!.intelRdt = {}; s.vm = {}; }));
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /^config\.json: linux\.intelRdt is not supported by tsctr-runc \(.*\) \(and 1 more: vm is not supported/);
  }
});

test.run();
