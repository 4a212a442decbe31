import { join } from 'node:path';
import { test } from 'uvu';
import { getSnapshotter } from '../../../src/snapshot/index.js';
import { FakeSys } from '../../../src/sys/fake.js';
import { snapshotterSuite } from './suite.js';

// Files are real (a temp dir); only flock goes to the fake.
snapshotterSuite(test, 'overlayfs', (dir) => getSnapshotter(join(dir, 'root'), 'overlayfs', new FakeSys()));
snapshotterSuite(test, 'native', (dir) => getSnapshotter(join(dir, 'root'), 'native', new FakeSys()));

test.run();
