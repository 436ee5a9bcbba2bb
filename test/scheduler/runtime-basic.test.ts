import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { argsOf, eventually, harness, T0 } from '../fixtures/scheduler-harness.js';
import { createScheduler } from '../../src/scheduler/create.js';
import { CapacityError, JobConflictError, JobNotFoundError, ValidationError, ClosedError } from '../../src/scheduler/errors.js';
import type { HandlerContext } from '../../src/scheduler/executor.js';

describe('scheduler runtime: basics', () => {
  test('with no options: one node, memory storage, leader at once', async () => {
    const scheduler = await createScheduler();
    try {
      assert.equal(scheduler.nodeId, 'node-1');
      assert.equal(scheduler.isLeader, true);
      assert.equal(scheduler.leader, 'node-1');
      assert.equal(scheduler.stats().role, 'leader');
      assert.equal(await scheduler.get('nope'), undefined);
    } finally {
      await scheduler.close();
    }
  });

  test('a one-shot fires at its time, not before, with its context; status and history are readable', async () => {
    const { clock, scheduler, events } = await harness();
    const calls: HandlerContext[] = [];
    scheduler.handle('work', (ctx) => {
      calls.push(ctx);
    });
    const job = await scheduler.schedule({ id: 'once', at: new Date(T0 + 10_000), handler: 'work', payload: { n: 1 } });
    assert.equal(job.status, 'pending');
    assert.equal(job.nextRunAt, T0 + 10_000);
    assert.deepEqual(
      argsOf(events, 'job:created').map(([j]) => j.id),
      ['once'],
    );

    await clock.advanceTo(T0 + 9_999);
    assert.equal(calls.length, 0);
    await clock.advanceTo(T0 + 10_000);
    await eventually(() => argsOf(events, 'execution:completed').length === 1, 'the completion');

    assert.equal(calls.length, 1);
    const ctx = calls[0]!;
    assert.equal(ctx.job.id, 'once');
    assert.deepEqual(ctx.payload, { n: 1 });
    assert.deepEqual(ctx.execution, { id: `once@${T0 + 10_000}#1`, attempt: 1, scheduledAt: T0 + 10_000, late: false });
    assert.equal(ctx.idempotencyKey, `once@${T0 + 10_000}`);
    assert.equal(ctx.signal.aborted, false);

    const status = await scheduler.status('once');
    assert.equal(status.status, 'completed');
    assert.equal(status.attemptCount, 1);
    assert.equal(status.completedAt, T0 + 10_000);
    const [execution] = await scheduler.executions('once');
    assert.equal(execution?.status, 'completed');
    assert.equal(execution?.nodeId, 'node-1');
    assert.equal(execution?.late, false);
    assert.equal((await scheduler.get('once'))?.nextRunAt, undefined);
    assert.deepEqual(
      argsOf(events, 'execution:started').map(([e]) => e.id),
      [`once@${T0 + 10_000}#1`],
    );
    assert.deepEqual(await scheduler.list({ status: 'completed' }).then((jobs) => jobs.map((j) => j.id)), ['once']);
    assert.deepEqual(await scheduler.list({ status: 'pending' }), []);
    await scheduler.close();
  });

  test('at accepts epoch ms and ISO strings; consistent reads work', async () => {
    const { scheduler } = await harness();
    scheduler.handle('work', () => {});
    const a = await scheduler.schedule({ at: T0 + 1000, handler: 'work' });
    const b = await scheduler.schedule({ at: new Date(T0 + 2000).toISOString(), handler: 'work' });
    assert.equal(a.at, T0 + 1000);
    assert.equal(b.at, T0 + 2000);
    assert.notEqual(a.id, b.id);
    assert.equal((await scheduler.get(a.id, { consistent: true }))?.id, a.id);
    await scheduler.close();
  });

  test('cron fires per occurrence and nextRunAt advances', async () => {
    const { clock, scheduler, events } = await harness();
    const seen: number[] = [];
    scheduler.handle('tick', (ctx) => {
      seen.push(ctx.execution.scheduledAt);
    });
    await clock.advanceTo(T0 + 1000);
    const job = await scheduler.schedule({ id: 'cron', cron: '*/5 * * * *', handler: 'tick' });
    assert.equal(job.nextRunAt, T0 + 5 * 60_000);
    for (let i = 1; i <= 3; i++) {
      await clock.advanceTo(T0 + i * 5 * 60_000 - 1);
      assert.equal(seen.length, i - 1, 'not before its time');
      await clock.advanceTo(T0 + i * 5 * 60_000);
      await eventually(() => argsOf(events, 'execution:completed').length === i, `occurrence ${i}`);
      assert.equal((await scheduler.get('cron'))?.nextRunAt, T0 + (i + 1) * 5 * 60_000);
    }
    assert.deepEqual(
      seen,
      [1, 2, 3].map((i) => T0 + i * 5 * 60_000),
    );
    const after = await scheduler.get('cron');
    assert.equal(after?.nextRunAt, T0 + 4 * 5 * 60_000);
    assert.equal(after?.status, 'completed');
    assert.equal((await scheduler.executions('cron')).length, 3);
    await scheduler.close();
  });

  test('bad input is a ValidationError naming the field; nothing is half-created', async () => {
    const { scheduler } = await harness();
    scheduler.handle('work', () => {});
    await assert.rejects(
      scheduler.schedule({ at: 'not a time', handler: 'work' }),
      (e: unknown) => e instanceof ValidationError && e.field === 'at',
    );
    await assert.rejects(scheduler.schedule({ at: T0 - 1, handler: 'work' }), ValidationError);
    await assert.rejects(
      scheduler.schedule({ at: T0 + 1, handler: 'missing' }),
      (e: unknown) => e instanceof ValidationError && e.field === 'handler',
    );
    await assert.rejects(
      scheduler.scheduleMany([
        { id: 'ok-1', at: T0 + 1000, handler: 'work' },
        { id: 'bad', cron: 'every day', handler: 'work' },
      ]),
      (e: unknown) => e instanceof ValidationError && e.field === '[1].cron',
    );
    assert.equal(await scheduler.get('ok-1'), undefined);
    assert.equal(scheduler.stats().jobs.current, 0);
    await scheduler.close();
  });

  test('scheduleMany creates all at once; ids and conflicts behave', async () => {
    const { scheduler } = await harness();
    scheduler.handle('work', () => {});
    const ids = await scheduler.scheduleMany(
      Array.from({ length: 500 }, (_, i) => ({ id: `bulk-${i}`, at: T0 + 1000 + i, handler: 'work' })),
    );
    assert.equal(ids.length, 500);
    assert.equal(ids[499], 'bulk-499');
    assert.equal(scheduler.stats().jobs.current, 500);
    assert.equal(scheduler.stats().queued, 500);
    // Same id, same definition: a safe retry. Different definition: a conflict.
    const again = await scheduler.schedule({ id: 'bulk-0', at: T0 + 1000, handler: 'work' });
    assert.equal(again.id, 'bulk-0');
    await assert.rejects(scheduler.schedule({ id: 'bulk-0', at: T0 + 5000, handler: 'work' }), JobConflictError);
    await scheduler.close();
  });

  test('capacity: maxJobs and maxMemory refuse with CapacityError; counts drop after delete', async () => {
    const { scheduler } = await harness({ maxJobs: 3 });
    scheduler.handle('work', () => {});
    await scheduler.scheduleMany([1, 2, 3].map((i) => ({ id: `c${i}`, at: T0 + 1000 * i, handler: 'work' })));
    await assert.rejects(scheduler.schedule({ id: 'c4', at: T0 + 4000, handler: 'work' }), (e: unknown) => {
      assert.ok(e instanceof CapacityError);
      assert.equal(e.type, 'job_count');
      assert.equal(e.current, 3);
      assert.equal(e.limit, 3);
      assert.equal(e.code, 'MAX_JOBS_REACHED');
      return true;
    });
    await scheduler.delete('c1');
    await scheduler.schedule({ id: 'c4', at: T0 + 4000, handler: 'work' });
    await scheduler.close();

    const small = await harness({ maxMemory: 2000 });
    small.scheduler.handle('work', () => {});
    await assert.rejects(
      small.scheduler.scheduleMany(Array.from({ length: 50 }, (_, i) => ({ at: T0 + 1000 + i, handler: 'work', payload: { i } }))),
      (e: unknown) => e instanceof CapacityError && e.type === 'memory' && e.limit === 2000 && e.requested > 0,
    );
    assert.equal(small.scheduler.stats().jobs.current, 0);
    await small.scheduler.close();
  });

  test('unknown ids: get → undefined, the rest throw JobNotFoundError', async () => {
    const { scheduler } = await harness();
    assert.equal(await scheduler.get('ghost'), undefined);
    await assert.rejects(scheduler.status('ghost'), JobNotFoundError);
    await assert.rejects(scheduler.executions('ghost'), JobNotFoundError);
    await assert.rejects(scheduler.skipped('ghost'), JobNotFoundError);
    await assert.rejects(scheduler.cancel('ghost'), JobNotFoundError);
    await assert.rejects(scheduler.delete('ghost'), JobNotFoundError);
    await assert.rejects(scheduler.pause('ghost'), JobNotFoundError);
    await assert.rejects(scheduler.resume('ghost'), JobNotFoundError);
    await assert.rejects(scheduler.trigger('ghost'), JobNotFoundError);
    await assert.rejects(scheduler.update('ghost', { payload: 1 }), JobNotFoundError);
    await scheduler.close();
    await assert.rejects(scheduler.schedule({ at: T0 + 1, handler: 'x' }), ClosedError);
  });

  test('a listener that throws becomes an error event; the scheduler carries on', async () => {
    const { clock, scheduler, events } = await harness();
    scheduler.handle('work', () => {});
    scheduler.on('job:created', () => {
      throw new Error('listener bug');
    });
    await scheduler.schedule({ id: 'x', at: T0 + 100, handler: 'work' });
    assert.deepEqual(
      argsOf(events, 'error').map(([e]) => e.message),
      ['listener bug'],
    );
    await clock.advanceTo(T0 + 100);
    await eventually(() => argsOf(events, 'execution:completed').length === 1, 'the run');
    await scheduler.close();
  });

  test('on/once/off', async () => {
    const { scheduler } = await harness();
    scheduler.handle('work', () => {});
    const seen: string[] = [];
    const a = (job: { id: string }): void => void seen.push(`a:${job.id}`);
    const b = (job: { id: string }): void => void seen.push(`b:${job.id}`);
    scheduler.on('job:created', a).once('job:created', b);
    await scheduler.schedule({ id: 'j1', at: T0 + 100, handler: 'work' });
    scheduler.off('job:created', a);
    await scheduler.schedule({ id: 'j2', at: T0 + 100, handler: 'work' });
    assert.deepEqual(seen, ['a:j1', 'b:j1']);
    assert.equal(scheduler.listenerCount('job:created'), 1, 'only the harness recorder is left');
    await scheduler.close();
  });

  test('stats and health report counts, limits and role', async () => {
    const { clock, scheduler, events } = await harness({ maxJobs: 10, maxMemory: 1_000_000 });
    scheduler.handle('ok', () => {});
    scheduler.handle('bad', () => {
      throw new Error('no');
    });
    await scheduler.scheduleMany([
      { id: 'a', at: T0 + 10, handler: 'ok' },
      { id: 'b', at: T0 + 10, handler: 'bad', maxAttempts: 1 },
      { id: 'c', at: T0 + 60_000, handler: 'ok' },
    ]);
    await clock.advanceTo(T0 + 10);
    await eventually(
      () => events.filter((e) => e.name === 'execution:completed' || e.name === 'execution:failed').length === 2,
      'both runs',
    );
    const stats = scheduler.stats();
    assert.equal(stats.nodeId, 'node-1');
    assert.equal(stats.role, 'leader');
    assert.equal(stats.isLeader, true);
    assert.equal(stats.leader, 'node-1');
    assert.deepEqual([stats.jobs.current, stats.jobs.limit, stats.jobs.available], [3, 10, 7]);
    assert.deepEqual([stats.jobs.byStatus.completed, stats.jobs.byStatus.failed, stats.jobs.byStatus.pending], [1, 1, 1]);
    assert.equal(stats.memory.limitBytes, 1_000_000);
    assert.ok(stats.memory.currentBytes > 0 && stats.memory.availableBytes === 1_000_000 - stats.memory.currentBytes);
    assert.equal(stats.executions.completed, 1);
    assert.equal(stats.executions.failed, 1);
    assert.equal(stats.executions.failureRate, 0.5);
    assert.equal(stats.executions.lastExecutedAt, T0 + 10);
    assert.equal(stats.queued, 1);
    // Two finished attempts are too few to judge the failure rate.
    assert.equal(scheduler.health().status, 'ok');
    await scheduler.close();
  });

  test('historyLimit holds at every moment: each start trims the oldest finished attempts', async () => {
    const { clock, scheduler, events } = await harness({ historyLimit: 2, pruneInterval: '10m', historyRetention: '1h' });
    scheduler.handle('tick', () => {});
    await clock.advanceTo(T0 + 1000);
    await scheduler.schedule({ id: 'often', cron: '* * * * *', endAt: T0 + 9 * 60_000 + 30_000, handler: 'tick' });
    for (let m = 1; m <= 5; m++) {
      await clock.advanceTo(T0 + m * 60_000);
      await eventually(() => argsOf(events, 'execution:completed').length === m, `run ${m}`);
      assert.ok((await scheduler.executions('often')).length <= 2, `at most two after run ${m}`);
    }
    assert.deepEqual(
      (await scheduler.executions('often')).map((e) => e.scheduledAt),
      [T0 + 4 * 60_000, T0 + 5 * 60_000],
      'the newest two are kept, without waiting for a prune',
    );
    await clock.advanceTo(T0 + 9 * 60_000);
    await eventually(() => argsOf(events, 'execution:completed').length === 9, 'nine runs');
    // The prune after the first one (at activation) falls at +10 min; it keeps the same two.
    await clock.advanceTo(T0 + 10 * 60_000);
    assert.deepEqual(
      (await scheduler.executions('often')).map((e) => e.scheduledAt),
      [T0 + 8 * 60_000, T0 + 9 * 60_000],
      'the newest two are kept',
    );
    await scheduler.close();
  });

  test('Symbol.asyncDispose closes', async () => {
    const { scheduler } = await harness();
    await scheduler[Symbol.asyncDispose]();
    await assert.rejects(scheduler.schedule({ at: T0 + 1, handler: 'x' }), ClosedError);
  });
});
