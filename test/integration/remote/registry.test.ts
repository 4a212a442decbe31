// The registry client against a real docker-registry (distribution 2.8) in
// each set-up: resolve, fetch, push, pull back, and the errors users see.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Readable } from 'node:stream';
import { createRegistryClient, RegistryError, type RemoteOptions } from '../../../src/remote/index.js';
import { parseReference } from '../../../src/reference/index.js';
import { registryUnavailable, startRegistry, stopAllRegistries, type RegistryMode, type TestRegistry } from '../../helpers/registry.js';
import { makeTestImage, seedImage, type TestImage } from '../../helpers/registry-image.js';

const why = registryUnavailable();
const modes: RegistryMode[] = ['plain', 'tls', 'basic', 'token'];

async function readAll(s: NodeJS.ReadableStream): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of s as AsyncIterable<Buffer>) out.push(c);
  return Buffer.concat(out);
}

async function rejects(p: Promise<unknown>): Promise<Error> {
  try { await p; } catch (e) { return e as Error; }
  throw new Error('expected a rejection');
}

function clientOpts(reg: TestRegistry, extra: RemoteOptions = {}): RemoteOptions {
  return {
    plainHttp: reg.mode !== 'tls',
    tlsCaCert: reg.caFile ? [reg.caFile] : undefined,
    user: reg.user ? `${reg.user}:${reg.password}` : undefined,
    dockerConfigPath: '/nonexistent/config.json',
    retryDelayMs: 10,
    ...extra,
  };
}

for (const mode of modes) {
  const t = test;
  const name = (s: string) => `[${mode}] ${s}`;
  if (why) {
    console.log(`  SKIP registry ${mode} tests: ${why}`);
    t.skip(name('registry round trip'), () => {});
    continue;
  }
  let reg: TestRegistry;
  let img: TestImage;
  let indexImg: TestImage;
  t(name('start registry and seed images without tsctr'), async () => {
    reg = await startRegistry({ mode });
    img = await seedImage(reg, 'test/hello', 'v1', makeTestImage({ seed: mode }));
    indexImg = await seedImage(reg, 'test/multi', 'latest', makeTestImage({ seed: mode + '-idx', withIndex: true }));
  });

  t(name('resolve a tag to the manifest descriptor'), async () => {
    const c = createRegistryClient(clientOpts(reg));
    const d = await c.resolve(parseReference(`${reg.host}/test/hello:v1`));
    assert.equal(d, img.manifest.desc);
    const di = await c.resolve(parseReference(`${reg.host}/test/multi`));
    assert.equal(di, indexImg.index!.desc);
    const byDigest = await c.resolve(parseReference(`${reg.host}/test/hello@${img.manifest.desc.digest}`));
    assert.is(byDigest.digest, img.manifest.desc.digest);
  });

  t(name('fetch manifest and blobs, with Range resume'), async () => {
    const c = createRegistryClient(clientOpts(reg));
    const ref = parseReference(`${reg.host}/test/hello:v1`);
    assert.ok((await c.fetchManifest(ref, img.manifest.desc)).equals(img.manifest.body));
    const layer = img.layers[0]!;
    const whole = await c.fetchBlob(ref, layer.desc);
    assert.is(whole.offset, 0);
    assert.ok((await readAll(whole.stream)).equals(layer.body));
    const part = await c.fetchBlob(ref, layer.desc, 10);
    assert.is(part.offset, 10);
    assert.ok((await readAll(part.stream)).equals(layer.body.subarray(10)));
    assert.is(await c.blobExists(ref, layer.desc), true);
    assert.is(await c.blobExists(ref, { ...layer.desc, digest: 'sha256:' + '0'.repeat(64) }), false);
  });

  t(name('push blobs (monolithic and chunked) and a manifest, then pull back'), async () => {
    const c = createRegistryClient(clientOpts(reg));
    const fresh = makeTestImage({ seed: mode + '-push', files: { 'a.txt': 'a'.repeat(3000), 'b.txt': mode } });
    const ref = parseReference(`${reg.host}/pushed/img:t1`);
    assert.is(await c.pushBlob(ref, fresh.config.desc, () => Readable.from([fresh.config.body])), 'uploaded');
    assert.is(await c.pushBlob(ref, fresh.layers[0]!.desc, () => Readable.from([fresh.layers[0]!.body]), { chunkSize: 100 }), 'uploaded');
    assert.is(await c.pushBlob(ref, fresh.config.desc, () => Readable.from([fresh.config.body])), 'exists');
    await c.pushManifest(ref, fresh.manifest.desc, fresh.manifest.body);
    const d = await c.resolve(ref);
    assert.equal(d, fresh.manifest.desc);
    assert.ok((await c.fetchManifest(ref, d)).equals(fresh.manifest.body));
    assert.ok((await readAll((await c.fetchBlob(ref, fresh.layers[0]!.desc)).stream)).equals(fresh.layers[0]!.body));
    // Without a tag the manifest goes to its digest.
    const byDigest = parseReference(`${reg.host}/pushed/img@${fresh.manifest.desc.digest}`);
    await c.pushManifest(byDigest, fresh.manifest.desc, fresh.manifest.body);
    assert.is((await c.resolve(byDigest)).digest, fresh.manifest.desc.digest);
  });

  t(name('errors name the registry code: MANIFEST_UNKNOWN, NAME_UNKNOWN'), async () => {
    const c = createRegistryClient(clientOpts(reg));
    const e1 = await rejects(c.resolve(parseReference(`${reg.host}/test/hello:nope`)));
    assert.instance(e1, RegistryError);
    assert.is((e1 as RegistryError).code, 'MANIFEST_UNKNOWN');
    assert.is((e1 as RegistryError).status, 404);
    assert.match(e1.message, new RegExp(`^GET ${reg.url}/v2/test/hello/manifests/nope: MANIFEST_UNKNOWN: manifest unknown`));
    assert.match(e1.message, /\(tag "nope"\)/);
    assert.ok((e1 as RegistryError).hint);
    const e2 = await rejects(c.resolve(parseReference(`${reg.host}/no/such-repo:x`)));
    assert.instance(e2, RegistryError);
    assert.is((e2 as RegistryError).code, 'NAME_UNKNOWN');
    assert.match(e2.message, /tags\/list\?n=1: NAME_UNKNOWN: repository name not known to registry/);
    assert.match((e2 as RegistryError).hint ?? '', /repository name/);
    const e3 = await rejects(c.fetchBlob(parseReference(`${reg.host}/test/hello:v1`), { ...img.layers[0]!.desc, digest: 'sha256:' + '1'.repeat(64) }));
    assert.is((e3 as RegistryError).code, 'BLOB_UNKNOWN');
  });

  t(name('stop the registry'), async () => {
    await reg.stop();
  });
}

test.after(stopAllRegistries);
test.run();
