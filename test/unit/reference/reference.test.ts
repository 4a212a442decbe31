import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { apiHost, parseReference } from '../../../src/reference/index.js';
import { InvalidArgumentError } from '../../../src/errors.js';

const D = 'sha256:' + 'a'.repeat(64);
const D512 = 'sha512:' + 'b'.repeat(128);

// input → [domain, path, tag, digest, toString]
const valid: [string, string, string, string | undefined, string | undefined, string][] = [
  ['busybox', 'docker.io', 'library/busybox', 'latest', undefined, 'docker.io/library/busybox:latest'],
  ['busybox:1.36', 'docker.io', 'library/busybox', '1.36', undefined, 'docker.io/library/busybox:1.36'],
  ['library/busybox', 'docker.io', 'library/busybox', 'latest', undefined, 'docker.io/library/busybox:latest'],
  ['docker.io/busybox', 'docker.io', 'library/busybox', 'latest', undefined, 'docker.io/library/busybox:latest'],
  ['docker.io/library/busybox:latest', 'docker.io', 'library/busybox', 'latest', undefined, 'docker.io/library/busybox:latest'],
  ['index.docker.io/busybox', 'docker.io', 'library/busybox', 'latest', undefined, 'docker.io/library/busybox:latest'],
  ['index.docker.io/user/repo:v1', 'docker.io', 'user/repo', 'v1', undefined, 'docker.io/user/repo:v1'],
  ['user/repo', 'docker.io', 'user/repo', 'latest', undefined, 'docker.io/user/repo:latest'],
  ['user/repo:tag', 'docker.io', 'user/repo', 'tag', undefined, 'docker.io/user/repo:tag'],
  ['user/ns/repo', 'docker.io', 'user/ns/repo', 'latest', undefined, 'docker.io/user/ns/repo:latest'],
  ['ghcr.io/owner/img:1.0', 'ghcr.io', 'owner/img', '1.0', undefined, 'ghcr.io/owner/img:1.0'],
  ['quay.io/a/b/c/d:e', 'quay.io', 'a/b/c/d', 'e', undefined, 'quay.io/a/b/c/d:e'],
  ['registry.example.com:5000/ns/repo:tag', 'registry.example.com:5000', 'ns/repo', 'tag', undefined, 'registry.example.com:5000/ns/repo:tag'],
  ['127.0.0.1:5000/x', '127.0.0.1:5000', 'x', 'latest', undefined, '127.0.0.1:5000/x:latest'],
  ['localhost/x', 'localhost', 'x', 'latest', undefined, 'localhost/x:latest'],
  ['localhost:5000/x', 'localhost:5000', 'x', 'latest', undefined, 'localhost:5000/x:latest'],
  ['localhost:5000/x:y', 'localhost:5000', 'x', 'y', undefined, 'localhost:5000/x:y'],
  ['myhost:80/x', 'myhost:80', 'x', 'latest', undefined, 'myhost:80/x:latest'],
  ['[::1]:5000/x', '[::1]:5000', 'x', 'latest', undefined, '[::1]:5000/x:latest'],
  ['[fe80::1]/x:t', '[fe80::1]', 'x', 't', undefined, '[fe80::1]/x:t'],
  [`busybox@${D}`, 'docker.io', 'library/busybox', undefined, D, `docker.io/library/busybox@${D}`],
  [`busybox:1.36@${D}`, 'docker.io', 'library/busybox', '1.36', D, `docker.io/library/busybox:1.36@${D}`],
  [`localhost:5000/x@${D512}`, 'localhost:5000', 'x', undefined, D512, `localhost:5000/x@${D512}`],
  ['a-b/c_d/e.f/g__h:t', 'docker.io', 'a-b/c_d/e.f/g__h', 't', undefined, 'docker.io/a-b/c_d/e.f/g__h:t'],
  ['a---b', 'docker.io', 'library/a---b', 'latest', undefined, 'docker.io/library/a---b:latest'],
  ['repo:TAG_1.x-y', 'docker.io', 'library/repo', 'TAG_1.x-y', undefined, 'docker.io/library/repo:TAG_1.x-y'],
  ['repo:_tag', 'docker.io', 'library/repo', '_tag', undefined, 'docker.io/library/repo:_tag'],
  ['repo:' + 'x'.repeat(128), 'docker.io', 'library/repo', 'x'.repeat(128), undefined, 'docker.io/library/repo:' + 'x'.repeat(128)],
  ['Example.COM/x', 'Example.COM', 'x', 'latest', undefined, 'Example.COM/x:latest'],
  ['sub-domain.example.com/x', 'sub-domain.example.com', 'x', 'latest', undefined, 'sub-domain.example.com/x:latest'],
  ['0/x', 'docker.io', '0/x', 'latest', undefined, 'docker.io/0/x:latest'],
];

for (const [input, domain, path, tag, digest, str] of valid) {
  test(`parses ${input.length > 60 ? input.slice(0, 57) + '...' : input}`, () => {
    const r = parseReference(input);
    assert.is(r.domain, domain);
    assert.is(r.path, path);
    assert.is(r.tag, tag);
    assert.is(r.digest, digest);
    assert.is(r.toString(), str);
    assert.is(r.name, `${domain}/${path}`);
    // Normalising twice changes nothing.
    assert.is(parseReference(r.toString()).toString(), str);
  });
}

// input → part of the message that names what is wrong
const invalid: [string, RegExp][] = [
  ['', /reference is empty/],
  ['   ', /reference is empty/],
  ['Busybox', /must be lowercase/],
  ['user/Repo', /must be lowercase/],
  ['docker.io/Library/busybox', /must be lowercase/],
  ['busybox:', /empty tag/],
  ['busybox:tag!', /tag "tag!" may only contain/],
  ['busybox:.tag', /tag "\.tag"/],
  ['busybox:-tag', /tag "-tag"/],
  ['busybox:' + 'x'.repeat(129), /129 characters long, at most 128/],
  ['busybox@', /empty digest/],
  ['busybox@sha256', /must be <algorithm>:<hex>/],
  ['busybox@sha256:abc', /64 hex characters, got 3/],
  ['busybox@sha256:' + 'a'.repeat(65), /64 hex characters, got 65/],
  ['busybox@sha256:' + 'A'.repeat(64), /lowercase hexadecimal/],
  ['busybox@sha256:' + 'g'.repeat(64), /lowercase hexadecimal/],
  ['busybox@md5:' + 'a'.repeat(32), /unsupported digest algorithm "md5"/],
  ['busybox@SHA256:' + 'a'.repeat(64), /algorithm "SHA256" is malformed/],
  ['busybox@sha512:' + 'a'.repeat(64), /128 hex characters, got 64/],
  [`a@${D}@${D}`, /more than one "@"|lowercase hexadecimal/],
  ['localhost:0/x', /bad port 0/],
  ['localhost:65536/x', /bad port 65536/],
  ['localhost:abc/x', /bad port "abc"|bad registry host/],
  ['host.com:/x', /bad port ""|must be a number/],
  ['-bad.com/x', /not a valid DNS label/],
  ['bad-.com/x', /not a valid DNS label/],
  ['a..b.com/x', /not a valid DNS label/],
  ['/busybox', /must not start or end with/],
  ['busybox/', /must not start or end with/],
  ['a//b', /empty path component/],
  ['a/-b', /path component "-b"/],
  ['a/b_', /path component "b_"/],
  ['a/b...c', /path component "b...c"/],
  ['a/b___c', /path component "b___c"/],
  ['localhost/', /must not start or end with/],
  ['https://registry.example.com/x', /no URL scheme/],
  ['a'.repeat(64), /image ID/],
  ['a b', /whitespace/],
  [' busybox', /whitespace/],
  ['x/' + 'a'.repeat(255), /at most 255/],
  [':tag', /repository name is empty/],
  [`@${D}`, /repository name is empty/],
  ['[::1/x', /bad IPv6|bad registry host/],
  ['localhost/a:b:c', /tag|path component/],
];

for (const [input, re] of invalid) {
  test(`rejects ${JSON.stringify(input.length > 50 ? input.slice(0, 47) + '...' : input)}`, () => {
    let err: unknown;
    try { parseReference(input); } catch (e) { err = e; }
    assert.ok(err instanceof InvalidArgumentError, `expected InvalidArgumentError for ${input}, got ${String(err)}`);
    const msg = (err as Error).message;
    assert.ok(msg.startsWith('invalid reference'), msg);
    assert.match(msg, re);
    assert.ok((err as InvalidArgumentError).hint, 'carries a hint');
  });
}

test('familiar names drop docker.io and library/', () => {
  assert.is(parseReference('busybox').familiar(), 'busybox:latest');
  assert.is(parseReference('user/repo:t').familiar(), 'user/repo:t');
  assert.is(parseReference('localhost:5000/x').familiar(), 'localhost:5000/x:latest');
});

test('object prefers the digest', () => {
  assert.is(parseReference(`busybox:1@${D}`).object, D);
  assert.is(parseReference('busybox:1').object, '1');
});

test('withTag and withDigest validate', () => {
  const r = parseReference('busybox');
  assert.is(r.withTag('v2').toString(), 'docker.io/library/busybox:v2');
  assert.is(r.withDigest(D).toString(), `docker.io/library/busybox@${D}`);
  assert.throws(() => r.withTag('bad tag'), /may only contain/);
  assert.throws(() => r.withDigest('sha256:12'), /64 hex/);
});

test('docker.io API host is registry-1.docker.io', () => {
  assert.is(apiHost('docker.io'), 'registry-1.docker.io');
  assert.is(apiHost('index.docker.io'), 'registry-1.docker.io');
  assert.is(apiHost('localhost:5000'), 'localhost:5000');
});

test.run();
