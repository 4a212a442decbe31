import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Descriptor } from '../../../src/descriptor/index.js';
import { formatPlatform, normalizePlatform, parsePlatform, platformMatches, selectManifests, hostPlatform } from '../../../src/image/platform.js';

const d = (p: string, extra: Partial<Descriptor> = {}): Descriptor => {
  const [os, architecture, variant] = p.split('/');
  return { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${p}`, size: 1, platform: { os: os!, architecture: architecture!, ...(variant ? { variant } : {}) }, ...extra };
};

test('parse and format platforms', () => {
  const cases: [string, string][] = [
    ['linux/amd64', 'linux/amd64'],
    ['linux/x86_64', 'linux/amd64'],
    ['linux/aarch64', 'linux/arm64'],
    ['linux/arm64/v8', 'linux/arm64'],
    ['linux/arm', 'linux/arm/v7'],
    ['linux/arm/6', 'linux/arm/v6'],
    ['arm64', 'linux/arm64'],
    ['windows/amd64', 'windows/amd64'],
  ];
  for (const [inp, out] of cases) assert.is(formatPlatform(parsePlatform(inp)), out, inp);
  assert.throws(() => parsePlatform('linux//amd64'), /invalid platform/);
  assert.throws(() => parsePlatform('a/b/c/d'), /invalid platform/);
  assert.is(formatPlatform(parsePlatform('linux')), formatPlatform(hostPlatform()));
});

test('matching: arm/v7 runs v6 and v5, not v8; arm64 == arm64/v8', () => {
  const v7 = parsePlatform('linux/arm/v7');
  assert.ok(platformMatches(v7, { os: 'linux', architecture: 'arm', variant: 'v6' }));
  assert.ok(platformMatches(v7, { os: 'linux', architecture: 'arm', variant: 'v5' }));
  assert.not.ok(platformMatches(parsePlatform('linux/arm/v6'), { os: 'linux', architecture: 'arm', variant: 'v7' }));
  assert.ok(platformMatches(parsePlatform('linux/arm64'), { os: 'linux', architecture: 'arm64', variant: 'v8' }));
  assert.not.ok(platformMatches(parsePlatform('linux/amd64'), { os: 'windows', architecture: 'amd64' }));
  assert.not.ok(platformMatches(parsePlatform('linux/amd64'), undefined));
  assert.equal(normalizePlatform({ os: 'Linux', architecture: 'X86_64' }).architecture, 'amd64');
});

test('selectManifests picks per platform, best variant first, skipping attestations', () => {
  const idx = [d('linux/amd64'), d('linux/arm/v5'), d('linux/arm/v6'), d('linux/arm/v7'), d('linux/arm64/v8'), d('unknown/unknown', { annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } })];
  assert.equal(selectManifests(idx, [parsePlatform('linux/amd64')]).map((x) => x.digest), ['sha256:linux/amd64']);
  assert.equal(selectManifests(idx, [parsePlatform('linux/arm/v7')]).map((x) => x.digest), ['sha256:linux/arm/v7']);
  assert.equal(selectManifests(idx.filter((x) => x.platform?.variant !== 'v7'), [parsePlatform('linux/arm/v7')]).map((x) => x.digest), ['sha256:linux/arm/v6']);
  assert.equal(selectManifests(idx, [parsePlatform('linux/arm64')]).map((x) => x.digest), ['sha256:linux/arm64/v8']);
  assert.equal(selectManifests(idx, [parsePlatform('linux/amd64'), parsePlatform('linux/arm64')]).length, 2);
  assert.equal(selectManifests(idx, [parsePlatform('linux/s390x')]), []);
  const all = selectManifests(idx, 'all');
  assert.is(all.length, 5);
  assert.not.ok(all.some((x) => x.platform?.os === 'unknown'));
});

test('a single entry without a platform is taken (ctr export of one manifest)', () => {
  const one = [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: 'sha256:x', size: 1 }];
  assert.is(selectManifests(one, [parsePlatform('linux/amd64')]).length, 1);
});

test.run();
