import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { argsOf, eventually, harness, T0, turns } from '../fixtures/scheduler-harness.js';
import { InvalidStateError } from '../../src/scheduler/errors.js';

const MINUTE = 60_000;

describe('scheduler runtime: cancel, delete, pause, resume, trigger, update', () => {
  test('cancel aborts a running handler and stops future occurrences', async () => {
    const { clock, scheduler, events } = await harness();
    let signal: AbortSignal | undefined;
    let runs = 0;
    scheduler.handle('long', (ctx) => {
      runs++;
      signal = ctx.signal;
      return new Promise<void>((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error)));
    });
    await clock.advanceTo(T0 + 1000);
    await scheduler.schedule({ id: 'c', cron: '* * * * *', handler: 'long', timeout: '1h' });
    await clock.advanceTo(T0 + MINUTE);
    await eventually(() => signal !== undefined, 'the first run');
    const job = await scheduler.cancel('c', 'no longer needed');
    assert.equal(job.status, 'cancelled');
    assert.equal(job.cancellationReason, 'no longer needed');
    assert.equal(job.nextRunAt, undefined);
    await eventually(() => signal?.aborted === true, 'the abort');
    assert.equal((signal?.reason as Error).name, 'AbortError');
    assert.equal(argsOf(events, 'job:cancelled').length, 1);
    assert.equal(argsOf(events, 'execution:cancelled').length, 1);
    await clock.advanceTo(T0 + 10 * MINUTE);
    assert.equal(runs, 1, 'no further occurrence');
    const [execution] = await scheduler.executions('c');
    assert.equal(execution?.status, 'cancelled');
    await assert.rejects(scheduler.cancel('c'), (e: unknown) => e instanceof InvalidStateError && /already cancelled/i.test(e.message));
    await scheduler.close();
  });

  test('a finished one-shot cannot be cancelled; delete removes job and history', async () => {
    const { clock, scheduler, events } = await harness();
    scheduler.handle('work', () => {});
    await scheduler.schedule({ id: 'o', at: T0 + 10, handler: 'work' });
    await clock.advanceTo(T0 + 10);
    await eventually(() => argsOf(events, 'execution:completed').length === 1, 'the run');
    await assert.rejects(scheduler.cancel('o'), (e: unknown) => e instanceof InvalidStateError && /completed/.test(e.message));
    await scheduler.delete('o');
    assert.equal(await scheduler.get('o'), undefined);
    assert.deepEqual(argsOf(events, 'job:deleted'), [[{ jobId: 'o', reason: 'deleted' }]]);
    await scheduler.close();
  });

  test('pause stops occurrences; resume picks the schedule up from now', async () => {
    const { clock, scheduler, events } = await harness();
    const seen: number[] = [];
    scheduler.handle('tick', (ctx) => void seen.push(ctx.execution.scheduledAt));
    await clock.advanceTo(T0 + 1000);
    await scheduler.schedule({ id: 'p', cron: '* * * * *', handler: 'tick' });
    await clock.advanceTo(T0 + MINUTE);
    await eventually(() => seen.length === 1, 'first occurrence');
    const paused = await scheduler.pause('p');
    assert.equal(paused.paused, true);
    await clock.advanceTo(T0 + 5 * MINUTE + 30_000);
    assert.equal(seen.length, 1, 'nothing while paused');
    const resumed = await scheduler.resume('p');
    assert.equal(resumed.paused, false);
    assert.equal(resumed.nextRunAt, T0 + 6 * MINUTE, 'occurrences during the pause are not run');
    assert.deepEqual(
      argsOf(events, 'job:paused').map(([j]) => j.id),
      ['p'],
    );
    assert.deepEqual(
      argsOf(events, 'job:resumed').map(([j]) => j.id),
      ['p'],
    );
    await clock.advanceTo(T0 + 6 * MINUTE);
    await eventually(() => seen.length === 2, 'the next occurrence');
    assert.deepEqual(seen, [T0 + MINUTE, T0 + 6 * MINUTE]);
    await assert.rejects(scheduler.resume('p'), InvalidStateError);
    await scheduler.close();
  });

  test('a paused one-shot whose time passed runs late on resume', async () => {
    const { clock, scheduler, events } = await harness();
    scheduler.handle('work', () => {});
    await scheduler.schedule({ id: 'po', at: T0 + MINUTE, handler: 'work' });
    await scheduler.pause('po');
    await clock.advanceTo(T0 + 3 * MINUTE);
    assert.equal(argsOf(events, 'execution:started').length, 0);
    await scheduler.resume('po');
    await eventually(() => argsOf(events, 'execution:completed').length === 1, 'the late run');
    assert.equal(argsOf(events, 'execution:started')[0]?.[0].late, true);
    await scheduler.close();
  });

  test('trigger runs one occurrence now without moving the schedule', async () => {
    const { clock, scheduler, events } = await harness();
    const seen: string[] = [];
    scheduler.handle('work', (ctx) => void seen.push(ctx.execution.id));
    await scheduler.schedule({ id: 't', at: T0 + 60 * MINUTE, handler: 'work' });
    await clock.advanceTo(T0 + 5000);
    const execution = await scheduler.trigger('t');
    assert.ok(execution);
    assert.equal(execution.scheduledAt, T0 + 5000);
    assert.equal(execution.nodeId, 'node-1');
    await eventually(() => argsOf(events, 'execution:completed').length === 1, 'the manual run');
    assert.deepEqual(seen, [execution.id]);
    assert.equal((await scheduler.get('t'))?.nextRunAt, T0 + 60 * MINUTE, 'schedule unchanged');
    await clock.advanceTo(T0 + 60 * MINUTE);
    await eventually(() => seen.length === 2, 'the scheduled run');
    await scheduler.close();
  });

  test('trigger obeys the overlap policy skip', async () => {
    const { clock, scheduler } = await harness();
    const releases: (() => void)[] = [];
    scheduler.handle('slow', () => new Promise<void>((resolve) => releases.push(resolve)));
    await clock.advanceTo(T0 + 1000);
    await scheduler.schedule({ id: 'ov', cron: '0 * * * *', handler: 'slow', overlap: 'skip', timeout: '1h' });
    await scheduler.trigger('ov');
    await clock.advance(1);
    await eventually(() => releases.length === 1, 'the first manual run');
    assert.equal(await scheduler.trigger('ov'), undefined, 'skipped: the previous one still runs');
    await turns();
    assert.equal(releases.length, 1);
    releases[0]!();
    await clock.advance(0);
    await scheduler.close();
  });

  test('trigger of a skip job waiting for a retry resolves undefined: the retry never runs beside a manual run', async () => {
    const { clock, scheduler, events } = await harness();
    const calls: string[] = [];
    scheduler.handle('flaky', (ctx) => {
      calls.push(ctx.execution.id);
      if (calls.length === 1) throw new Error('first call fails');
    });
    await clock.advanceTo(T0 + 1000);
    await scheduler.schedule({
      id: 'retrying',
      cron: '0 * * * *',
      handler: 'flaky',
      overlap: 'skip',
      backoff: { initialMs: 30_000, factor: 1, maxMs: 30_000, jitter: 0 },
    });
    await clock.advanceTo(T0 + 60 * MINUTE);
    await eventually(() => argsOf(events, 'execution:failed').length === 1, 'the failed first attempt');
    assert.equal((await scheduler.get('retrying'))?.status, 'pending', 'between attempts');
    assert.equal(await scheduler.trigger('retrying'), undefined, 'the occurrence is still active');
    await clock.advance(30_000);
    await eventually(() => calls.length === 2, 'the retry');
    assert.deepEqual(calls, [`retrying@${T0 + 60 * MINUTE}#1`, `retrying@${T0 + 60 * MINUTE}#2`]);
    await scheduler.close();
  });

  test('two triggers in the same millisecond both run under allow, with distinct ids', async () => {
    const { clock, scheduler } = await harness();
    const seen: string[] = [];
    scheduler.handle('work', (ctx) => void seen.push(ctx.execution.id));
    await scheduler.schedule({ id: 'twice', cron: '0 0 2 1 *', handler: 'work', overlap: 'allow' });
    await clock.advanceTo(T0 + 5000);
    const [a, b] = await Promise.all([scheduler.trigger('twice'), scheduler.trigger('twice')]);
    assert.deepEqual([a?.id, b?.id].sort(), [`twice@${T0 + 5000}#1`, `twice@${T0 + 5001}#1`]);
    await eventually(() => seen.length === 2, 'both runs');
    await scheduler.close();
  });

  test('update changes the schedule and payload in place', async () => {
    const { clock, scheduler, events } = await harness();
    const payloads: unknown[] = [];
    scheduler.handle('work', (ctx) => void payloads.push(ctx.payload));
    await scheduler.schedule({ id: 'u', at: T0 + 10 * MINUTE, handler: 'work', payload: { v: 1 } });
    const updated = await scheduler.update('u', { at: T0 + 2 * MINUTE, payload: { v: 2 } });
    assert.equal(updated.at, T0 + 2 * MINUTE);
    assert.equal(updated.nextRunAt, T0 + 2 * MINUTE);
    assert.deepEqual(
      argsOf(events, 'job:updated').map(([j]) => j.id),
      ['u'],
    );
    await clock.advanceTo(T0 + 2 * MINUTE);
    await eventually(() => payloads.length === 1, 'the run at the new time');
    assert.deepEqual(payloads, [{ v: 2 }]);
    await clock.advanceTo(T0 + 20 * MINUTE);
    assert.equal(payloads.length, 1, 'not again at the old time');
    await scheduler.close();
  });
});
