import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryLevel } from 'memory-level';
import {
  NoLeaderError as NoLeaderRaftError,
  NodeClosedError,
  NotLeaderError,
  ProposalDroppedError,
  RaftTimeoutError,
} from '../../src/raft/index.js';
import { translateLogError } from '../../src/scheduler/command-port.js';
import { createScheduler } from '../../src/scheduler/create.js';
import { ClosedError, NoLeaderError, SchedulerError, StorageError, TimeoutError, ValidationError } from '../../src/scheduler/errors.js';
import type { LevelDatabase } from '../../src/scheduler/options.js';
import { argsOf, eventually, harness, T0, turns } from '../fixtures/scheduler-harness.js';

// With random() = 0.5 and the default jitter 0.2, every backoff delay is 90% of its nominal value.
describe('scheduler runtime: failures, retries, timeouts', () => {
  test('a failing handler is retried with backoff: same idempotency key, new execution ids', async () => {
    const { clock, scheduler, events } = await harness();
    const keys: string[] = [];
    const ids: string[] = [];
    scheduler.handle('flaky', (ctx) => {
      keys.push(ctx.idempotencyKey);
      ids.push(ctx.execution.id);
      if (ctx.execution.attempt < 3) throw new Error(`boom ${ctx.execution.attempt}`);
    });
    const at = T0 + 1000;
    await scheduler.schedule({ id: 'f', at, handler: 'flaky', maxAttempts: 3 });
    await clock.advanceTo(at);
    await eventually(() => argsOf(events, 'execution:retrying').length === 1, 'the first retry plan');
    const [failed, outcome] = argsOf(events, 'execution:failed')[0]!;
    assert.equal(failed.errorType, 'handler_error');
    assert.equal(failed.error, 'boom 1');
    assert.deepEqual(outcome, { final: false, retryAt: at + 900 });
    const status = await scheduler.status('f');
    assert.equal(status.status, 'pending');
    assert.equal(status.nextRunAt, at + 900);

    await clock.advanceTo(at + 899);
    assert.equal(ids.length, 1, 'no retry before its time');
    await clock.advanceTo(at + 900);
    await eventually(() => argsOf(events, 'execution:retrying').length === 2, 'the second retry plan');
    assert.equal(argsOf(events, 'execution:retrying')[1]?.[1], at + 900 + 1800);
    await clock.advanceTo(at + 900 + 1800);
    await eventually(() => argsOf(events, 'execution:completed').length === 1, 'the third attempt');

    assert.deepEqual(keys, [`f@${at}`, `f@${at}`, `f@${at}`]);
    assert.deepEqual(
      ids,
      [1, 2, 3].map((n) => `f@${at}#${n}`),
    );
    const history = await scheduler.executions('f');
    assert.deepEqual(
      history.map((e) => [e.attempt, e.status]),
      [
        [1, 'failed'],
        [2, 'failed'],
        [3, 'completed'],
      ],
    );
    assert.equal((await scheduler.status('f')).status, 'completed');
    assert.equal((await scheduler.status('f')).attemptCount, 3);
    await scheduler.close();
  });

  test('the last failed attempt is final: status failed', async () => {
    const { clock, scheduler, events } = await harness();
    scheduler.handle('bad', async () => {
      throw new Error('always');
    });
    await scheduler.schedule({ id: 'b', at: T0 + 10, handler: 'bad', maxAttempts: 2, backoff: { initialMs: 100 } });
    await clock.advanceTo(T0 + 10);
    await eventually(() => argsOf(events, 'execution:failed').length === 1, 'attempt 1');
    await clock.advanceTo(T0 + 10 + 90);
    await eventually(() => argsOf(events, 'execution:failed').length === 2, 'attempt 2');
    assert.deepEqual(argsOf(events, 'execution:failed')[1]?.[1], { final: true });
    assert.equal((await scheduler.status('b')).status, 'failed');
    assert.equal(argsOf(events, 'execution:retrying').length, 1);
    await scheduler.close();
  });

  test('a handler that never resolves times out: signal aborted, status timeout', async () => {
    const { clock, scheduler, events } = await harness();
    let signal: AbortSignal | undefined;
    scheduler.handle('hang', (ctx) => {
      signal = ctx.signal;
      return new Promise(() => {});
    });
    await scheduler.schedule({ id: 'h', at: T0 + 10, handler: 'hang', timeout: '1s', maxAttempts: 1 });
    await clock.advanceTo(T0 + 10);
    await eventually(() => signal !== undefined, 'the start');
    await clock.advanceTo(T0 + 10 + 999);
    assert.equal(signal?.aborted, false);
    await clock.advanceTo(T0 + 10 + 1000);
    await eventually(() => argsOf(events, 'execution:timeout').length === 1, 'the timeout');
    assert.equal(signal?.aborted, true);
    assert.equal((signal?.reason as Error).name, 'TimeoutError');
    const [execution, outcome] = argsOf(events, 'execution:timeout')[0]!;
    assert.equal(execution.errorType, 'timeout');
    assert.equal(outcome.final, true);
    assert.equal((await scheduler.status('h')).status, 'timeout');
    await scheduler.close();
  });

  test('a handler that ignores its signal holds the retry until it returns', async () => {
    const { clock, scheduler, events } = await harness();
    const releases: (() => void)[] = [];
    scheduler.handle('stubborn', (ctx) =>
      new Promise<void>((resolve) => releases.push(resolve)).then(() => {
        if (ctx.execution.attempt === 1) throw new Error('late failure');
      }),
    );
    const at = T0 + 10;
    await scheduler.schedule({ id: 's', at, handler: 'stubborn', timeout: 1000, maxAttempts: 2, backoff: { initialMs: 100 } });
    await clock.advanceTo(at);
    await eventually(() => releases.length === 1, 'attempt 1');
    await clock.advanceTo(at + 1000);
    await eventually(() => argsOf(events, 'execution:timeout').length === 1, 'the timeout');
    // The retry was due 90ms after the timeout; the handler still runs, so it must not start.
    await clock.advanceTo(at + 1000 + 10_000);
    assert.equal(releases.length, 1);
    assert.equal(argsOf(events, 'execution:started').length, 1);
    releases[0]!();
    await eventually(() => releases.length === 2, 'attempt 2 once attempt 1 returned');
    releases[1]!();
    await eventually(() => argsOf(events, 'execution:completed').length === 1, 'attempt 2 completes');
    const history = await scheduler.executions('s');
    assert.deepEqual(
      history.map((e) => e.status),
      ['timeout', 'completed'],
    );
    await scheduler.close();
  });

  test('a handler unregistered before its job is due: the job waits (no "no handler" failure) and runs once it is registered again', async () => {
    const { clock, scheduler, events } = await harness();
    scheduler.handle('gone', () => {});
    await scheduler.schedule({ id: 'g', at: T0 + 10, handler: 'gone', maxAttempts: 1 });
    scheduler.unhandle('gone');
    await turns();
    await clock.advanceTo(T0 + 1000);
    await turns();
    assert.equal(argsOf(events, 'execution:started').length, 0);
    assert.equal(argsOf(events, 'execution:failed').length, 0);
    assert.equal((await scheduler.status('g')).status, 'pending');
    let ran = 0;
    scheduler.handle('gone', () => void ran++);
    await eventually(() => argsOf(events, 'execution:completed').length === 1, 'the run once the handler is back');
    assert.equal(ran, 1);
    await scheduler.close();
  });

  test('concurrency caps handlers running at once on the node', async () => {
    const { clock, scheduler, events } = await harness({ concurrency: 2 });
    let running = 0;
    let peak = 0;
    const releases: (() => void)[] = [];
    scheduler.handle('slow', () => {
      running++;
      peak = Math.max(peak, running);
      return new Promise<void>((resolve) =>
        releases.push(() => {
          running--;
          resolve();
        }),
      );
    });
    await scheduler.scheduleMany([1, 2, 3, 4, 5].map((i) => ({ id: `c${i}`, at: T0 + 10, handler: 'slow', timeout: '1h' })));
    await clock.advanceTo(T0 + 10);
    await eventually(() => releases.length === 2, 'two running');
    assert.equal(argsOf(events, 'execution:started').length, 5, 'all five started in the log');
    await eventually(() => {
      releases.shift()?.();
      return argsOf(events, 'execution:completed').length === 5;
    }, 'all five complete');
    assert.equal(peak, 2);
    await scheduler.close();
  });
});

describe('scheduler runtime: every failure of a public call is a typed scheduler error', () => {
  test('Raft errors become scheduler errors with the Raft error as cause', () => {
    const cases: [Error, string][] = [
      [new NoLeaderRaftError(), 'NO_LEADER'],
      [new NotLeaderError('n2'), 'NO_LEADER'],
      [new ProposalDroppedError('leader-changed'), 'TIMEOUT'],
      [new ProposalDroppedError('overwritten'), 'NO_LEADER'],
      [new ProposalDroppedError('stale'), 'NO_LEADER'],
      [new ProposalDroppedError('timeout'), 'TIMEOUT'],
      [new RaftTimeoutError('read index', 10), 'TIMEOUT'],
      [new NodeClosedError(), 'CLOSED'],
      [new NodeClosedError('node stopped after a storage failure', new Error('disk full')), 'STORAGE'],
      [new Error('what was that'), 'INTERNAL'],
    ];
    for (const [raft, code] of cases) {
      const error = translateLogError(raft);
      assert.ok(error instanceof SchedulerError, raft.message);
      assert.equal(error.code, code, raft.message);
      assert.equal(error.cause, raft);
    }
    assert.ok(translateLogError(new NodeClosedError()) instanceof ClosedError);
    assert.ok(translateLogError(new ProposalDroppedError('timeout')) instanceof TimeoutError);
    assert.ok(translateLogError(new NotLeaderError(null)) instanceof NoLeaderError);
    assert.ok(translateLogError(new NodeClosedError('x', new Error('y'))) instanceof StorageError);
  });

  test('a bulk call names the item of a bad spec; code, field and message keep their shape', async () => {
    const { scheduler } = await harness();
    scheduler.handle('work', () => undefined);
    await assert.rejects(
      scheduler.scheduleMany([
        { at: T0 + 1000, handler: 'work' },
        { at: 'never', handler: 'work' },
      ]),
      (e: unknown) => {
        assert.ok(e instanceof ValidationError);
        assert.equal(e.field, '[1].at');
        assert.equal(e.message, `[1].at: ${e.detail}`);
        assert.ok(e.cause instanceof ValidationError && e.cause.field === 'at' && e.cause.detail === e.detail);
        return true;
      },
    );
  });

  test('storage that cannot be read is a StorageError with the storage error as cause, never the level error itself', async () => {
    const level = new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' });
    await level.close();
    await assert.rejects(
      createScheduler({ storage: { level: level as unknown as LevelDatabase } }),
      (e: unknown) => e instanceof StorageError && e.code === 'STORAGE' && e.cause instanceof Error && !(e.cause instanceof SchedulerError),
    );
  });
});
