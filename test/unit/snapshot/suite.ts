// A reusable suite for the Snapshotter interface (containerd's
// core/snapshots/testsuite), run against every implementation.
import * as fs from 'node:fs';
import { join } from 'node:path';
import type { Test } from 'uvu';
import * as assert from 'uvu/assert';
import { isKind } from '../../../src/errors.js';
import type { Snapshotter } from '../../../src/snapshot/index.js';

async function rejects(p: Promise<unknown>, kind: Parameters<typeof isKind>[1], re?: RegExp): Promise<Error> {
  try { await p; } catch (e) {
    assert.ok(isKind(e, kind), `expected ${kind}, got ${String(e)}`);
    if (re) assert.match(String((e as Error).message), re);
    return e as Error;
  }
  assert.unreachable(`expected a ${kind} error`);
  throw new Error('unreachable');
}

export function snapshotterSuite(test: Test, name: string, make: (dir: string) => Snapshotter): void {
  let dir = '';
  let sn: Snapshotter;
  test.before.each(() => { dir = fs.mkdtempSync('/tmp/tsctr-sn-'); sn = make(dir); });
  test.after.each(() => fs.rmSync(dir, { recursive: true, force: true }));

  test(`${name}: prepare → write → commit → view sees the files`, async () => {
    await sn.prepare('a-active');
    const { upper } = await sn.layerDirs('a-active');
    fs.writeFileSync(join(upper, 'hello'), 'world');
    await sn.commit('layer-a', 'a-active', { labels: { x: '1' } });
    const info = await sn.stat('layer-a');
    assert.is(info.kind, 'committed');
    assert.is(info.labels.x, '1');
    await rejects(sn.stat('a-active'), 'NotFound');
    await sn.prepare('b-active', 'layer-a');
    const b = await sn.layerDirs('b-active');
    if (sn.name === 'native') assert.is(fs.readFileSync(join(b.upper, 'hello'), 'utf8'), 'world', 'native copies the parent');
    else assert.is(fs.readFileSync(join(b.lowers[0], 'hello'), 'utf8'), 'world', 'overlay lists the parent as a lower');
    const u = await sn.usage('layer-a');
    assert.ok(u.inodes >= 2 && u.size > 0, JSON.stringify(u));
    const v = await sn.view('v', 'layer-a');
    assert.is(v.length, 1);
    assert.ok(v[0].options.includes('ro'));
    assert.equal((await sn.list()).map((i) => `${i.name}:${i.kind}:${i.parent ?? ''}`), ['b-active:active:layer-a', 'layer-a:committed:', 'v:view:layer-a']);
  });

  test(`${name}: keys are unique, parents must exist and be committed`, async () => {
    await sn.prepare('k');
    await rejects(sn.prepare('k'), 'AlreadyExists');
    await rejects(sn.prepare('x', 'missing'), 'NotFound');
    await rejects(sn.prepare('y', 'k'), 'FailedPrecondition', /not committed/);
    await rejects(sn.commit('c', 'missing'), 'NotFound');
    const v = await sn.view('view-k');
    assert.ok(v.length === 1);
    await rejects(sn.commit('c', 'view-k'), 'FailedPrecondition', /only active/);
    // A failed prepare leaves no directory behind.
    assert.equal(fs.readdirSync(join(sn.dir, 'snapshots')).filter((n) => n.startsWith('new-')), []);
  });

  test(`${name}: rm of a snapshot with children is refused, naming them`, async () => {
    await sn.prepare('p');
    await sn.commit('parent', 'p');
    await sn.prepare('child-1', 'parent');
    await sn.view('child-2', 'parent');
    await rejects(sn.remove('parent'), 'FailedPrecondition', /child-1, child-2/);
    await sn.remove('child-1');
    await sn.remove('child-2');
    const id = (await sn.stat('parent')).id;
    await sn.remove('parent');
    assert.not.ok(fs.existsSync(join(sn.dir, 'snapshots', id)));
    await rejects(sn.remove('parent'), 'NotFound');
  });

  test(`${name}: labels merge, an empty value removes one`, async () => {
    await sn.prepare('l', undefined, { labels: { a: '1', b: '2' } });
    const info = await sn.update('l', { b: '', c: '3' });
    assert.equal(info.labels, { a: '1', c: '3' });
  });

  test(`${name}: cleanup removes half-removed and old half-built directories only`, async () => {
    await sn.prepare('live');
    const d = join(sn.dir, 'snapshots');
    fs.mkdirSync(join(d, 'rm-9/fs'), { recursive: true });
    fs.mkdirSync(join(d, 'new-old/fs'), { recursive: true });
    fs.utimesSync(join(d, 'new-old'), 1, 1);
    fs.mkdirSync(join(d, 'new-fresh'));
    assert.is(await sn.cleanup(), 2);
    assert.equal(fs.readdirSync(d).sort(), [(await sn.stat('live')).id, 'new-fresh'].sort());
  });

  test(`${name}: namespaces are separate`, async () => {
    await sn.prepare('same');
    const other = sn.withNamespace('other');
    assert.equal(await other.list(), []);
    await other.prepare('same');
    assert.is((await other.list()).length, 1);
    assert.not.equal((await other.stat('same')).id, (await sn.stat('same')).id);
  });
}
