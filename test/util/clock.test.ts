import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/util/manual-clock.js';
import { completeClock, systemClock, type Clock } from '../../src/util/clock.js';
import { createScheduler } from '../../src/index.js';

describe('ManualClock defers work itself', () => {
  test('soon and next-turn calls run in the order they were queued, soon before the next turn, without moving time', async () => {
    const clock = new ManualClock(0);
    const order: string[] = [];
    clock.nextTurn(() => order.push('turn 1'));
    clock.soon(() => order.push('soon 1'));
    clock.nextTurn(() => order.push('turn 2'));
    clock.soon(() => {
      order.push('soon 2');
      clock.soon(() => order.push('soon 3 (queued by soon 2)'));
    });
    assert.equal(clock.pendingTurns, 4);
    await new Promise<void>((resolve) => setImmediate(resolve));
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.deepEqual(order, ['soon 1', 'soon 2', 'soon 3 (queued by soon 2)', 'turn 1', 'turn 2']);
    assert.equal(clock.pendingTurns, 0);
    assert.equal(clock.now(), 0);
  });

  test('advance lets deferred work, however long its chain, finish before the next timer fires', async () => {
    const clock = new ManualClock(0);
    const order: string[] = [];
    let hops = 0;
    const hop = (): void => {
      if (++hops < 50) clock.nextTurn(hop);
      else order.push('chain done');
    };
    clock.setTimeout(() => {
      order.push('timer 1');
      clock.nextTurn(hop);
    }, 10);
    clock.setTimeout(() => order.push('timer 2'), 10);
    await clock.advance(10);
    assert.deepEqual(order, ['timer 1', 'chain done', 'timer 2']);
  });
});

describe('completeClock', () => {
  test('returns a complete clock itself, so identity checks keep working', () => {
    const manual = new ManualClock(0);
    assert.equal(completeClock(systemClock), systemClock);
    assert.equal(completeClock(manual), manual);
  });

  test('a clock without soon and nextTurn still drives a scheduler (the system ones fill in)', async () => {
    const manual = new ManualClock(Date.UTC(2030, 0, 1));
    const timersOnly: Clock = {
      now: () => manual.now(),
      setTimeout: (fn, ms) => manual.setTimeout(fn, ms),
      clearTimeout: (handle) => manual.clearTimeout(handle),
    };
    const scheduler = await createScheduler({ clock: timersOnly });
    try {
      const ran: string[] = [];
      scheduler.handle('work', (ctx) => void ran.push(ctx.job.id));
      await scheduler.schedule({ id: 'a', at: manual.now() + 1000, handler: 'work' });
      await manual.advance(1000);
      await new Promise<void>((resolve) => setImmediate(resolve));
      for (let i = 0; i < 20 && ran.length === 0; i++) await manual.advance(0);
      assert.deepEqual(ran, ['a']);
    } finally {
      await scheduler.close();
    }
  });
});
