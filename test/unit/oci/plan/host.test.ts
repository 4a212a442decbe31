import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPlan, statSourceIsDir } from '../../../../src/oci/plan/index.js';
import { defaultSpec } from '../../../../src/oci/spec/index.js';

let root = '';
test.before(() => {
  root = mkdtempSync(join(tmpdir(), 'tsctr-plan-host-'));
  mkdirSync(join(root, 'rootfs/etc'), { recursive: true });
  mkdirSync(join(root, 'rootfs/real-run'));
  symlinkSync('/real-run', join(root, 'rootfs/run'));
  symlinkSync('../../../../../../../etc', join(root, 'rootfs/escape'));
  writeFileSync(join(root, 'file'), 'x');
});
test.after(() => rmSync(root, { recursive: true, force: true }));

test('statSourceIsDir stats, and guesses for a missing path', () => {
  assert.is(statSourceIsDir(root), true);
  assert.is(statSourceIsDir(join(root, 'file')), false);
  assert.is(statSourceIsDir('/no/such/dir'), true);
  assert.is(statSourceIsDir('/no/such/file.conf'), false);
});

test('mount destinations are never joined to the host path: they stay root-relative for the executor', () => {
  const rootfs = join(root, 'rootfs');
  const spec = defaultSpec({ args: ['sh'] });
  spec.mounts!.push({ destination: '/run/secrets', type: 'bind', source: root, options: ['rbind'] });
  spec.mounts!.push({ destination: '/escape/x', type: 'bind', source: root, options: ['rbind'] });
  const p = createPlan(spec, { rootfs, lastCap: 40, sourceIsDir: statSourceIsDir });
  assert.ok(p.ops.some((o) => o.op === 'mount' && o.source === root && o.target === '/run/secrets' && o.inRoot));
  // Not resolved here (rootfs/escape climbs out): the executor follows it inside the root at mount time.
  assert.ok(p.ops.some((o) => o.op === 'mount' && o.source === root && o.target === '/escape/x' && o.inRoot));
  // No op but the root's own bind and open_root names the host path of the root.
  const hostPaths = p.ops.filter((o) => JSON.stringify(o, (_k, v) => (typeof v === 'bigint' ? String(v) : v)).includes(rootfs)).map((o) => o.op);
  assert.equal(hostPaths, ['mount', 'open_root']);
});

test.run();
