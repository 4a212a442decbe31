import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseChallenges, pickChallenge } from '../../../src/remote/www-authenticate.js';
import { parseToml } from '../../../src/remote/toml.js';
import { parseHostsToml, resolveEndpoints, endpointUrl } from '../../../src/remote/hosts.js';
import { lookupCredentials, normaliseAuthKey, parseUserFlag } from '../../../src/remote/docker-config.js';
import { backoffDelay, isRetryableError, isRetryableStatus } from '../../../src/remote/transport.js';
import { parseErrorBody, RegistryError } from '../../../src/remote/errors.js';
import { scopeFor } from '../../../src/remote/auth.js';
import { InvalidArgumentError } from '../../../src/errors.js';

// --- WWW-Authenticate ---------------------------------------------------

test('bearer challenge with realm, service, scope', () => {
  const [c] = parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"');
  assert.equal(c, { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' } });
});

test('several challenges in one header, Bearer preferred', () => {
  const cs = parseChallenges('Basic realm="x", Bearer realm="https://t/token", service=reg');
  assert.is(cs.length, 2);
  assert.is(cs[0]!.scheme, 'basic');
  assert.equal(cs[1]!.params, { realm: 'https://t/token', service: 'reg' });
  assert.is(pickChallenge(cs)!.scheme, 'bearer');
});

test('quoted-string escapes, case-insensitive scheme and keys, array of headers', () => {
  const cs = parseChallenges(['BASIC Realm="a \\"quoted\\" realm"', 'bearer realm="r",error="insufficient_scope",scope="repository:a:pull repository:b:pull"']);
  assert.is(cs[0]!.scheme, 'basic');
  assert.is(cs[0]!.params.realm, 'a "quoted" realm');
  assert.is(cs[1]!.params.error, 'insufficient_scope');
  assert.is(cs[1]!.params.scope, 'repository:a:pull repository:b:pull');
});

test('empty and unknown challenges', () => {
  assert.equal(parseChallenges(undefined), []);
  assert.equal(parseChallenges(''), []);
  assert.is(pickChallenge(parseChallenges('Negotiate abc')), undefined);
  assert.is(pickChallenge(parseChallenges('Basic'))!.scheme, 'basic');
});

test('scopes', () => {
  assert.is(scopeFor('library/busybox', 'pull'), 'repository:library/busybox:pull');
  assert.is(scopeFor('a/b', 'push'), 'repository:a/b:pull,push');
});

// --- TOML subset ----------------------------------------------------------

test('toml: strings, booleans, ints, arrays, nested quoted tables, comments', () => {
  const t = parseToml([
    '# comment',
    'server = "https://registry-1.docker.io"  # trailing',
    "literal = 'C:\\path'",
    'n = 1_000',
    '[host."https://mirror.example.com:5000"]',
    '  capabilities = ["pull",',
    '    "resolve", ] # multi-line',
    '  skip_verify = true',
    '  [host."https://mirror.example.com:5000".header]',
    '    x-a = "1"',
    '[host."http://10.0.0.1"]',
    '  ca = ["a.pem", "b.pem"]',
    'esc = "tab\\there \\u00e9"',
  ].join('\n'));
  assert.equal(t, {
    server: 'https://registry-1.docker.io', literal: 'C:\\path', n: 1000,
    host: {
      'https://mirror.example.com:5000': { capabilities: ['pull', 'resolve'], skip_verify: true, header: { 'x-a': '1' } },
      'http://10.0.0.1': { ca: ['a.pem', 'b.pem'], esc: 'tab\there é' },
    },
  });
});

const tomlErrors: [string, RegExp][] = [
  ['server = https://x', /:1: bad value starting "https:\/\/x" \(strings need quotes\)/],
  ['a = "unterminated', /:1: unterminated string/],
  ['a = 1\na = 2', /:2: key "a" set twice/],
  ['[t]\n[t]', /:2: table \[t\] defined twice/],
  ['[[arr]]', /arrays of tables are not supported/],
  ['a = { b = 1 }', /inline tables are not supported/],
  ['a = [1 2]', /expected "," or "\]"/],
  ['a = 1 b', /unexpected "b" after value/],
  ['= 1', /expected a key/],
  ['a 1', /expected "=" after key "a"/],
  ['a = "\\q"', /unknown escape/],
];
for (const [src, re] of tomlErrors) {
  test(`toml rejects ${JSON.stringify(src)}`, () => {
    assert.throws(() => parseToml(src, 'h.toml'), (e: Error) => e instanceof InvalidArgumentError && re.test(e.message) && e.message.startsWith('h.toml:'));
  });
}

// --- hosts.toml -------------------------------------------------------------

test('hosts.toml: mirrors in order, then the server; paths get /v2', () => {
  const eps = parseHostsToml([
    'server = "https://registry-1.docker.io"',
    '[host."https://mirror-a.example.com"]',
    '  capabilities = ["pull", "resolve"]',
    '[host."http://10.0.0.2:5000/prefix"]',
    '  skip_verify = true',
    '  ca = "ca.pem"',
    '[host."https://other.example.com/custom/api"]',
    '  override_path = true',
    '  [host."https://other.example.com/custom/api".header]',
    '    X-Token = ["a", "b"]',
  ].join('\n'), 'docker.io', { dir: '/etc/hosts.d/docker.io' });
  assert.equal(eps.map(endpointUrl), ['https://mirror-a.example.com/v2', 'http://10.0.0.2:5000/prefix/v2', 'https://other.example.com/custom/api', 'https://registry-1.docker.io/v2']);
  assert.equal(eps[0]!.capabilities, ['pull', 'resolve']);
  assert.equal(eps[1]!.capabilities, ['pull', 'resolve', 'push']);
  assert.is(eps[1]!.skipVerify, true);
  assert.equal(eps[1]!.caFiles, ['/etc/hosts.d/docker.io/ca.pem']);
  assert.equal(eps[2]!.headers, { 'x-token': 'a, b' });
  assert.equal(eps.map((e) => e.mirror), [true, true, true, false]);
});

test('hosts.toml without server: the default upstream, with top-level settings', () => {
  const eps = parseHostsToml('ca = "/abs/ca.pem"\nskip_verify = true\n', 'docker.io');
  assert.is(eps.length, 1);
  assert.is(endpointUrl(eps[0]!), 'https://registry-1.docker.io/v2');
  assert.equal(eps[0]!.caFiles, ['/abs/ca.pem']);
  assert.is(eps[0]!.skipVerify, true);
  assert.is(endpointUrl(parseHostsToml('', 'localhost:5000', { plainHttp: true })[0]!), 'http://localhost:5000/v2');
});

test('hosts.toml errors', () => {
  assert.throws(() => parseHostsToml('[host."https://m"]\ncapabilities = ["fetch"]', 'x.io'), /unknown capability "fetch"/);
  assert.throws(() => parseHostsToml('server = "ftp://x"', 'x.io'), /scheme must be http or https/);
  assert.throws(() => parseHostsToml('[host."https://m"]\nskip_verify = "yes"', 'x.io'), /skip_verify must be true or false/);
  assert.throws(() => parseHostsToml('server = 5', 'x.io'), /server must be a string/);
});

test('resolveEndpoints: <dir>/<host>/hosts.toml, _default, certs.d *.crt, global flags', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsctr-hosts-'));
  try {
    mkdirSync(join(dir, 'localhost:5000'));
    writeFileSync(join(dir, 'localhost:5000', 'hosts.toml'), 'server = "http://localhost:5000"\n');
    mkdirSync(join(dir, '_default'));
    writeFileSync(join(dir, '_default', 'hosts.toml'), '[host."https://fallback.example"]\n');
    mkdirSync(join(dir, 'certs.example'));
    writeFileSync(join(dir, 'certs.example', 'ca.crt'), 'x');
    assert.equal(resolveEndpoints('localhost:5000', { hostsDir: dir }).map(endpointUrl), ['http://localhost:5000/v2']);
    assert.equal(resolveEndpoints('quay.io', { hostsDir: dir }).map(endpointUrl), ['https://fallback.example/v2', 'https://quay.io/v2']);
    const c = resolveEndpoints('certs.example', { hostsDir: dir, tlsCaCert: ['/g.pem'], skipVerify: true });
    assert.equal(c[0]!.caFiles, [join(dir, 'certs.example', 'ca.crt'), '/g.pem']);
    assert.is(c[0]!.skipVerify, true);
    assert.equal(resolveEndpoints('docker.io', {}).map(endpointUrl), ['https://registry-1.docker.io/v2']);
    assert.equal(resolveEndpoints('127.0.0.1:5000', { plainHttp: true }).map(endpointUrl), ['http://127.0.0.1:5000/v2']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// --- docker config ------------------------------------------------------------

test('docker config keys normalise; Hub aliases meet at docker.io', () => {
  assert.is(normaliseAuthKey('https://index.docker.io/v1/'), 'docker.io');
  assert.is(normaliseAuthKey('registry-1.docker.io'), 'docker.io');
  assert.is(normaliseAuthKey('http://Reg.Example:5000/v2/'), 'reg.example:5000');
  assert.is(normaliseAuthKey('reg.example'), 'reg.example');
});

test('docker config lookup: auth, username/password, host order, missing file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsctr-dcfg-'));
  try {
    const f = join(dir, 'config.json');
    writeFileSync(f, JSON.stringify({ auths: {
      'https://index.docker.io/v1/': { auth: Buffer.from('hubuser:hub:pass').toString('base64') },
      'mirror.example': { username: 'm', password: 'mp' },
      'reg.example:5000': { auth: Buffer.from('r:rp').toString('base64') },
      'empty.example': {},
    } }));
    assert.equal(lookupCredentials(['registry-1.docker.io', 'docker.io'], f), { username: 'hubuser', password: 'hub:pass' });
    assert.equal(lookupCredentials(['mirror.example', 'docker.io'], f), { username: 'm', password: 'mp' });
    assert.equal(lookupCredentials(['https://reg.example:5000'], f), { username: 'r', password: 'rp' });
    assert.is(lookupCredentials(['reg.example'], f), undefined);
    assert.is(lookupCredentials(['empty.example'], f), undefined);
    assert.is(lookupCredentials(['x'], join(dir, 'missing.json')), undefined);
    writeFileSync(f, '{not json');
    assert.throws(() => lookupCredentials(['x'], f), /is not valid JSON/);
    writeFileSync(f, JSON.stringify({ auths: { x: { auth: Buffer.from('nocolon').toString('base64') } } }));
    assert.throws(() => lookupCredentials(['x'], f), /does not decode to user:password/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--user parsing', () => {
  assert.equal(parseUserFlag('bob'), { username: 'bob' });
  assert.equal(parseUserFlag('bob:p:w'), { username: 'bob', password: 'p:w' });
  assert.equal(parseUserFlag('bob:'), { username: 'bob', password: '' });
  assert.throws(() => parseUserFlag(':pw'), /user name is empty/);
});

// --- retry policy -----------------------------------------------------------------

test('backoff doubles, jitters within ±25%, caps at 10 s, honours Retry-After', () => {
  assert.is(backoffDelay(1, 100, undefined, () => 0.5), 100);
  assert.is(backoffDelay(2, 100, undefined, () => 0.5), 200);
  assert.is(backoffDelay(4, 100, undefined, () => 0.5), 800);
  assert.is(backoffDelay(1, 100, undefined, () => 0), 75);
  assert.is(backoffDelay(1, 100, undefined, () => 1), 125);
  assert.is(backoffDelay(20, 100, undefined, () => 0.5), 10_000);
  assert.is(backoffDelay(1, 100, '3'), 3000);
  assert.is(backoffDelay(1, 100, '999'), 10_000);
  assert.is(backoffDelay(1, 100, 'Wed, 21 Oct 2015 07:28:00 GMT', () => 0.5), 100);
});

test('what is retried', () => {
  for (const s of [429, 500, 502, 503, 504]) assert.ok(isRetryableStatus(s), String(s));
  for (const s of [200, 400, 401, 403, 404, 501]) assert.not.ok(isRetryableStatus(s), String(s));
  assert.ok(isRetryableError(Object.assign(new Error('x'), { code: 'ECONNRESET' })));
  assert.ok(isRetryableError(new Error('wrapped', { cause: Object.assign(new Error('x'), { code: 'ETIMEDOUT' }) })));
  assert.not.ok(isRetryableError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })));
});

// --- error bodies ----------------------------------------------------------------------

test('registry error bodies and messages', () => {
  assert.equal(parseErrorBody('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"latest"}}]}'), { code: 'MANIFEST_UNKNOWN', message: 'manifest unknown (tag "latest")' });
  assert.equal(parseErrorBody('{"errors":[{"code":"DENIED","message":"no","detail":"more"}]}'), { code: 'DENIED', message: 'no (more)' });
  assert.equal(parseErrorBody('{"details":"incorrect username or password"}'), { message: 'incorrect username or password' });
  assert.equal(parseErrorBody('<html>'), {});
  const e = new RegistryError('GET', 'https://r/v2/x/manifests/latest', 401, 'UNAUTHORIZED', 'authentication required');
  assert.is(e.message, 'GET https://r/v2/x/manifests/latest: UNAUTHORIZED: authentication required');
  assert.is(e.hint, 'log in with --user or ~/.docker/config.json');
  assert.is(e.kind, 'PermissionDenied');
  assert.is(new RegistryError('GET', 'u', 404, 'NAME_UNKNOWN', 'x').kind, 'NotFound');
  assert.is(new RegistryError('GET', 'u', 503, undefined, 'x').kind, 'Unavailable');
});

test.run();
