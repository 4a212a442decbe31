// Auth, TLS and hosts.toml against a real docker-registry: the failures a
// user meets, and the ways credentials reach the client.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createRegistryClient, RegistryError } from '../../../src/remote/index.js';
import { parseReference } from '../../../src/reference/index.js';
import { isKind } from '../../../src/errors.js';
import { registryUnavailable, startRegistry, stopAllRegistries, type TestRegistry } from '../../helpers/registry.js';
import { makeTestImage, seedImage, type TestImage } from '../../helpers/registry-image.js';

const why = registryUnavailable();
const NO_CONFIG = '/nonexistent/config.json';
let basic: TestRegistry, token: TestRegistry, tls: TestRegistry, plain: TestRegistry;
let img: TestImage;
let tmp: string;

async function rejects(p: Promise<unknown>): Promise<Error> {
  try { await p; } catch (e) { return e as Error; }
  throw new Error('expected a rejection');
}

if (why) {
  console.log(`  SKIP registry auth tests: ${why}`);
  test.skip('registry auth', () => {});
} else {
  test.before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'tsctr-auth-test-'));
    [basic, token, tls, plain] = await Promise.all([startRegistry({ mode: 'basic' }), startRegistry({ mode: 'token' }), startRegistry({ mode: 'tls' }), startRegistry({ mode: 'plain' })]);
    img = makeTestImage({ seed: 'auth' });
    for (const r of [basic, token, tls, plain]) await seedImage(r, 'auth/img', 'v1', img);
  });
  test.after(async () => {
    await stopAllRegistries();
    rmSync(tmp, { recursive: true, force: true });
  });

  test('basic: no credentials → UNAUTHORIZED with a log-in hint', async () => {
    const c = createRegistryClient({ plainHttp: true, dockerConfigPath: NO_CONFIG });
    const e = await rejects(c.resolve(parseReference(`${basic.host}/auth/img:v1`)));
    assert.instance(e, RegistryError);
    assert.is((e as RegistryError).code, 'UNAUTHORIZED');
    assert.is((e as RegistryError).status, 401);
    assert.match((e as RegistryError).hint!, /--user or ~\/\.docker\/config\.json/);
    assert.ok(isKind(e, 'PermissionDenied'));
  });

  test('basic: wrong password → UNAUTHORIZED', async () => {
    const c = createRegistryClient({ plainHttp: true, user: `${basic.user}:wrong`, dockerConfigPath: NO_CONFIG });
    const e = await rejects(c.resolve(parseReference(`${basic.host}/auth/img:v1`)));
    assert.is((e as RegistryError).code, 'UNAUTHORIZED');
    assert.match((e as RegistryError).hint!, /the registry refused "tsctr": check the password/);
  });

  test('basic: password asked through askPassword when --user has none', async () => {
    const prompts: string[] = [];
    const c = createRegistryClient({ plainHttp: true, user: basic.user, dockerConfigPath: NO_CONFIG, askPassword: async (p) => { prompts.push(p); return basic.password!; } });
    const ref = parseReference(`${basic.host}/auth/img:v1`);
    assert.is((await c.resolve(ref)).digest, img.manifest.desc.digest);
    await c.fetchManifest(ref, img.manifest.desc);
    assert.equal(prompts, [`Password for ${basic.user}: `]);
  });

  test('basic: credentials from a docker config.json (auth and username/password forms)', async () => {
    const cfg1 = join(tmp, 'c1.json');
    writeFileSync(cfg1, JSON.stringify({ auths: { [`http://${basic.host}/v2/`]: { auth: Buffer.from(`${basic.user}:${basic.password}`).toString('base64') } } }));
    const c1 = createRegistryClient({ plainHttp: true, dockerConfigPath: cfg1 });
    assert.is((await c1.resolve(parseReference(`${basic.host}/auth/img:v1`))).digest, img.manifest.desc.digest);
    const cfg2 = join(tmp, 'c2.json');
    writeFileSync(cfg2, JSON.stringify({ auths: { [basic.host]: { username: basic.user, password: basic.password } } }));
    const c2 = createRegistryClient({ plainHttp: true, dockerConfigPath: cfg2 });
    assert.is(await c2.blobExists(parseReference(`${basic.host}/auth/img:v1`), img.layers[0]!.desc), true);
  });

  test('token: anonymous pull works, anonymous push is UNAUTHORIZED', async () => {
    const c = createRegistryClient({ plainHttp: true, dockerConfigPath: NO_CONFIG });
    const ref = parseReference(`${token.host}/auth/img:v1`);
    const d = await c.resolve(ref);
    assert.ok((await c.fetchManifest(ref, d)).equals(img.manifest.body));
    const fresh = makeTestImage({ seed: 'anon-push' });
    const e = await rejects(c.pushBlob(parseReference(`${token.host}/auth/anon:v1`), fresh.config.desc, () => Readable.from([fresh.config.body])));
    assert.instance(e, RegistryError);
    assert.is((e as RegistryError).code, 'UNAUTHORIZED');
    assert.match((e as RegistryError).hint!, /anonymous access is not enough here \(push needs write access\): log in/);
  });

  test('token: a token is reused per scope until it expires', async () => {
    const c = createRegistryClient({ plainHttp: true, user: `${token.user}:${token.password}`, dockerConfigPath: NO_CONFIG });
    const ref = parseReference(`${token.host}/auth/img:v1`);
    const before = token.tokenServer!.issued;
    const d = await c.resolve(ref);
    await c.fetchManifest(ref, d);
    await c.fetchManifest(ref, d);
    assert.is(await c.blobExists(ref, img.config.desc), true);
    assert.is(token.tokenServer!.issued - before, 1, 'one token for four pulls of one repository');
    const last = token.tokenServer!.requests.at(-1)!;
    assert.equal(last.scopes, ['repository:auth/img:pull']);
    assert.is(last.user, token.user);
    // push needs another scope → another token; pushing then pulls back
    const fresh = makeTestImage({ seed: 'token-push' });
    const pref = parseReference(`${token.host}/auth/pushed:v2`);
    for (const b of [fresh.config, fresh.layers[0]!]) assert.is(await c.pushBlob(pref, b.desc, () => Readable.from([b.body])), 'uploaded');
    await c.pushManifest(pref, fresh.manifest.desc, fresh.manifest.body);
    assert.equal(await c.resolve(pref), fresh.manifest.desc);
    assert.ok(token.tokenServer!.requests.some((r) => r.scopes.includes('repository:auth/pushed:pull,push')));
  });

  test('token: wrong password is refused by the token server', async () => {
    const c = createRegistryClient({ plainHttp: true, user: `${token.user}:nope`, dockerConfigPath: NO_CONFIG });
    const e = await rejects(c.resolve(parseReference(`${token.host}/auth/img:v1`)));
    assert.instance(e, RegistryError);
    assert.is((e as RegistryError).code, 'UNAUTHORIZED');
    assert.match(e.message, /^GET http:\/\/127\.0\.0\.1:\d+\/token\?/);
    assert.match((e as RegistryError).hint!, /refused the credentials of "tsctr"/);
  });

  test('tls: untrusted without the CA, works with --tlscacert or --skip-verify', async () => {
    const ref = parseReference(`${tls.host}/auth/img:v1`);
    const e = await rejects(createRegistryClient({ dockerConfigPath: NO_CONFIG, maxAttempts: 1 }).resolve(ref));
    assert.ok(isKind(e, 'Unavailable'), e.message);
    assert.match((e as { hint?: string }).hint ?? '', /--tlscacert/);
    assert.is((await createRegistryClient({ tlsCaCert: [tls.caFile!], dockerConfigPath: NO_CONFIG }).resolve(ref)).digest, img.manifest.desc.digest);
    assert.is((await createRegistryClient({ skipVerify: true, dockerConfigPath: NO_CONFIG }).resolve(ref)).digest, img.manifest.desc.digest);
  });

  test('TLS registry spoken to with --plain-http → hint to drop it', async () => {
    const e = await rejects(createRegistryClient({ plainHttp: true, dockerConfigPath: NO_CONFIG }).resolve(parseReference(`${tls.host}/auth/img:v1`)));
    assert.instance(e, RegistryError);
    assert.is((e as RegistryError).status, 400);
    assert.match(e.message, /400 Bad Request: Client sent an HTTP request to an HTTPS server/);
    assert.is((e as RegistryError).hint, 'the registry speaks HTTPS: drop --plain-http');
  });

  test('plain-http registry spoken to with TLS → hint to use --plain-http', async () => {
    const e = await rejects(createRegistryClient({ dockerConfigPath: NO_CONFIG, maxAttempts: 1 }).resolve(parseReference(`${plain.host}/auth/img:v1`)));
    assert.ok(isKind(e, 'Unavailable'), e.message);
    assert.match((e as { hint?: string }).hint ?? '', /--plain-http/);
    assert.not.match(e.message, /\.c:\d+|\n/);
  });

  test('hosts.toml: a mirror serves pulls for another domain; server entry with a CA', async () => {
    const hostsDir = join(tmp, 'hosts');
    mkdirSync(join(hostsDir, 'registry.invalid'), { recursive: true });
    writeFileSync(join(hostsDir, 'registry.invalid', 'hosts.toml'), [
      'server = "https://registry.invalid"',
      `[host."http://${plain.host}"]`,
      '  capabilities = ["pull", "resolve"]',
    ].join('\n'));
    mkdirSync(join(hostsDir, tls.host), { recursive: true });
    writeFileSync(join(hostsDir, tls.host, 'hosts.toml'), `server = "https://${tls.host}"\nca = "${tls.caFile}"\n`);
    const logs: string[] = [];
    const c = createRegistryClient({ hostsDir, dockerConfigPath: NO_CONFIG, log: (l) => logs.push(l) });
    const ref = parseReference('registry.invalid/auth/img:v1');
    assert.equal(await c.resolve(ref), img.manifest.desc);
    assert.ok((await c.fetchManifest(ref, img.manifest.desc)).equals(img.manifest.body));
    assert.ok(logs.some((l) => l.includes(`http://${plain.host}/v2/auth/img/manifests/v1?ns=registry.invalid`)), logs.join('\n'));
    assert.is((await c.resolve(parseReference(`${tls.host}/auth/img:v1`))).digest, img.manifest.desc.digest);
  });
}

test.run();
