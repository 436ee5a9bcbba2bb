import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { Entry } from '../../src/raft/types.js';
import { decodeHardState, decodeRun, encodeHardState, encodeRun, parseRunKey, runKey, runPrefixLength } from '../../src/storage/codec.js';

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

const enc = new TextEncoder();

describe('storage codec', () => {
  test('run keys sort in index order, including across the 32-bit boundary', () => {
    const starts = [1, 2, 127, 128, 255, 256, 65_535, 65_536, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, Number.MAX_SAFE_INTEGER - 1];
    const keys = starts.map((s) => runKey(s, s + 1));
    const sorted = [...keys].sort(compareBytes);
    assert.deepEqual(
      sorted.map(parseRunKey),
      starts.map((s) => ({ first: s, last: s + 1 })),
    );
  });

  test('runs round-trip term, kind and data of every entry', () => {
    const entries: Entry[] = [
      { index: 7, term: 1, kind: 0, data: new Uint8Array() },
      { index: 8, term: 300, kind: 1, data: Uint8Array.of(0, 1, 2, 255) },
      { index: 9, term: 2 ** 40 + 3, kind: 0, data: enc.encode('héllo'.repeat(100)) },
    ];
    const out: Entry[] = [];
    assert.equal(decodeRun(7, encodeRun(entries), out), 3);
    assert.deepEqual(out, entries);
  });

  test('decoded data never aliases the stored bytes', () => {
    const value = encodeRun([{ index: 1, term: 1, kind: 0, data: Uint8Array.of(5) }]);
    const out: Entry[] = [];
    decodeRun(1, value, out);
    value.fill(0);
    assert.deepEqual(out[0]!.data, Uint8Array.of(5));
  });

  test('a run prefix is itself a valid run', () => {
    const entries: Entry[] = [1, 2, 3, 4].map((i) => ({ index: i, term: i * 1000, kind: 0, data: enc.encode(`e${i}`.repeat(i * 50)) }));
    const value = encodeRun(entries);
    const out: Entry[] = [];
    decodeRun(1, value.subarray(0, runPrefixLength(value, 2)), out);
    assert.deepEqual(out, entries.slice(0, 2));
    assert.equal(runPrefixLength(value, 4), value.length);
  });

  test('hard state round-trips, with and without a vote', () => {
    for (const hs of [
      { term: 0, vote: null, commit: 0 },
      { term: 5, vote: 'node-a', commit: 4 },
      { term: 2 ** 33, vote: 'nœud-β', commit: 2 ** 35 + 1 },
    ]) {
      assert.deepEqual(decodeHardState(encodeHardState(hs)), hs);
    }
  });

  test('corrupt values are rejected, not misread', () => {
    assert.throws(() => decodeHardState(Uint8Array.of(9, 1, 1, 0)), /version/);
    assert.throws(() => decodeRun(1, Uint8Array.of(1, 7, 0), []), /corrupt/);
    assert.throws(() => decodeRun(1, Uint8Array.of(1, 0, 5, 1), []), /truncated/);
    assert.throws(() => decodeRun(1, Uint8Array.of(0x80), []), /varint/);
    assert.throws(() => parseRunKey(Uint8Array.of(0x68)), /run key/);
    assert.throws(() => parseRunKey(runKey(5, 4)), /corrupt/);
  });
});
