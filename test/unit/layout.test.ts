// STYLE.md: folders of src/ import downward only, and the runtime core
// (src/oci) imports nothing of images, snapshots, content or the client.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO } from '../helpers/tsctr.js';

type Checker = { importGraph(): Map<string, string>; findProblems(edges?: Map<string, string>): string[] };
const load = async () => (await import(pathToFileURL(join(REPO, 'tools/folder-cycles.mjs')).href)) as Checker;

test('src/ has no import cycle between folders and the core imports no client code', async () => {
  const { findProblems } = await load();
  assert.equal(findProblems(), []);
});

test('the checker sees the folders it is meant to judge', async () => {
  const edges = (await load()).importGraph();
  assert.ok(edges.has('container -> oci'), 'the client imports the core');
  assert.ok(edges.has('unpack -> snapshot'), 'unpack writes snapshots');
  assert.not.ok(edges.has('oci -> container'));
});

test('the checker reports a cycle and a core import it is shown', async () => {
  const { findProblems } = await load();
  const edges = new Map([
    ['content -> image', 'content/gc.ts => image/manifest.ts'],
    ['image -> content', 'image/image.ts => content/store.ts'],
    ['oci -> snapshot', 'oci/x.ts => snapshot/index.ts'],
  ]);
  const p = findProblems(edges);
  assert.ok(p.some((l) => l.startsWith('cycle: content -> image -> content') && l.includes('content/gc.ts')), p.join('\n'));
  assert.ok(p.some((l) => l.includes('core imports the client side: oci/x.ts')), p.join('\n'));
});

test.run();
