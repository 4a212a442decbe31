// `tsctr oci spec` / `oci validate` through the real CLI entry point.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findSpecErrors, type Spec } from '../../../../src/oci/spec/index.js';

// dist/test/unit/runtime/spec → repo root
const repo = join(dirname(fileURLToPath(import.meta.url)), '../../../../..');
const tsctr = (...args: string[]) => spawnSync(process.execPath, [join(repo, 'bin/tsctr'), ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

test('oci spec prints a valid default config', () => {
  const r = tsctr('oci', 'spec', '--id', 'web', '-n', 'prod');
  assert.is(r.status, 0, r.stderr);
  const spec = JSON.parse(r.stdout) as Spec;
  assert.equal(findSpecErrors(spec), []);
  assert.is(spec.linux!.cgroupsPath, 'tsctr/prod/web');
  assert.is(spec.linux!.seccomp, undefined);
  const withSeccomp = JSON.parse(tsctr('oci', 'spec', '--seccomp').stdout) as Spec;
  assert.is(withSeccomp.linux!.seccomp!.defaultAction, 'SCMP_ACT_ERRNO');
});

test('oci validate names the bad field and exits non-zero', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsctr-oci-'));
  try {
    const spec = JSON.parse(tsctr('oci', 'spec').stdout) as Spec;
    writeFileSync(join(dir, 'ok.json'), JSON.stringify(spec));
    assert.is(tsctr('oci', 'validate', join(dir, 'ok.json')).status, 0);
    spec.linux!.namespaces![2] = { type: 'foo' as never };
    writeFileSync(join(dir, 'bad.json'), JSON.stringify(spec));
    const r = tsctr('oci', 'validate', join(dir, 'bad.json'));
    assert.is.not(r.status, 0);
    assert.match(r.stderr, /linux\.namespaces\[2\]\.type: unknown namespace "foo"/);
    writeFileSync(join(dir, 'junk.json'), '{');
    assert.match(tsctr('oci', 'validate', join(dir, 'junk.json')).stderr, /junk\.json: /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
