import { mkdtempSync, rmSync } from 'node:fs';
import { ContentStore } from '../../../src/content/store.js';
import { contentStoreSuite } from './suite.js';

contentStoreSuite('local content store', async () => {
  const root = mkdtempSync('/tmp/tsctr-unit-content-');
  return { store: new ContentStore(root), cleanup: async () => rmSync(root, { recursive: true, force: true }) };
}).run();
