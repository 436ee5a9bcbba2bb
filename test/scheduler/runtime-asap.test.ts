/**
 * "Run as soon as possible" (`delay`) and what a handler learns about a late start
 * (`ctx.execution.late`), end to end on a ManualClock.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { argsOf, eventually, harness, T0 } from '../fixtures/scheduler-harness.js';
import { ValidationError } from '../../src/scheduler/errors.js';
import type { HandlerContext } from '../../src/scheduler/executor.js';

describe('scheduler runtime: delay and late', () => {
  test('delay: 0 runs at once, delay "5s" five seconds after schedule(); the job holds the absolute at', async () => {
    const { clock, scheduler, events } = await harness();
    const ran: string[] = [];
    scheduler.handle('work', (ctx) => {
      ran.push(ctx.job.id);
    });
    const now = await scheduler.schedule({ id: 'now', delay: 0, handler: 'work' });
    assert.equal(now.kind, 'once');
    assert.equal(now.at, T0);
    const later = await scheduler.schedule({ id: 'later', delay: '5s', handler: 'work' });
    assert.equal(later.at, T0 + 5000);
    await eventually(() => ran.includes('now'), 'the delay-0 job');
    assert.deepEqual(ran, ['now']);
    await clock.advanceTo(T0 + 5000);
    await eventually(() => argsOf(events, 'execution:completed').length === 2, 'the delayed job');
    assert.deepEqual(ran, ['now', 'later']);
    // A retry of the same call after its time passed is the same job, not "in the past" nor a conflict.
    const again = await scheduler.schedule({ id: 'later', delay: '5s', handler: 'work' });
    assert.equal(again.at, T0 + 5000);
    await scheduler.close();
  });

  test('delay is refused with at or cron, negative or malformed', async () => {
    const { scheduler } = await harness();
    scheduler.handle('work', () => {});
    const field = (name: string, code?: string) => (err: unknown) =>
      err instanceof ValidationError && err.field === name && (code === undefined || err.code === code);
    await assert.rejects(scheduler.schedule({ delay: 0, at: T0, handler: 'work' }), field('delay', 'CONFLICTING_FIELDS'));
    await assert.rejects(scheduler.schedule({ delay: 0, cron: '@daily', handler: 'work' }), field('delay', 'CONFLICTING_FIELDS'));
    await assert.rejects(scheduler.schedule({ delay: -1, handler: 'work' }), field('delay', 'INVALID_DURATION'));
    await assert.rejects(scheduler.schedule({ delay: 'soon', handler: 'work' }), field('delay', 'INVALID_DURATION'));
    await assert.rejects(scheduler.schedule({ delay: 0.5, handler: 'work' }), field('delay', 'INVALID_DURATION'));
    await assert.rejects(scheduler.schedule({ delay: 1e300, handler: 'work' }), field('delay'));
    // A time in the past points at delay.
    await assert.rejects(
      scheduler.schedule({ at: T0 - 1, handler: 'work' }),
      (err: unknown) => err instanceof ValidationError && err.code === 'TIME_IN_PAST' && /delay: 0/.test(err.message),
    );
    // update() moves a one-shot with at; delay there is pointed at it.
    await scheduler.schedule({ id: 'j', delay: '1h', handler: 'work' });
    await assert.rejects(
      scheduler.update('j', { delay: 0 } as never),
      (err: unknown) => err instanceof ValidationError && err.field === 'delay' && /did you mean "at"/.test(err.message),
    );
    await scheduler.close();
  });

  test('ctx.execution.late: true for a start later than missedThreshold after its time, false on time', async () => {
    const { clock, scheduler, events } = await harness({ missedThreshold: '1s' });
    const seen = new Map<string, HandlerContext['execution']>();
    scheduler.handle('work', (ctx) => {
      seen.set(ctx.job.id, ctx.execution);
    });
    await scheduler.schedule({ id: 'on-time', at: T0 + 10_000, handler: 'work' });
    await scheduler.schedule({ id: 'late', at: T0 + 10_000, handler: 'work' });
    // Paused past its time: resumed a minute later, it starts late.
    await scheduler.pause('late');
    await clock.advanceTo(T0 + 10_000);
    await eventually(() => seen.has('on-time'), 'the on-time job');
    await clock.advanceTo(T0 + 70_000);
    await scheduler.resume('late');
    await eventually(() => seen.has('late'), 'the late job');
    await eventually(() => argsOf(events, 'execution:completed').length === 2, 'both completions');
    assert.equal(seen.get('on-time')?.late, false);
    assert.equal(seen.get('late')?.late, true);
    // The handler's flag is the recorded one.
    const [recorded] = await scheduler.executions('late');
    assert.equal(recorded?.late, true);
    await scheduler.close();
  });
});
