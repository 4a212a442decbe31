// The bundle writer: config.json of a task, golden as text (review the whole
// file the core will read), root.path relative for the bundle's own rootfs
// mount, absolute for --rootfs; written by rename (no half file).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleConfig, writeBundle } from '../../../src/container/bundle.js';
import { buildSpec, type RunFlags } from '../../../src/container/spec-builder.js';
import { parseConfig } from '../../../src/oci/bundle.js';
import { validateSpec } from '../../../src/oci/spec/index.js';

// dist/test/unit/container → the source tree's golden file.
const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), '../../../../test/unit/container/bundle-config.golden.json');

const flags: RunFlags = {
  id: 'web', namespace: 'default', args: ['httpd', '-f'], tty: false, env: ['MODE=prod'], envFileLines: [], mounts: ['type=bind,src=/srv/data,dst=/data,options=rbind:ro'],
  netHost: false, hostname: undefined, cwd: undefined, privileged: false, readOnly: true, capAdd: [], capDrop: ['NET_RAW'],
  memoryLimit: 64 << 20, cpus: 0.5, pidsLimit: 32, uidmap: [], gidmap: [], withNs: [],
};
const image = { Entrypoint: null, Cmd: ['sh'], Env: ['PATH=/usr/bin:/bin'], WorkingDir: '/www' };

test('config.json of a task: golden text', () => {
  const text = bundleConfig(buildSpec(image, flags), '/run/tsctr/default/web', '/run/tsctr/default/web/rootfs');
  if (process.env.UPDATE_GOLDEN || !existsSync(GOLDEN)) writeFileSync(GOLDEN, text);
  assert.fixture(text, readFileSync(GOLDEN, 'utf8'));
});

test('the core reads it back: valid JSON, a valid spec, root.path relative to the bundle', () => {
  const spec = parseConfig(bundleConfig(buildSpec(image, flags), '/b', '/b/rootfs'));
  validateSpec(spec);
  assert.equal(spec.root, { path: 'rootfs', readonly: true });
  assert.equal(spec.process!.args, ['httpd', '-f']);
});

test('--rootfs: root.path is the user\'s directory, absolute', () => {
  const spec = JSON.parse(bundleConfig(buildSpec(image, flags), '/b', '/srv/myroot'));
  assert.is(spec.root.path, '/srv/myroot');
});

test('writeBundle: config.json written through a temp file, nothing else left', () => {
  const dir = mkdtempSync('/tmp/tsctr-bundle-');
  try {
    const file = writeBundle(dir, buildSpec(image, flags), join(dir, 'rootfs'));
    assert.is(file, join(dir, 'config.json'));
    assert.equal(readdirSync(dir), ['config.json']);
    assert.is(JSON.parse(readFileSync(file, 'utf8')).root.path, 'rootfs');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
