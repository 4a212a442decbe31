// Docker credential helpers through the CLI: a test script on PATH named by
// credsStore / credHelpers in $DOCKER_CONFIG/config.json, against the
// htpasswd (Basic) registry and the token-server registry the tests start.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Env, FIXTURE_REF } from '../../helpers/tsctr.js';
import { registryUnavailable, startRegistry, stopAllRegistries, type TestRegistry } from '../../helpers/registry.js';
import { runAsync } from './helpers.js';

const t = suite('images credential helpers');
const why = registryUnavailable();
let basic: TestRegistry, token: TestRegistry;
let dir: string;
let src: Env;
const envs: Env[] = [];
const env = (n: string) => { const e = new Env(`images-cred-${n}`); envs.push(e); return e; };

/** A docker-credential-<name> script in our PATH dir that logs its argv and stdin. */
function helper(name: string, body: string): void {
  const f = join(dir, 'bin', `docker-credential-${name}`);
  writeFileSync(f, `#!/bin/sh\nhost=$(cat)\necho "$1 $host" >> "${dir}/${name}.log"\n${body}\n`);
  chmodSync(f, 0o755);
}
/** A DOCKER_CONFIG dir with this config.json, and the env to run tsctr with. */
function dockerConfig(name: string, cfg: object): NodeJS.ProcessEnv {
  const d = join(dir, name);
  rmSync(d, { recursive: true, force: true });
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'config.json'), JSON.stringify(cfg));
  return { ...process.env, DOCKER_CONFIG: d, PATH: `${join(dir, 'bin')}:${process.env.PATH}` };
}

const flags = ['--plain-http'];
const log = (name: string) => { try { return readFileSync(join(dir, `${name}.log`), 'utf8'); } catch { return ''; } };

if (why) {
  console.log(`  SKIP images credential helpers: ${why}`);
  t.skip('credential helpers', () => {});
} else {
  t.before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tsctr-images-cred-'));
    mkdirSync(join(dir, 'bin'));
    [basic, token] = await Promise.all([startRegistry({ mode: 'basic' }), startRegistry({ mode: 'token' })]);
    src = env('src');
    src.importFixture();
  });
  t.after(async () => {
    envs.forEach((e) => e.cleanup());
    await stopAllRegistries();
    rmSync(dir, { recursive: true, force: true });
  });

  t('credsStore: push and pull with the helper\'s credentials; it is asked once per host with "get" and the host', async () => {
    helper('store', `printf '{"ServerURL":"%s","Username":"${basic.user}","Secret":"${basic.password}"}' "$host"`);
    const e = dockerConfig('store', { credsStore: 'store', auths: { [basic.host]: {} } });
    const ref = `${basic.host}/cred/busybox:1`;
    const push = await runAsync(src, ['images', 'push', ...flags, ref, FIXTURE_REF], { env: e });
    assert.is(push.code, 0, push.stderr);
    assert.match(push.stdout, /uploaded 2, existed 0/);
    assert.is(log('store'), `get ${basic.host}\n`, 'one helper run for the whole push');
    const b = env('store-pull');
    const pull = await runAsync(b, ['images', 'pull', '--skip-unpack', ...flags, ref], { env: e });
    assert.is(pull.code, 0, pull.stderr);
    assert.match(pull.stdout, /fetched 3, existed 0/);
  });

  t('credHelpers for the host wins over credsStore', async () => {
    helper('broken', `echo 'this store is broken'; exit 1`);
    helper('per-host', `printf '{"Username":"${basic.user}","Secret":"${basic.password}"}'`);
    const e = dockerConfig('per-host', { credsStore: 'broken', credHelpers: { [basic.host]: 'per-host' } });
    const pull = await runAsync(env('per-host'), ['images', 'pull', '--skip-unpack', ...flags, `${basic.host}/cred/busybox:1`], { env: e });
    assert.is(pull.code, 0, pull.stderr);
    assert.is(log('broken'), '');
  });

  t('"credentials not found in native keychain" → anonymous, which the Basic registry refuses', async () => {
    helper('empty', `echo 'credentials not found in native keychain'; exit 1`);
    const e = dockerConfig('empty', { credsStore: 'empty' });
    const r = await runAsync(env('empty'), ['images', 'pull', '--skip-unpack', ...flags, `${basic.host}/cred/busybox:1`], { env: e });
    assert.is(r.code, 1);
    assert.match(r.stderr, /^tsctr: images pull: .*: UNAUTHORIZED: .*\(hint: .*log in with --user or ~\/\.docker\/config\.json\)\n$/, r.stderr);
    assert.is(log('empty'), `get ${basic.host}\n`);
  });

  t('a failing, a missing and a malformed helper: one line naming the helper, nothing pulled', async () => {
    helper('locked', `echo 'the keyring is locked' ; exit 2`);
    const cases: [object, RegExp][] = [
      [{ credsStore: 'locked' }, /^tsctr: images pull: .*docker-credential-locked get 127\.0\.0\.1:\d+: exit 2: the keyring is locked \(hint: fix the credential helper, or remove it from .*config\.json\)\n$/],
      [{ credsStore: 'missing' }, /^tsctr: images pull: .*docker-credential-missing: not found on PATH \(named as a credential helper in .*config\.json\) \(hint: install docker-credential-missing, or remove it from .*\)\n$/],
      [{ credHelpers: { [basic.host]: '../../bin/sh' } }, /^tsctr: images pull: .*config\.json: credential helper name "\.\.\/\.\.\/bin\/sh" is not a plain name \(hint: .*\)\n$/],
    ];
    for (const [cfg, want] of cases) {
      const e = env('bad');
      const r = await runAsync(e, ['images', 'pull', '--skip-unpack', ...flags, `${basic.host}/cred/busybox:1`], { env: dockerConfig('bad', cfg) });
      assert.is(r.code, 1);
      assert.match(r.stderr, want, r.stderr);
      assert.is((await runAsync(e, ['images', 'ls', '-q'])).stdout, '');
    }
  });

  t('Username "<token>": the identity token is a refresh token for the token server (push and pull)', async () => {
    helper('idtoken', `printf '{"ServerURL":"%s","Username":"<token>","Secret":"${token.refreshToken}"}' "$host"`);
    const e = dockerConfig('idtoken', { credHelpers: { [token.host]: 'idtoken' } });
    const ref = `${token.host}/cred/busybox:2`;
    const before = token.tokenServer!.requests.length;
    const push = await runAsync(src, ['images', 'push', ...flags, ref, FIXTURE_REF], { env: e });
    assert.is(push.code, 0, push.stderr);
    const reqs = token.tokenServer!.requests.slice(before);
    assert.ok(reqs.length > 0);
    for (const r of reqs) {
      assert.is(r.grant, 'refresh_token', 'never sent as a password');
      assert.is(r.clientId, 'tsctr');
      assert.is(r.user, token.user);
    }
    assert.ok(reqs.some((r) => r.scopes.includes('repository:cred/busybox:pull,push')));
    const pull = await runAsync(env('idtoken-pull'), ['images', 'pull', '--skip-unpack', ...flags, ref], { env: e });
    assert.is(pull.code, 0, pull.stderr);
    // A revoked token: the token server says no, and the hint says to log in again.
    helper('revoked', `printf '{"Username":"<token>","Secret":"revoked"}'`);
    const bad = await runAsync(src, ['images', 'push', ...flags, `${token.host}/cred/other:1`, FIXTURE_REF], { env: dockerConfig('revoked', { credsStore: 'revoked' }) });
    assert.is(bad.code, 1);
    assert.match(bad.stderr, /POST http:\/\/127\.0\.0\.1:\d+\/token: UNAUTHORIZED: .*\(hint: the token server refused the identity token: log in again/, bad.stderr);
  });
}

t.run();
