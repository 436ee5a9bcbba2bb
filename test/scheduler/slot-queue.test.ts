import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { SlotQueue } from '../../src/scheduler/slot-queue.js';
import { seeded } from '../fixtures/state.js';

function minOf(model: Map<string, number>): number {
  let best = Infinity;
  for (const t of model.values()) if (t < best) best = t;
  return best;
}

describe('SlotQueue', () => {
  test('empty queue', () => {
    const q = new SlotQueue();
    assert.equal(q.size, 0);
    assert.equal(q.peekTime(), Infinity);
    assert.equal(q.peekKey(), undefined);
    assert.equal(q.pop(), undefined);
    assert.equal(q.delete('x'), false);
    assert.equal(q.get('x'), undefined);
  });

  test('a key appears once; set moves it earlier or later', () => {
    const q = new SlotQueue();
    q.set('a', 30);
    q.set('b', 20);
    q.set('c', 10);
    assert.equal(q.peekKey(), 'c');
    q.set('c', 40);
    assert.equal(q.size, 3);
    assert.equal(q.peekKey(), 'b');
    q.set('a', 5);
    assert.equal(q.peekKey(), 'a');
    assert.equal(q.get('c'), 40);
    assert.deepEqual([q.pop(), q.pop(), q.pop(), q.pop()], ['a', 'b', 'c', undefined]);
  });

  test('popDue takes exactly the due keys in time order, up to max', () => {
    const q = new SlotQueue();
    for (let i = 0; i < 10; i++) q.set(`k${i}`, 100 - i * 10);
    const out: string[] = [];
    assert.equal(q.popDue(40, 3, out), 3);
    assert.deepEqual(out, ['k9', 'k8', 'k7']);
    assert.equal(q.popDue(40, 100, out), 1);
    assert.deepEqual(out, ['k9', 'k8', 'k7', 'k6']);
    assert.equal(q.popDue(40, 100, out), 0);
    assert.equal(q.peekTime(), 50);
    assert.equal(q.size, 6);
  });

  test('randomized operations agree with a Map model', () => {
    const random = seeded(42);
    const q = new SlotQueue();
    const model = new Map<string, number>();
    for (let step = 0; step < 20_000; step++) {
      const key = `j${Math.floor(random() * 500)}`;
      const op = random();
      if (op < 0.5) {
        const t = Math.floor(random() * 10_000);
        q.set(key, t);
        model.set(key, t);
      } else if (op < 0.75) {
        assert.equal(q.delete(key), model.delete(key));
      } else if (op < 0.85) {
        const now = Math.floor(random() * 10_000);
        const out: string[] = [];
        q.popDue(now, 7, out);
        let prev = -Infinity;
        for (const k of out) {
          const t = model.get(k);
          assert.ok(t !== undefined && t <= now, 'popped key was due');
          assert.ok(t >= prev, 'popped in time order');
          prev = t;
          model.delete(k);
        }
        if (out.length < 7) assert.ok(minOf(model) > now, 'every due key was popped');
      } else {
        assert.equal(q.get(key), model.get(key));
      }
      assert.equal(q.size, model.size);
      assert.equal(q.peekTime(), minOf(model));
    }
    assert.deepEqual(new Map(q.entries()), model);
  });

  test('rebuild heapifies in bulk and later updates still work', () => {
    const random = seeded(7);
    const q = new SlotQueue();
    q.set('stale', 1);
    const entries: [string, number][] = [];
    for (let i = 0; i < 5000; i++) entries.push([`j${i}`, Math.floor(random() * 1e6)]);
    entries.push(['j0', 3]);
    q.rebuild(entries);
    assert.equal(q.size, 5000);
    assert.equal(q.has('stale'), false);
    assert.equal(q.get('j0'), 3);
    q.set('j1', -1);
    q.delete('j2');
    const expected = [...q.entries()].sort((a, b) => a[1] - b[1]).map(([, t]) => t);
    const popped: number[] = [];
    while (q.size > 0) {
      popped.push(q.peekTime());
      q.pop();
    }
    assert.equal(popped.length, 4999);
    assert.equal(popped[0], -1);
    assert.deepEqual(popped, expected);
  });
});
