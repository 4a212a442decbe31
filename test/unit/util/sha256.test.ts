// src/util/sha256.ts: the same digests as node:crypto, at every length where
// the padding changes shape, for strings (UTF-8) and byte views, below and
// above SMALL_MAX; and the tiering switch the launcher leaves for an unpack.
import { createHash, randomBytes } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SMALL_MAX, sha256Hex, sha256Small } from '../../../src/util/sha256.js';
import { TURBOFAN_OFF, bulkWorkAhead } from '../../../src/util/tiering.js';

const ref = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

test('known vectors (FIPS 180-4 examples)', () => {
  assert.is(sha256Hex(''), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.is(sha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.is(sha256Hex('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'), '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
});

test('every length around the block and padding boundaries equals node:crypto', () => {
  for (let n = 0; n <= 200; n++) {
    const b = randomBytes(n);
    assert.is(sha256Small(b), ref(b), `length ${n}`);
  }
  for (const n of [511, 512, 513, 1023, 1024, 4095, 4096, 4097, 65536 + 3]) {
    const b = randomBytes(n);
    assert.is(sha256Small(b), ref(b), `length ${n}`);
    assert.is(sha256Hex(b), ref(b), `sha256Hex length ${n}`);
  }
});

test('hostile inputs: all zero and all 0xff bytes, bytes that are sign bits, a view into a larger buffer', () => {
  for (const fill of [0x00, 0xff, 0x80, 0x7f]) {
    const b = Buffer.alloc(SMALL_MAX, fill);
    assert.is(sha256Hex(b), ref(b), `fill ${fill}`);
  }
  const big = randomBytes(300);
  const view = big.subarray(17, 250);
  assert.is(sha256Hex(view), ref(view));
  assert.is(sha256Hex(new Uint8Array(view)), ref(view), 'a plain Uint8Array');
});

test('strings hash as UTF-8, as createHash().update(string) does', () => {
  for (const s of ['é', 'sha256:abc sha256:def', '\u{1F600} emoji', 'a'.repeat(SMALL_MAX + 1), '\0nul\0', '\ud800 lone surrogate']) assert.is(sha256Hex(s), ref(s), JSON.stringify(s.slice(0, 20)));
});

test('bulkWorkAhead: a no-op without the launcher mark, clears the mark when set', () => {
  const g = globalThis as Record<symbol, unknown>;
  delete g[TURBOFAN_OFF];
  bulkWorkAhead();
  assert.is(g[TURBOFAN_OFF], undefined);
  g[TURBOFAN_OFF] = true;
  bulkWorkAhead(); // sets --opt, which is this process's default anyway
  assert.is(g[TURBOFAN_OFF], false);
});

test.run();
