// contentStoreSuite: the behaviour every content store must have (ingest,
// verify, resume, mismatch, locking, listing). Runs against the local store
// here; another implementation would call it with its own factory.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DigestMismatchError } from '../../../src/errors.js';
import type { ContentStore } from '../../../src/content/store.js';

export async function rejects(fn: () => Promise<unknown>, re: RegExp): Promise<void> {
  let err: unknown;
  try { await fn(); } catch (e) { err = e; }
  assert.ok(err instanceof Error, `expected a rejection matching ${re}`);
  assert.match((err as Error).message, re);
}

export const sha = (b: Buffer | string) => 'sha256:' + createHash('sha256').update(b).digest('hex');

export function contentStoreSuite(name: string, make: () => Promise<{ store: ContentStore; cleanup: () => Promise<void> }>) {
  const t = suite<{ store: ContentStore; cleanup: () => Promise<void> }>(name);
  t.before.each(async (ctx) => { Object.assign(ctx, await make()); });
  t.after.each(async (ctx) => ctx.cleanup());

  t('writeBlob stores, verifies and lists a blob', async ({ store }) => {
    const data = Buffer.from('hello content');
    const r = await store.writeBlob(data);
    assert.is(r.digest, sha(data));
    assert.is(r.existed, false);
    assert.equal(await store.readBlob(r.digest), data);
    assert.is((await store.info(r.digest))?.size, data.length);
    assert.equal((await store.list()).map((b) => b.digest), [r.digest]);
    assert.is((await store.writeBlob(data)).existed, true);
    assert.equal(await store.ingests(), []);
  });

  t('a digest mismatch throws DigestMismatchError and commits nothing', async ({ store }) => {
    const data = Buffer.from('the real bytes');
    const w = (await store.openWriter('m', { digest: sha('other bytes!!!'), size: data.length }))!;
    await w.write(data);
    const err = await w.commit().then(() => undefined, (e: unknown) => e);
    assert.instance(err, DigestMismatchError);
    assert.is((err as DigestMismatchError).actual, sha(data));
    assert.equal(await store.list(), []);
    assert.equal(await store.ingests(), []);
    assert.not.ok(await store.has(sha(data)));
  });

  t('a short blob fails its size check', async ({ store }) => {
    const data = Buffer.from('0123456789');
    const w = (await store.openWriter('short', { digest: sha(data), size: data.length }))!;
    await w.write(data.subarray(0, 4));
    await rejects(() => w.commit(), /expected 10 bytes, got 4 bytes/);
    assert.equal(await store.list(), []);
  });

  t('more bytes than expected fail at once', async ({ store }) => {
    const w = (await store.openWriter('long', { digest: sha('ab'), size: 2 }))!;
    await rejects(() => w.write(Buffer.from('abc')), /more than the expected 2 bytes/);
    await w.abort();
    assert.equal(await store.ingests(), []);
  });

  t('an interrupted ingest resumes at its offset, re-hashing the kept bytes', async ({ store }) => {
    const data = Buffer.alloc(300_000, 7);
    data.write('some text in the middle', 150_000);
    const exp = { digest: sha(data), size: data.length };
    const w1 = (await store.openWriter(exp.digest, exp))!;
    await w1.write(data.subarray(0, 123_457));
    await w1.close();
    const active = await store.ingests();
    assert.is(active.length, 1);
    assert.is(active[0]!.offset, 123_457);
    assert.is(active[0]!.active, false);
    assert.equal(active[0]!.expected, exp);
    const w2 = (await store.openWriter(exp.digest, exp))!;
    assert.is(w2.offset, 123_457);
    assert.is(w2.resumedFrom, 123_457);
    await w2.write(data.subarray(123_457));
    const r = await w2.commit();
    assert.is(r.digest, exp.digest);
    assert.equal(await store.readBlob(exp.digest), data);
    assert.equal(await store.ingests(), []);
  });

  t('an ingest for another digest under the same key starts over', async ({ store }) => {
    const w1 = (await store.openWriter('key', { digest: sha('aaaa'), size: 4 }))!;
    await w1.write(Buffer.from('aa'));
    await w1.close();
    const w2 = (await store.openWriter('key', { digest: sha('bbbb'), size: 4 }))!;
    assert.is(w2.offset, 0);
    await w2.write(Buffer.from('bbbb'));
    await w2.commit();
    assert.ok(await store.has(sha('bbbb')));
  });

  t('reset() starts again from byte 0', async ({ store }) => {
    const w = (await store.openWriter('r', { digest: sha('xyz'), size: 3 }))!;
    await w.write(Buffer.from('q'));
    await w.reset();
    await w.write(Buffer.from('xyz'));
    assert.is((await w.commit()).digest, sha('xyz'));
  });

  t('openWriter on a committed digest returns undefined and clears stale partial data', async ({ store }) => {
    const data = Buffer.from('present');
    const exp = { digest: sha(data), size: data.length };
    const stale = (await store.openWriter(exp.digest, exp))!;
    await stale.write(Buffer.from('pre'));
    await stale.close();
    await store.writeBlob(data, exp, 'another-key');
    assert.is(await store.openWriter(exp.digest, exp), undefined);
    assert.equal(await store.ingests(), []);
  });

  t('a second writer of the same key waits, then finds the blob committed', async ({ store }) => {
    const data = Buffer.from('only once');
    const exp = { digest: sha(data), size: data.length };
    const w1 = (await store.openWriter(exp.digest, exp))!;
    let second: unknown = 'pending';
    const p = store.openWriter(exp.digest, exp).then((w) => { second = w; });
    await new Promise((r) => setTimeout(r, 150));
    assert.is(second, 'pending');
    assert.is((await store.ingests())[0]!.active, true);
    await w1.write(data);
    await w1.commit();
    await p;
    assert.is(second, undefined);
  });

  t('twenty concurrent writeBlob calls of one blob leave one copy and no ingest', async ({ store }) => {
    const data = Buffer.alloc(64 * 1024, 3);
    const rs = await Promise.all(Array.from({ length: 20 }, () => store.writeBlob(data)));
    assert.is(rs.filter((r) => !r.existed).length, 1);
    assert.is((await store.list()).length, 1);
    assert.equal(await store.ingests(), []);
  });

  t('blobs are files at blobs/sha256/<hex> of an OCI layout', async ({ store }) => {
    const r = await store.writeBlob(Buffer.from('layout'));
    assert.is(store.blobPath(r.digest), join(store.root, 'content', 'blobs', 'sha256', r.digest.slice(7)));
    assert.ok(existsSync(join(store.root, 'content', 'oci-layout')));
    assert.ok(existsSync(join(store.root, 'content', 'index.json')));
    assert.equal(readdirSync(join(store.root, 'content', 'blobs', 'sha256')), [r.digest.slice(7)]);
  });

  t('readBlob refuses a blob whose bytes changed on disk', async ({ store }) => {
    const r = await store.writeBlob(Buffer.from('original'));
    const { chmodSync, writeFileSync } = await import('node:fs');
    chmodSync(store.blobPath(r.digest), 0o644);
    writeFileSync(store.blobPath(r.digest), 'tampered');
    await rejects(() => store.readBlob(r.digest), /digest mismatch/);
  });

  return t;
}
