// unpackImage's onSnapshot: the layer snapshots it prepares, commits and
// removes, in order, as the events journal records them (src/unpack does
// not journal; its callers pass a recorder). Native snapshotter, no mounts.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MediaType } from '../../../src/descriptor/index.js';
import { getSnapshotter } from '../../../src/snapshot/index.js';
import { loadSys, type Sys } from '../../../src/sys/index.js';
import { chainIds, unpackImage, type SnapshotEvents } from '../../../src/unpack/index.js';
import { buildTar } from '../../../src/unpack/tar-writer.js';
import { rootTest } from '../../helpers/root.js';

let sys: Sys;
const tmps: string[] = [];
test.before(async () => { sys = await loadSys(); });
test.after(() => { for (const d of tmps) fs.rmSync(d, { recursive: true, force: true }); });

const sha = (b: Buffer) => 'sha256:' + createHash('sha256').update(b).digest('hex');
const ids = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };

/** Uncompressed layers with one file each, stored where unpackImage reads blobs. */
function image(names: string[]) {
  const root = fs.mkdtempSync('/tmp/tsctr-snapev-unit-');
  tmps.push(root);
  const layers = names.map((n) => {
    const tar = buildTar([{ name: n, type: 'file', data: n, ...ids }]);
    const dir = join(root, 'content', 'blobs', 'sha256');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(join(dir, sha(tar).slice(7)), tar);
    return { descriptor: { mediaType: MediaType.OciLayer, digest: sha(tar), size: tar.length }, diffId: sha(tar) };
  });
  return { root, layers: layers.map((l) => l.descriptor), diffIds: layers.map((l) => l.diffId) };
}

type Seen = { topic: keyof SnapshotEvents; payload: Record<string, string>; kind?: string };

function recorder(root: string) {
  const seen: Seen[] = [];
  const sn = getSnapshotter(root, 'native', sys, 'snapev');
  const onSnapshot = async <T extends keyof SnapshotEvents>(topic: T, payload: SnapshotEvents[T]) => {
    // What the snapshot is when the event is told: it already happened.
    const name = topic === '/snapshot/commit' ? (payload as SnapshotEvents['/snapshot/commit']).name : payload.key;
    const kind = await sn.stat(name).then((i) => i.kind, () => 'gone');
    seen.push({ topic, payload: { ...payload }, kind });
  };
  return { seen, onSnapshot };
}

rootTest(test, 'prepare then commit per layer, in order, each after it happened; a reused layer tells nothing', async () => {
  const img = image(['a', 'b', 'c']);
  const { seen, onSnapshot } = recorder(img.root);
  const chain = chainIds(img.diffIds);
  const r = await unpackImage({ namespace: 'snapev', snapshotter: 'native', sys, ...img, onSnapshot });
  assert.is(r.unpacked, 3);
  assert.equal(seen.map((s) => `${s.topic} ${s.kind}`), [
    '/snapshot/prepare active', '/snapshot/commit committed',
    '/snapshot/prepare active', '/snapshot/commit committed',
    '/snapshot/prepare active', '/snapshot/commit committed',
  ]);
  for (let i = 0; i < 3; i++) {
    const [prep, commit] = [seen[2 * i]!.payload, seen[2 * i + 1]!.payload];
    assert.equal(prep, { key: prep.key, parent: i ? chain[i - 1] : '', snapshotter: 'native' });
    assert.ok(prep.key!.startsWith('extract-'), prep.key);
    assert.equal(commit, { key: prep.key, name: chain[i], snapshotter: 'native' });
  }
  seen.length = 0;
  const again = await unpackImage({ namespace: 'snapev', snapshotter: 'native', sys, ...img, onSnapshot });
  assert.is(again.reused, 3);
  assert.equal(seen, []);
});

rootTest(test, 'a layer that fails its diff_id check: its prepare is followed by its remove, nothing committed', async () => {
  const img = image(['a', 'b']);
  img.diffIds[1] = sha(Buffer.from('not this layer'));
  const { seen, onSnapshot } = recorder(img.root);
  const err = await unpackImage({ namespace: 'snapev', snapshotter: 'native', sys, ...img, onSnapshot }).then(() => null, (e: Error) => e);
  assert.ok(err, 'unpack should fail');
  assert.equal(seen.map((s) => `${s.topic} ${s.kind}`), ['/snapshot/prepare active', '/snapshot/commit committed', '/snapshot/prepare active', '/snapshot/remove gone']);
  assert.equal(seen[3]!.payload, { key: seen[2]!.payload.key, snapshotter: 'native' });
  const left = await getSnapshotter(img.root, 'native', sys, 'snapev').list();
  assert.equal(left.map((i) => i.kind), ['committed']);
});

rootTest(test, 'a callback that throws on prepare: the extract snapshot is removed without a remove event, the error reported', async () => {
  const img = image(['a']);
  const seen: string[] = [];
  const err = await unpackImage({ namespace: 'snapev', snapshotter: 'native', sys, ...img, onSnapshot: (topic) => { seen.push(topic); if (topic === '/snapshot/prepare') throw new Error('journal full'); } })
    .then(() => null, (e: Error) => e);
  assert.match(String(err?.message), /journal full/);
  assert.equal(seen, ['/snapshot/prepare']);
  assert.equal(await getSnapshotter(img.root, 'native', sys, 'snapev').list(), []);
});

test.run();
