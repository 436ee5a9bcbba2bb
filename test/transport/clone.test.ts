import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { Message } from '../../src/raft/types.js';
import { ByteArena, cloneMessage } from '../../src/transport/index.js';

function append(sizes: number[]): Message {
  const entries = sizes.map((n, i) => ({ index: i + 1, term: 2, kind: 0 as const, data: new Uint8Array(n).fill(i + 1) }));
  return { type: 'append', from: 'a', to: 'b', term: 2, index: 0, logTerm: 0, commit: 0, entries };
}

describe('ByteArena', () => {
  test('ranges never overlap, and writing one leaves the others untouched', () => {
    const arena = new ByteArena();
    const ranges = Array.from({ length: 2000 }, (_, i) => arena.take(1 + (i % 100)));
    ranges.forEach((r, i) => r.fill(i & 0xff));
    ranges.forEach((r, i) =>
      assert.ok(
        r.every((b) => b === (i & 0xff)),
        `range ${i} was overwritten`,
      ),
    );
  });

  test('a large request gets a buffer of its own', () => {
    const arena = new ByteArena();
    const small = arena.take(10);
    const big = arena.take(100_000);
    assert.equal(big.length, 100_000);
    assert.notEqual(big.buffer, small.buffer);
  });
});

describe('cloneMessage', () => {
  test('copies fields, entries and bytes, with or without an arena', () => {
    const original = append([0, 3, 200, 70]);
    for (const clone of [cloneMessage(original), cloneMessage(original, new ByteArena())]) {
      assert.deepEqual(clone, original);
      assert.notEqual(clone.entries, original.entries);
      clone.entries!.forEach((e, i) => {
        assert.notEqual(e, original.entries![i]);
        if (e.data.length > 0) assert.notEqual(e.data.buffer, original.entries![i]!.data.buffer);
      });
    }
  });
});
