import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeEntryValue,
  decodeHardState,
  encodeEntryValue,
  encodeHardState,
  entryKey,
  entryKeyIndex,
} from '../../src/storage/codec.js';

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

describe('storage codec', () => {
  test('entry keys sort in index order, including across the 32-bit boundary', () => {
    const indexes = [1, 2, 127, 128, 255, 256, 65_535, 65_536, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, Number.MAX_SAFE_INTEGER];
    const keys = indexes.map(entryKey);
    const sorted = [...keys].sort(compareBytes);
    assert.deepEqual(sorted.map(entryKeyIndex), indexes);
  });

  test('entry values round-trip term, kind and data', () => {
    const cases = [
      { index: 1, term: 1, kind: 0 as const, data: new Uint8Array() },
      { index: 7, term: 300, kind: 1 as const, data: Uint8Array.of(0, 1, 2, 255) },
      { index: 9, term: 2 ** 40 + 3, kind: 0 as const, data: new TextEncoder().encode('héllo') },
    ];
    for (const entry of cases) {
      assert.deepEqual(decodeEntryValue(entry.index, encodeEntryValue(entry)), entry);
    }
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
    assert.throws(() => decodeEntryValue(1, Uint8Array.of(1, 7)), /corrupt/);
    assert.throws(() => decodeEntryValue(1, Uint8Array.of(0x80)), /varint/);
    assert.throws(() => entryKeyIndex(Uint8Array.of(0x68)), /entry key/);
  });
});
