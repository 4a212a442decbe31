// The container store under races (issue 8 item 7): two `run` with one id →
// exactly one runs, the other fails with one "already exists" line and
// removes nothing of the winner's; a mount failure after the snapshot was
// prepared leaves no snapshot.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { rootTest } from '../../helpers/root.js';
import { Env, FIXTURE_REF } from '../../helpers/tsctr.js';

let env: Env;
const IDS = ['race-1', 'race-2', 'race-3', 'snapfail-1', 'snapfail-2'];
test.before(() => {
  env = new Env('storerace');
  if (process.geteuid?.() === 0) env.importFixture();
});
test.after(() => {
  for (const id of IDS) env.run(['containers', 'rm', '--force', id]);
  env.cleanup();
});

type Done = { code: number | null; stderr: string };
function runAsync(args: string[]): Promise<Done> {
  const p = env.spawn(args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  p.stderr!.on('data', (d) => { stderr += d; });
  return new Promise((r) => p.on('close', (code) => r({ code, stderr })));
}
const snapshotKeys = () => env.run(['snapshots', 'ls']).stdout.split('\n').slice(1).map((l) => l.split(/\s+/)[0]).filter(Boolean);

rootTest(test, 'two run -d with one id at once: exactly one runs, the other fails in one line, the winner is intact', async () => {
  for (const id of ['race-1', 'race-2', 'race-3']) {
    const both = await Promise.all([0, 1].map(() => runAsync(['run', '-d', FIXTURE_REF, id, 'sleep', '300'])));
    const won = both.filter((d) => d.code === 0);
    const lost = both.filter((d) => d.code !== 0);
    assert.is(won.length, 1, `exactly one run of ${id} succeeds: ${JSON.stringify(both)}`);
    assert.is(lost[0]!.code, 1);
    assert.match(lost[0]!.stderr, new RegExp(`^tsctr: run ${id}: container "${id}" already exists in namespace "default"`));
    assert.is(lost[0]!.stderr.trim().split('\n').length, 1, lost[0]!.stderr);
    // The winner: record, task state, running process, mounted snapshot, cgroup.
    const tasks = JSON.parse(env.run(['tasks', 'ls', '--json']).stdout) as { id: string; status: string }[];
    assert.is(tasks.find((t) => t.id === id)?.status, 'RUNNING');
    assert.ok(env.run(['containers', 'ls', '-q']).stdout.split('\n').includes(id));
    assert.ok(snapshotKeys().includes(id), 'the winner\'s snapshot is there');
    assert.ok(existsSync(join(env.state, '.runtime', 'default', id, 'state.json')), 'the winner\'s task state is there');
    assert.match(readFileSync('/proc/self/mountinfo', 'utf8'), new RegExp(join(env.state, 'default', id, 'rootfs')));
    assert.is(env.run(['tasks', 'exec', id, 'hostname']).stdout, `${id}\n`);
  }
});

rootTest(test, 'a mount failure after the snapshot is prepared leaves no snapshot, no container, no mount', async () => {
  // Hide the image's committed layer: prepare succeeds, the overlay mount then fails (lowerdir missing).
  const dir = join(env.root, 'snapshots', 'overlayfs', 'snapshots');
  const layers = readdirSync(dir).filter((d) => existsSync(join(dir, d, 'fs')));
  const before = snapshotKeys();
  for (const l of layers) renameSync(join(dir, l, 'fs'), join(dir, l, 'fs.away'));
  let r;
  try {
    r = env.run(['run', '--rm', FIXTURE_REF, 'snapfail-1', 'true']);
  } finally {
    for (const l of layers) renameSync(join(dir, l, 'fs.away'), join(dir, l, 'fs'));
  }
  assert.is(r.code, 1);
  assert.match(r.stderr, /^tsctr: run snapfail-1: mount ".*snapfail-1\/rootfs": ENOENT/);
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.equal(snapshotKeys(), before, 'the prepared snapshot was removed');
  assert.not.ok(env.run(['containers', 'ls', '-q']).stdout.split('\n').includes('snapfail-1'));
  assert.not.match(readFileSync('/proc/self/mountinfo', 'utf8'), /snapfail-1/);
  // Without --rm too, and the id is free again afterwards.
  for (const l of layers) renameSync(join(dir, l, 'fs'), join(dir, l, 'fs.away'));
  try {
    assert.is(env.run(['run', FIXTURE_REF, 'snapfail-2', 'true']).code, 1);
  } finally {
    for (const l of layers) renameSync(join(dir, l, 'fs.away'), join(dir, l, 'fs'));
  }
  assert.equal(snapshotKeys(), before);
  const again = env.run(['run', '--rm', FIXTURE_REF, 'snapfail-2', 'true']);
  assert.is(again.code, 0, again.stderr);
});

test.run();
