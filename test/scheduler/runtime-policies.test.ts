import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryLevel } from 'memory-level';
import { argsOf, eventually, harness, T0, turns } from '../fixtures/scheduler-harness.js';
import { ManualClock } from '../../src/util/manual-clock.js';
import type { OverlapPolicy, CatchUpPolicy } from '../../src/scheduler/model.js';

const MINUTE = 60_000;

async function overlapRun(overlap: OverlapPolicy) {
  const { clock, scheduler, events } = await harness();
  const started: number[] = [];
  const releases: (() => void)[] = [];
  scheduler.handle('slow', (ctx) => {
    started.push(ctx.execution.scheduledAt);
    return new Promise<void>((resolve) => releases.push(resolve));
  });
  await clock.advanceTo(T0 + 1000);
  await scheduler.schedule({ id: 'ov', cron: '* * * * *', handler: 'slow', overlap, timeout: '1h' });
  for (let m = 1; m <= 3; m++) {
    await clock.advanceTo(T0 + m * MINUTE);
    await eventually(
      () => argsOf(events, 'execution:started').length + argsOf(events, 'occurrence:skipped').length >= m || overlap === 'queue-one',
      `minute ${m}`,
    );
  }
  return { clock, scheduler, events, started, releases };
}

describe('scheduler runtime: overlap and catch-up policies', () => {
  test('overlap skip: occurrences due while one runs are skipped and recorded', async () => {
    const { scheduler, events, started, releases } = await overlapRun('skip');
    assert.deepEqual(started, [T0 + MINUTE]);
    assert.deepEqual(
      argsOf(events, 'occurrence:skipped').map(([o]) => [o.scheduledAt, o.reason]),
      [
        [T0 + 2 * MINUTE, 'overlap'],
        [T0 + 3 * MINUTE, 'overlap'],
      ],
    );
    assert.equal((await scheduler.skipped('ov')).length, 2);
    assert.equal((await scheduler.get('ov'))?.skippedCount, 2);
    releases.forEach((r) => r());
    await scheduler.close();
  });

  test('overlap allow: occurrences run side by side', async () => {
    const { scheduler, started, releases } = await overlapRun('allow');
    await eventually(() => started.length === 3, 'three runs');
    assert.deepEqual(
      started,
      [1, 2, 3].map((m) => T0 + m * MINUTE),
    );
    releases.forEach((r) => r());
    await scheduler.close();
  });

  test('overlap queue-one: one occurrence waits and starts when the running one ends', async () => {
    const { clock, scheduler, events, started, releases } = await overlapRun('queue-one');
    await eventually(() => started.length === 1, 'first run');
    assert.deepEqual(started, [T0 + MINUTE]);
    releases[0]!();
    await clock.advance(0);
    await eventually(() => started.length === 2, 'the queued occurrence');
    assert.ok(started[1]! >= T0 + 2 * MINUTE, 'the queued one is a later occurrence');
    assert.ok(argsOf(events, 'occurrence:skipped').length >= 1, 'the surplus one is skipped');
    releases.slice(1).forEach((r) => r());
    await scheduler.close();
  });

  async function downtime(catchUp: CatchUpPolicy, extra: { catchUpWindow?: string } = {}) {
    const db = new MemoryLevel<string, string>();
    const first = await harness({ storage: { level: db } });
    first.scheduler.handle('tick', () => {});
    await first.clock.advanceTo(T0 + 1000);
    await first.scheduler.schedule({ id: 'cu', cron: '* * * * *', handler: 'tick', catchUp, ...extra });
    await first.scheduler.close();
    // Down for ten minutes: occurrences at minutes 1..10 fall due with nobody to fire them.
    const clock = new ManualClock(T0 + 10 * MINUTE + 30_000);
    const second = await harness({ storage: { level: db }, clock });
    const started: { at: number; late: boolean }[] = [];
    second.scheduler.handle('tick', () => {});
    second.scheduler.on('execution:started', (e) => void started.push({ at: e.scheduledAt, late: e.late }));
    await clock.advance(0);
    await turns();
    return { ...second, started, db };
  }

  test('catch-up fire-once: one late run stands for the missed occurrences', async () => {
    const { clock, scheduler, events, started, db } = await downtime('fire-once');
    await eventually(() => started.length === 1, 'the catch-up run');
    // The oldest missed occurrence runs; the nine after it are counted as missed.
    assert.equal(started[0]?.at, T0 + MINUTE);
    assert.equal(started[0]?.late, true);
    const job = await scheduler.get('cu');
    assert.equal(job?.missedCount, 9);
    assert.equal(
      argsOf(events, 'occurrence:missed').reduce((n, [o]) => n + o.count, 0),
      9,
    );
    await clock.advanceTo(T0 + 11 * MINUTE);
    await eventually(() => started.length === 2, 'the next regular occurrence');
    assert.deepEqual(started[1], { at: T0 + 11 * MINUTE, late: false });
    await scheduler.close();
    await db.close();
  });

  test('catch-up fire-all: every missed occurrence inside the window runs', async () => {
    const { scheduler, started, db } = await downtime('fire-all', { catchUpWindow: '5m' });
    await eventually(() => started.length >= 5, 'the catch-up runs');
    await turns();
    const ats = started.map((s) => s.at);
    assert.ok(
      ats.every((at) => at >= T0 + 5 * MINUTE + 30_000 && at <= T0 + 10 * MINUTE),
      `within the window: ${ats.map((a) => (a - T0) / MINUTE).join(',')}`,
    );
    assert.equal(ats.at(-1), T0 + 10 * MINUTE);
    assert.deepEqual(
      ats,
      [...ats].sort((a, b) => a - b),
    );
    assert.ok(started.every((s) => s.late));
    await scheduler.close();
    await db.close();
  });

  test('catch-up skip: missed occurrences are skipped, the schedule goes on', async () => {
    const { clock, scheduler, events, started, db } = await downtime('skip');
    await turns();
    assert.deepEqual(started, []);
    assert.ok(argsOf(events, 'occurrence:skipped').every(([o]) => o.reason === 'catch-up'));
    assert.ok(argsOf(events, 'occurrence:skipped').length >= 1);
    await clock.advanceTo(T0 + 11 * MINUTE);
    await eventually(() => started.length === 1, 'the next occurrence');
    assert.deepEqual(started[0], { at: T0 + 11 * MINUTE, late: false });
    await scheduler.close();
    await db.close();
  });
});
