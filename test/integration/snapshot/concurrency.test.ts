// Concurrent CLIs: the metadata file is updated under flock, so parallel
// prepares all land with distinct ids, and two unpacks of the same image
// end with one set of committed layers.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getSnapshotter } from '../../../src/snapshot/index.js';
import { loadSys } from '../../../src/sys/index.js';
import { rootTest } from '../../helpers/root.js';
import { buildLayer, storeLayers } from '../unpack/oci-layout.js';

const mod = (p: string) => JSON.stringify(new URL(p, import.meta.url).href);

function node(script: string): Promise<number | null> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'inherit'] });
  return new Promise((r) => child.on('close', r));
}

let tmp = '';
test.before(() => { tmp = fs.mkdtempSync('/tmp/tsctr-conc-'); });
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

rootTest(test, 'parallel prepares from six processes all land, with distinct ids', async () => {
  const root = join(tmp, 'a');
  const codes = await Promise.all(Array.from({ length: 6 }, (_, p) => node(`
    const { getSnapshotter } = await import(${mod('../../../src/snapshot/index.js')});
    const { loadSys } = await import(${mod('../../../src/sys/index.js')});
    const sn = getSnapshotter(${JSON.stringify(root)}, 'overlayfs', await loadSys());
    for (let i = 0; i < 5; i++) await sn.prepare('p${p}-' + i);`)));
  assert.equal(codes, [0, 0, 0, 0, 0, 0]);
  const list = await getSnapshotter(root, 'overlayfs', await loadSys()).list();
  assert.is(list.length, 30);
  assert.is(new Set(list.map((i) => i.id)).size, 30);
  const dirs = fs.readdirSync(join(root, 'snapshots/overlayfs/snapshots'));
  assert.is(dirs.length, 30, `directories: ${dirs.join(' ')}`);
});

rootTest(test, 'two unpacks of one image at once commit each layer once', async () => {
  const root = join(tmp, 'b');
  const layers = [0, 1, 2].map((n) => buildLayer(Array.from({ length: 200 }, (_, i) => ({ name: `l${n}/f${i}`, type: 'file' as const, data: Buffer.alloc(4096, i) }))));
  storeLayers(root, layers);
  const script = `
    const { unpackImage } = await import(${mod('../../../src/unpack/index.js')});
    const { loadSys } = await import(${mod('../../../src/sys/index.js')});
    await unpackImage({ root: ${JSON.stringify(root)}, namespace: 'default', snapshotter: 'overlayfs', layers: ${JSON.stringify(layers.map((l) => l.descriptor))}, diffIds: ${JSON.stringify(layers.map((l) => l.diffId))}, sys: await loadSys() });`;
  assert.equal(await Promise.all([node(script), node(script)]), [0, 0]);
  const list = await getSnapshotter(root, 'overlayfs', await loadSys()).list();
  assert.equal(list.map((i) => i.kind), ['committed', 'committed', 'committed']);
});

test.run();
