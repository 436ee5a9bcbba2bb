import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { harness, T0 } from '../fixtures/scheduler-harness.js';
import { ValidationError } from '../../src/scheduler/errors.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

describe('scheduler.update: patches', () => {
  test('two concurrent updates of different fields on one node both take effect', async () => {
    const { scheduler } = await harness();
    scheduler.handle('work', () => {});
    await scheduler.schedule({ id: 'j', at: T0 + HOUR, handler: 'work', payload: { v: 0 }, maxAttempts: 1 });
    await Promise.all([scheduler.update('j', { payload: { v: 1 } }), scheduler.update('j', { maxAttempts: 4, timeout: '9s' })]);
    const job = await scheduler.get('j');
    assert.deepEqual(job?.payload, { v: 1 });
    assert.equal(job?.maxAttempts, 4);
    assert.equal(job?.timeoutMs, 9000);
    assert.equal(job?.nextRunAt, T0 + HOUR);
    await scheduler.close();
  });

  test('a payload-only update leaves a cron job on its schedule', async () => {
    const { clock, scheduler } = await harness();
    scheduler.handle('work', () => {});
    await clock.advanceTo(T0 + 1000);
    await scheduler.schedule({ id: 'c', cron: '*/5 * * * *', handler: 'work' });
    const updated = await scheduler.update('c', { payload: { v: 2 } });
    assert.equal(updated.nextRunAt, T0 + 5 * MINUTE);
    assert.deepEqual(await scheduler.skipped('c'), []);
    await scheduler.close();
  });

  test('concurrent updates whose merge the job cannot hold: the later one is refused, naming the field', async () => {
    const { scheduler } = await harness();
    scheduler.handle('work', () => {});
    await scheduler.schedule({ id: 'c', cron: '* * * * *', handler: 'work' });
    // Each is valid against the read it was checked on; together endAt would precede startAt.
    const results = await Promise.allSettled([
      scheduler.update('c', { startAt: T0 + 5 * HOUR }),
      scheduler.update('c', { endAt: T0 + 2 * HOUR }),
    ]);
    assert.equal(results[0]?.status, 'fulfilled');
    const second = results[1];
    assert.equal(second?.status, 'rejected');
    const error = second.reason as unknown;
    assert.ok(error instanceof ValidationError, String(error));
    assert.equal(error.field, 'endAt');
    const job = await scheduler.get('c');
    assert.equal(job?.startAt, T0 + 5 * HOUR);
    assert.equal(job?.endAt, undefined);
    await scheduler.close();
  });
});
