import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPlan, resolverInRootfs, statSourceIsDir } from '../../../../src/runtime/plan/index.js';
import { defaultSpec } from '../../../../src/runtime/spec/index.js';

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

test('mount destinations through image symlinks stay inside the rootfs', () => {
  const rootfs = join(root, 'rootfs');
  const resolve = resolverInRootfs(rootfs);
  assert.is(resolve('/run/secrets'), '/real-run/secrets');
  assert.is(resolve('/data'), '/data');
  assert.throws(() => resolve('/escape/passwd'), /leaves the root filesystem/);
  const spec = defaultSpec({ args: ['sh'] });
  spec.mounts!.push({ destination: '/run/secrets', type: 'bind', source: root, options: ['rbind'] });
  const p = createPlan(spec, { rootfs, lastCap: 40, resolveDestination: resolve, sourceIsDir: statSourceIsDir });
  assert.ok(p.ops.some((o) => o.op === 'mount' && o.source === root && o.target === join(rootfs, 'real-run/secrets')));
});

test.run();
