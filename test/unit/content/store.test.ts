import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ContentStore } from '../../../src/content/store.js';
import { contentStoreSuite } from './suite.js';

contentStoreSuite('local content store', async () => {
  const root = mkdtempSync('/tmp/tsctr-unit-content-');
  return { store: new ContentStore(root), cleanup: async () => rmSync(root, { recursive: true, force: true }) };
}).run();

test('deferDirSync: blobs commit (readable at once) and their directory is synced once, at flush', async () => {
  const root = mkdtempSync('/tmp/tsctr-unit-content-');
  try {
    const store = new ContentStore(root);
    const scope = store.deferDirSync();
    const a = await store.writeBlob(Buffer.from('one'));
    const b = await store.writeBlob(Buffer.from('two'));
    assert.ok(existsSync(store.blobPath(a.digest)) && existsSync(store.blobPath(b.digest)));
    assert.is(store.unsyncedDirs, 1, 'both blobs are in one directory, left to flush()');
    scope.flush();
    assert.is(store.unsyncedDirs, 0);
    scope.flush(); // a second flush (a pull's finally) is harmless
    await store.writeBlob(Buffer.from('three'));
    assert.is(store.unsyncedDirs, 0, 'outside a scope each commit syncs at once');
    assert.equal((await store.readBlob(a.digest)).toString(), 'one');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
