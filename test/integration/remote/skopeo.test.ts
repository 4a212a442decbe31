// Interop: what tsctr pushes, skopeo reads byte for byte; what skopeo writes
// (converted to Docker schema 2), tsctr pulls and verifies.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { createRegistryClient } from '../../../src/remote/index.js';
import { parseReference } from '../../../src/reference/index.js';
import { MediaType } from '../../../src/descriptor/index.js';
import { registryUnavailable, startRegistry, stopAllRegistries, type TestRegistry } from '../../helpers/registry.js';
import { makeTestImage } from '../../helpers/registry-image.js';

const run = promisify(execFile);
const why = registryUnavailable() ?? (existsSync('/usr/bin/skopeo') ? undefined : 'skopeo is not installed (apt-get install skopeo)');

async function readAll(s: NodeJS.ReadableStream): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of s as AsyncIterable<Buffer>) out.push(c);
  return Buffer.concat(out);
}

if (why) {
  console.log(`  SKIP skopeo interop: ${why}`);
  test.skip('skopeo interop', () => {});
} else {
  let reg: TestRegistry;
  test.before(async () => { reg = await startRegistry({ mode: 'plain' }); });
  test.after(stopAllRegistries);

  test('tsctr push → skopeo reads it; skopeo copy to Docker v2 → tsctr pulls it', async () => {
    const c = createRegistryClient({ plainHttp: true, dockerConfigPath: '/nonexistent/config.json' });
    const img = makeTestImage({ seed: 'skopeo', withIndex: true });
    const ref = parseReference(`${reg.host}/interop/a:v1`);
    for (const b of [img.config, ...img.layers]) await c.pushBlob(ref, b.desc, () => Readable.from([b.body]));
    await c.pushManifest(parseReference(`${reg.host}/interop/a@${img.manifest.desc.digest}`), img.manifest.desc, img.manifest.body);
    await c.pushManifest(ref, img.index!.desc, img.index!.body);

    const raw = await run('skopeo', ['--insecure-policy', 'inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/interop/a:v1`]);
    assert.is(raw.stdout, img.index!.body.toString());
    const info = JSON.parse((await run('skopeo', ['--insecure-policy', 'inspect', '--tls-verify=false', `docker://${reg.host}/interop/a:v1`])).stdout) as { Digest: string; Layers: string[] };
    assert.equal(info.Layers, [img.layers[0]!.desc.digest]);

    await run('skopeo', ['--insecure-policy', 'copy', '-q', '--src-tls-verify=false', '--dest-tls-verify=false', '-f', 'v2s2',
      `docker://${reg.host}/interop/a:v1`, `docker://${reg.host}/interop/b:v2s2`]);
    const bref = parseReference(`${reg.host}/interop/b:v2s2`);
    const d = await c.resolve(bref);
    assert.is(d.mediaType, MediaType.DockerManifest);
    const m = JSON.parse((await c.fetchManifest(bref, d)).toString()) as { config: { digest: string; size: number; mediaType: string }; layers: { digest: string }[] };
    assert.is(m.config.mediaType, MediaType.DockerConfig);
    assert.is(m.layers[0]!.digest, img.layers[0]!.desc.digest);
    const cfg = await readAll((await c.fetchBlob(bref, { ...m.config })).stream);
    assert.is(cfg.length, m.config.size);
  });
}

test.run();
