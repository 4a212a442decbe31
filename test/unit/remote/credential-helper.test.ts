// Docker credential helpers: the protocol, and helpers that misbehave
// (malicious input): bad JSON, odd shapes, huge output, a hang, a path as
// the helper's name. Helpers are small sh scripts on a PATH made here.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkHelperName, helperServerUrl, parseHelperOutput, runCredentialHelper } from '../../../src/remote/credential-helper.js';
import { findCredentials } from '../../../src/remote/docker-config.js';

let dir = '';
let env: NodeJS.ProcessEnv = {};
test.before(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsctr-images-credhelper-'));
  env = { ...process.env, PATH: `${dir}:${process.env.PATH}` };
});
test.after(() => rmSync(dir, { recursive: true, force: true }));

function helper(name: string, body: string): void {
  const f = join(dir, `docker-credential-${name}`);
  writeFileSync(f, `#!/bin/sh\n${body}\n`);
  chmodSync(f, 0o755);
}
async function rejects(p: Promise<unknown>): Promise<Error> {
  try { await p; } catch (e) { return e as Error; }
  throw new Error('expected a rejection');
}

test('get: argv is "get", stdin is the server URL (Docker Hub as docker sends it), the answer becomes credentials', async () => {
  helper('ok', `host=$(cat); echo "$1 $host" >> "${dir}/ok.log"; printf '{"ServerURL":"%s","Username":"alice","Secret":"s3cret"}' "$host"`);
  assert.equal(await runCredentialHelper('ok', 'registry.example:5000', { env }), { username: 'alice', password: 's3cret' });
  assert.equal(await runCredentialHelper('ok', 'docker.io', { env }), { username: 'alice', password: 's3cret' });
  assert.is(readFileSync(join(dir, 'ok.log'), 'utf8'), 'get registry.example:5000\nget https://index.docker.io/v1/\n');
  assert.is(helperServerUrl('docker.io'), 'https://index.docker.io/v1/');
});

test('Username "<token>": the secret is an identity token, not a password', async () => {
  helper('tok', `cat >/dev/null; echo '{"ServerURL":"x","Username":"<token>","Secret":"refresh-1"}'`);
  assert.equal(await runCredentialHelper('tok', 'r.example', { env }), { username: '', password: '', identityToken: 'refresh-1' });
});

test('"credentials not found in native keychain" is anonymous; other failures name the helper and its message', async () => {
  helper('none', `cat >/dev/null; echo 'credentials not found in native keychain'; exit 1`);
  assert.is(await runCredentialHelper('none', 'r.example', { env }), undefined);
  helper('locked', `cat >/dev/null; echo 'error getting credentials: the keyring is locked'; exit 3`);
  const e = await rejects(runCredentialHelper('locked', 'r.example', { env, configPath: '/cfg/config.json' }));
  assert.is(e.message, 'docker-credential-locked get r.example: exit 3: error getting credentials: the keyring is locked');
  assert.is((e as { hint?: string }).hint, 'fix the credential helper, or remove it from /cfg/config.json');
  helper('stderr', `echo 'pass: gpg failed' >&2; exit 1`);
  assert.match((await rejects(runCredentialHelper('stderr', 'r.example', { env }))).message, /exit 1: pass: gpg failed$/);
  helper('killed', `kill -9 $$`);
  assert.match((await rejects(runCredentialHelper('killed', 'r.example', { env }))).message, /killed by SIGKILL/);
});

test('a helper that is not on PATH: one line naming it and where it was configured', async () => {
  const e = await rejects(runCredentialHelper('absent', 'r.example', { env, configPath: '/cfg/config.json' }));
  assert.is(e.message, 'docker-credential-absent: not found on PATH (named as a credential helper in /cfg/config.json)');
  assert.match((e as { hint?: string }).hint!, /install docker-credential-absent, or remove it/);
});

test('malicious: a helper that hangs is killed at the timeout', async () => {
  helper('hang', 'exec sleep 600');
  const e = await rejects(runCredentialHelper('hang', 'r.example', { env, timeoutMs: 200 }));
  assert.is(e.message, 'docker-credential-hang get r.example: no answer within 0.2 s');
});

test('malicious: huge output is cut off and refused', async () => {
  helper('huge', 'cat >/dev/null; yes "{\\"Username\\":\\"a\\",\\"Secret\\":\\"b\\"}" | head -c 10000000');
  const e = await rejects(runCredentialHelper('huge', 'r.example', { env }));
  assert.is(e.message, 'docker-credential-huge get r.example: answered with more than 64 KiB');
});

test('malicious: output that is not the protocol JSON is refused without echoing it', () => {
  const bad = ['', 'not json s3cret', '[]', 'null', '42', '"str"', '{"Username":1,"Secret":"x"}', '{"Username":"a","Secret":{}}', '{"Username":"a:b","Secret":"x"}', '{"Username":"a\\nb","Secret":"x"}', '{"Username":"a","Secret":"x\\r\\nInjected: 1"}'];
  for (const out of bad) {
    let err: Error | undefined;
    try { parseHelperOutput('docker-credential-t', out); } catch (e) { err = e as Error; }
    assert.ok(err, `accepted ${JSON.stringify(out)}`);
    assert.not.match(err!.message, /s3cret|Injected/, 'the output is not echoed');
    assert.not.match(err!.message, /\n/);
  }
  assert.is(parseHelperOutput('t', '{"Username":"a","Secret":""}'), undefined, 'an empty secret is no credentials');
  assert.equal(parseHelperOutput('t', '{"ServerURL":"x","Username":"","Secret":"pw","Extra":[1]}'), { username: '', password: 'pw' });
});

test('malicious: a helper name that is a path or an option is refused before anything runs', () => {
  for (const n of ['../../bin/sh', '/bin/sh', 'a/b', '', ' x', '-rf', 'x;rm', 'a b', '.hidden', 'x'.repeat(65), 'ünï']) {
    assert.throws(() => checkHelperName(n, '/cfg/config.json'), /\/cfg\/config\.json: credential helper name .* is not a plain name/, n);
  }
  assert.throws(() => checkHelperName(42));
  for (const n of ['pass', 'ecr-login', 'gcloud', 'desktop.exe', 'osxkeychain']) assert.is(checkHelperName(n), n);
});

test('findCredentials: credHelpers beats credsStore; "not found" moves to the next host; hosts without a helper use auths', async () => {
  helper('store', `h=$(cat); echo '{"Username":"store-user","Secret":"store-pw"}'`);
  helper('special', `h=$(cat); if [ "$h" = "special.example" ]; then echo '{"Username":"sp","Secret":"sp-pw"}'; else echo 'credentials not found in native keychain'; exit 1; fi`);
  const cfg = join(dir, 'config.json');
  writeFileSync(cfg, JSON.stringify({ credsStore: 'store', credHelpers: { 'https://Special.example/v1/': 'special', 'mirror.example': 'special' }, auths: { 'inline.example': { auth: Buffer.from('in:pw').toString('base64') } } }));
  const saved = process.env.PATH;
  process.env.PATH = env.PATH;
  try {
    assert.equal(await findCredentials(['special.example'], cfg), { username: 'sp', password: 'sp-pw' });
    assert.equal(await findCredentials(['other.example'], cfg), { username: 'store-user', password: 'store-pw' });
    // The mirror's helper has nothing for it: the registry domain's helper (credsStore) answers.
    assert.equal(await findCredentials(['mirror.example', 'docker.io'], cfg), { username: 'store-user', password: 'store-pw' });
    const inlineOnly = join(dir, 'inline.json');
    writeFileSync(inlineOnly, JSON.stringify({ credHelpers: { 'special.example': 'special' }, auths: { 'inline.example': { auth: Buffer.from('in:pw').toString('base64') }, 'tok.example': { identitytoken: 'rt-1' } } }));
    assert.equal(await findCredentials(['inline.example'], inlineOnly), { username: 'in', password: 'pw' });
    assert.equal(await findCredentials(['tok.example'], inlineOnly), { username: '', password: '', identityToken: 'rt-1' });
    assert.is(await findCredentials(['nothing.example'], inlineOnly), undefined);
    const evil = join(dir, 'evil.json');
    writeFileSync(evil, JSON.stringify({ credsStore: '../../../bin/sh' }));
    await rejects(findCredentials(['x.example'], evil));
    writeFileSync(evil, '[1,2]');
    assert.match((await rejects(findCredentials(['x.example'], evil))).message, /is not a JSON object/);
  } finally {
    process.env.PATH = saved;
  }
});

test.run();
