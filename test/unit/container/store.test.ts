// ContainerStore.create: atomic under the namespace's lock.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AlreadyExistsError, InvalidArgumentError } from '../../../src/errors.js';
import { ContainerStore, type ContainerRecord } from '../../../src/container/store.js';

let root: string;
test.before.each(() => { root = mkdtempSync(join(tmpdir(), 'tsctr-store-')); });
test.after.each(() => rmSync(root, { recursive: true, force: true }));

const record = (id: string, tag = ''): ContainerRecord => ({ id, snapshotter: null, snapshotKey: null, spec: { ociVersion: '1.0.2' } as ContainerRecord['spec'], createdAt: tag, removeOnExit: false, labels: {} });

test('concurrent creates of one id: exactly one wins, the others get AlreadyExists, the record is the winner\'s', async () => {
  const stores = Array.from({ length: 12 }, () => new ContainerStore(root, join(root, 'state'), 'default'));
  const results = await Promise.allSettled(stores.map((s, i) => s.create(record('same', `writer-${i}`))));
  const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
  assert.is(won.length, 1);
  for (const r of results) if (r.status === 'rejected') assert.instance(r.reason, AlreadyExistsError);
  assert.is(stores[0]!.get('same').createdAt, `writer-${won[0]}`);
  // No temp files left next to the record.
  assert.equal(readdirSync(join(root, 'metadata', 'default', 'containers')), ['same.json']);
});

test('the lock is per namespace: the same id in two namespaces is two containers', async () => {
  await new ContainerStore(root, join(root, 'state'), 'a').create(record('x'));
  await new ContainerStore(root, join(root, 'state'), 'b').create(record('x'));
  assert.is(new ContainerStore(root, join(root, 'state'), 'b').list().length, 1);
});

test('malicious ids are refused before anything is written', async () => {
  const s = new ContainerStore(root, join(root, 'state'), 'default');
  for (const id of ['../x', 'a/b', '.hidden', '', 'x'.repeat(77), 'a\0b', '..', '-rf']) {
    await s.create(record(id)).then(() => assert.unreachable(`accepted ${JSON.stringify(id)}`), (e) => assert.instance(e, InvalidArgumentError));
  }
  assert.equal(s.list(), []);
});

test.run();
