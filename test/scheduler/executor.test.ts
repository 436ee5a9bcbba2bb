import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/util/manual-clock.js';
import { CommandBatcher } from '../../src/scheduler/command-batcher.js';
import { appliedResult } from '../fixtures/applied-result.js';
import { Executor, type Handler } from '../../src/scheduler/executor.js';
import type { Command, FinishExecutionCommand } from '../../src/scheduler/state/commands.js';
import type { Execution, Job } from '../../src/scheduler/model.js';
import type { WebhookRequest, WebhookResult } from '../../src/scheduler/webhook.js';

function job(over: Partial<Job> = {}): Job {
  return {
    id: 'j1',
    kind: 'once',
    at: 0,
    handler: 'work',
    maxAttempts: 3,
    backoff: { initialMs: 1000, factor: 2, maxMs: 300000, jitter: 0.2 },
    timeoutMs: 1000,
    overlap: 'skip',
    catchUp: 'fire-once',
    catchUpWindowMs: 3600000,
    createdAt: 0,
    updatedAt: 0,
    status: 'in_progress',
    paused: false,
    attemptCount: 1,
    skippedCount: 0,
    missedCount: 0,
    ...over,
  };
}

/** A job with a webhook target and no handler. */
function webhookJob(over: Partial<Job>): Job {
  const { handler: _handler, ...rest } = job(over);
  return rest;
}

function execution(attempt = 1, jobId = 'j1'): Execution {
  return {
    id: `${jobId}@0#${attempt}`,
    jobId,
    scheduledAt: 0,
    attempt,
    idempotencyKey: `${jobId}@0`,
    nodeId: 'n1',
    startedAt: 0,
    status: 'in_progress',
    late: false,
  };
}

function setup(
  opts: {
    handlers?: Record<string, Handler>;
    concurrency?: number;
    deliver?: (r: WebhookRequest) => Promise<WebhookResult>;
    failProposals?: number;
    abandonAfterMs?: number;
  } = {},
) {
  const clock = new ManualClock(0);
  const applied: Command[] = [];
  let failures = opts.failProposals ?? 0;
  const pipe = new CommandBatcher(
    async (command) => {
      if (failures > 0) {
        failures--;
        throw new Error('no leader');
      }
      if (command.type === 'batch') applied.push(...command.commands);
      else applied.push(command);
      return appliedResult(command);
    },
    clock,
    () => {},
  );
  const errors: Error[] = [];
  const executor = new Executor({
    nodeId: 'n1',
    clock,
    random: () => 0.5,
    handlers: new Map(Object.entries(opts.handlers ?? {})),
    batcher: pipe,
    concurrency: opts.concurrency ?? Infinity,
    webhookSecret: undefined,
    webhookAllowPrivate: true,
    webhookTimeoutMs: undefined,
    abandonAfterMs: opts.abandonAfterMs ?? 600_000,
    onError: (e) => errors.push(e),
    ...(opts.deliver && { deliver: opts.deliver }),
  });
  return { clock, applied, pipe, executor, errors };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function finishes(applied: Command[]): FinishExecutionCommand[] {
  return applied.filter((c): c is FinishExecutionCommand => c.type === 'finishExecution');
}

describe('Executor', () => {
  test('a resolving handler completes the attempt with its context', async () => {
    let seen: unknown;
    const { executor, applied, clock, pipe } = setup({
      handlers: {
        work: async (ctx) => {
          seen = ctx;
        },
      },
    });
    executor.start(execution(), job({ payload: { a: 1 } }));
    await pipe.whenIdle();
    await clock.advance(0);
    const [finish] = finishes(applied);
    assert.equal(finish?.status, 'completed');
    assert.equal(finish?.settled, true);
    assert.equal(finish?.executionId, 'j1@0#1');
    assert.equal(finish?.random, 0.5);
    const ctx = seen as { idempotencyKey: string; payload: unknown; execution: unknown; signal: AbortSignal };
    assert.equal(ctx.idempotencyKey, 'j1@0');
    assert.deepEqual(ctx.payload, { a: 1 });
    assert.deepEqual(ctx.execution, { id: 'j1@0#1', attempt: 1, scheduledAt: 0, late: false });
    assert.equal(ctx.signal.aborted, false);
    assert.equal(executor.size, 0);
  });

  test("a throwing handler fails with handler_error; a missing handler is an interruption (not the job's failure)", async () => {
    const { executor, applied, pipe } = setup({
      handlers: {
        boom: () => {
          throw new Error('kaput');
        },
      },
    });
    executor.start(execution(1, 'a'), job({ id: 'a', handler: 'boom' }));
    executor.start(execution(1, 'b'), job({ id: 'b', handler: 'nope' }));
    await new Promise((r) => setImmediate(r));
    await pipe.whenIdle();
    const [a, b] = finishes(applied);
    assert.equal(a?.status, 'failed');
    assert.equal(a?.errorType, 'handler_error');
    assert.equal(a?.error, 'kaput');
    assert.equal(b?.status, 'cancelled');
    assert.equal(b?.interrupted, true);
    assert.match(b?.error ?? '', /no handler "nope" registered on node n1/);
  });

  test('timeout aborts the signal, reports timeout unsettled at once, settles when the handler returns', async () => {
    let release!: () => void;
    let signal!: AbortSignal;
    const { executor, applied, clock, pipe } = setup({
      handlers: {
        work: (ctx) => {
          signal = ctx.signal;
          return new Promise<void>((r) => (release = r));
        },
      },
    });
    executor.start(execution(), job({ timeoutMs: 500 }));
    await clock.advance(499);
    assert.equal(finishes(applied).length, 0);
    await clock.advance(1);
    await pipe.whenIdle();
    assert.equal(signal.aborted, true);
    assert.equal((signal.reason as DOMException).name, 'TimeoutError');
    const [finish] = finishes(applied);
    assert.equal(finish?.status, 'timeout');
    assert.equal(finish?.settled, false);
    assert.equal(executor.isRunning('j1@0#1'), true, 'still running until the handler lets go');
    release();
    await clock.advance(0);
    await pipe.whenIdle();
    // The let-go is the timeout finish again, settled: it counts whichever lands first.
    const [first, second] = finishes(applied);
    assert.deepEqual([first?.settled, second?.settled], [false, true]);
    assert.equal(second?.status, 'timeout');
    assert.equal(executor.isRunning('j1@0#1'), false);
  });

  test('a handler ignoring its signal is abandoned an in-progress timeout after its timeout: settled, with an error event', async () => {
    const { executor, applied, clock, pipe, errors } = setup({
      abandonAfterMs: 10_000,
      handlers: { work: () => new Promise<void>(() => {}) },
    });
    executor.start(execution(), job({ timeoutMs: 500 }));
    await clock.advance(500);
    await clock.advance(9_999);
    await pipe.whenIdle();
    assert.equal(finishes(applied).length, 1);
    await clock.advance(1);
    await pipe.whenIdle();
    assert.deepEqual(
      finishes(applied).map((f) => f.settled),
      [false, true],
    );
    assert.match(errors[0]?.message ?? '', /j1@0#1 ignored its abort signal/);
    assert.equal(executor.isRunning('j1@0#1'), false);
  });

  test('lost contact: running attempts are aborted and reported interrupted; nothing starts until contact is back', async () => {
    const signals: AbortSignal[] = [];
    let calls = 0;
    const { executor, applied, clock, pipe } = setup({
      concurrency: 1,
      handlers: {
        work: (ctx) => {
          calls++;
          signals.push(ctx.signal);
          return new Promise<void>((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('stop'))));
        },
      },
    });
    executor.start(execution(1, 'a'), job({ id: 'a', timeoutMs: 1e9 }));
    executor.start(execution(1, 'b'), job({ id: 'b', timeoutMs: 1e9 }));
    await clock.advance(0);
    assert.equal(calls, 1);
    executor.loseContact();
    assert.equal((signals[0]?.reason as DOMException).message, 'lost contact');
    await clock.advance(0);
    await pipe.whenIdle();
    const [a] = finishes(applied);
    assert.equal(a?.interrupted, true);
    assert.match(a?.error ?? '', /lost contact/);
    assert.equal(calls, 1, 'the queued attempt does not start while out of contact');
    executor.regainContact();
    await clock.advance(0);
    assert.equal(calls, 2);
  });

  test('abort (job cancelled) aborts the signal and reports nothing', async () => {
    let signal!: AbortSignal;
    const { executor, applied, clock } = setup({
      handlers: {
        work: (ctx) => {
          signal = ctx.signal;
          return new Promise<void>((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error)));
        },
      },
    });
    executor.start(execution(), job());
    await turn();
    executor.abort('j1@0#1', 'cancelled');
    await clock.advance(5000);
    assert.equal(signal.aborted, true);
    assert.equal((signal.reason as DOMException).name, 'AbortError');
    assert.deepEqual(applied, []);
    assert.equal(executor.size, 0);
  });

  test('an attempt ended in the log before its turn never reaches the handler', async () => {
    let calls = 0;
    const { executor, applied, clock } = setup({ handlers: { work: () => void calls++ } });
    executor.start(execution(1, 'a'), job({ id: 'a' }));
    executor.start(execution(1, 'b'), job({ id: 'b' }));
    executor.abort('a@0#1', 'finished');
    executor.abort('b@0#1', 'cancelled');
    await clock.advance(0);
    assert.equal(calls, 0);
    assert.deepEqual(applied, []);
    assert.equal(executor.size, 0);
  });

  test('concurrency limits running handlers; the rest wait their turn', async () => {
    const releases: (() => void)[] = [];
    let running = 0;
    let peak = 0;
    const { executor, applied, clock, pipe } = setup({
      concurrency: 2,
      handlers: {
        work: () => {
          running++;
          peak = Math.max(peak, running);
          return new Promise<void>((r) =>
            releases.push(() => {
              running--;
              r();
            }),
          );
        },
      },
    });
    for (let i = 0; i < 5; i++) executor.start(execution(1, `j${i}`), job({ id: `j${i}`, timeoutMs: 1e9 }));
    await turn();
    assert.equal(releases.length, 2);
    while (releases.length > 0) {
      releases.shift()!();
      await clock.advance(0);
    }
    await pipe.whenIdle();
    assert.equal(peak, 2);
    assert.equal(finishes(applied).filter((f) => f.status === 'completed').length, 5);
  });

  test('finish proposals are retried until applied', async () => {
    const { executor, applied, clock, pipe } = setup({ failProposals: 3, handlers: { work: () => undefined } });
    executor.start(execution(), job());
    await clock.advance(0);
    assert.equal(applied.length, 0);
    let idle = false;
    void pipe.whenIdle().then(() => (idle = true));
    await clock.advance(0);
    assert.equal(idle, false, 'still retrying');
    await clock.advance(10_000);
    await pipe.whenIdle();
    assert.equal(finishes(applied).length, 1);
  });

  test('webhook results map to statuses', async () => {
    const results: WebhookResult[] = [
      { ok: true, httpStatus: 204, responseTimeMs: 3 },
      { ok: false, httpStatus: 500, responseTimeMs: 4, errorType: 'http_error', error: 'HTTP 500' },
      { ok: false, responseTimeMs: 1000, errorType: 'timeout', error: 'timed out' },
    ];
    const requests: WebhookRequest[] = [];
    const { executor, applied, clock, pipe } = setup({
      deliver: async (r) => {
        requests.push(r);
        return results.shift()!;
      },
    });
    for (let i = 0; i < 3; i++) executor.start(execution(1, `w${i}`), webhookJob({ id: `w${i}`, webhook: 'http://x/', payload: 7 }));
    await clock.advance(0);
    await pipe.whenIdle();
    assert.deepEqual(
      finishes(applied).map((f) => [f.status, f.errorType, f.httpStatus]),
      [
        ['completed', undefined, 204],
        ['failed', 'http_error', 500],
        ['timeout', 'timeout', undefined],
      ],
    );
    assert.equal(requests[0]?.idempotencyKey, 'w0@0');
    assert.equal(requests[0]?.payload, 7);
    assert.equal(requests[0]?.jobType, 'unico');
  });

  test('drain waits for handlers, then aborts those that outlive the grace period', async () => {
    const { executor, applied, clock, pipe } = setup({
      handlers: {
        quick: () => new Promise<void>((r) => clock.setTimeout(r, 100)),
        slow: (ctx) => new Promise<void>((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted')))),
      },
    });
    executor.start(execution(1, 'q'), job({ id: 'q', handler: 'quick', timeoutMs: 1e9 }));
    executor.start(execution(1, 's'), job({ id: 's', handler: 'slow', timeoutMs: 1e9 }));
    await turn();
    let drained = false;
    const drain = executor.drain(1000).then(() => (drained = true));
    await clock.advance(999);
    assert.equal(drained, false);
    await clock.advance(1);
    await drain;
    await pipe.whenIdle();
    const byId = new Map(finishes(applied).map((f) => [f.executionId, f]));
    assert.equal(byId.get('q@0#1')?.status, 'completed');
    assert.equal(byId.get('s@0#1')?.status, 'cancelled');
    assert.equal(byId.get('s@0#1')?.errorType, 'cancelled');
    assert.equal(byId.get('s@0#1')?.interrupted, true);
    executor.start(execution(2, 'q'), job({ id: 'q' }));
    assert.equal(executor.size, 0, 'no new attempt once draining');
  });
});

describe('Executor at volume', () => {
  test('100k synchronous handlers started at once do not grow the stack', async () => {
    let calls = 0;
    const { executor, applied, pipe, clock } = setup({ handlers: { work: () => void calls++ } });
    for (let i = 0; i < 100_000; i++) executor.start(execution(1, `v${i}`), job({ id: `v${i}` }));
    await clock.advance(0);
    await pipe.whenIdle();
    assert.equal(calls, 100_000);
    assert.equal(finishes(applied).length, 100_000);
    assert.equal(executor.size, 0);
  });
});
