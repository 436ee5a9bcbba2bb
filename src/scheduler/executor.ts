/**
 * The executor runs, on every node, the attempts the log assigned to that node: it is driven by
 * applied `executionStarted` effects only, so a handler never runs for a start that is not
 * committed. It calls the registered handler (or POSTs the webhook), enforces the job's timeout
 * with the injected clock, and reports the outcome through the {@link CommandBatcher}, which
 * batches finish commands and retries them until they are applied.
 */
import type { CompleteClock, TimerHandle } from '../util/clock.js';
import type { Mutable } from '../util/types.js';
import type { Execution, ExecutionErrorType, Job, JsonValue } from './model.js';
import type { CommandBatcher } from './command-batcher.js';
import type { FinishExecutionCommand, SettleExecutionCommand } from './state/commands.js';
import { deliverWebhook as defaultDeliver, webhookJobType, type WebhookRequest, type WebhookResult } from './webhook.js';

/** The attempt being run, as a handler sees it. */
export interface HandlerExecution {
  /** `${jobId}@${scheduledAt}#${attempt}`. */
  readonly id: string;
  /** 1-based attempt number of this occurrence. */
  readonly attempt: number;
  /** The occurrence's scheduled time (epoch ms). */
  readonly scheduledAt: number;
}

/** What a handler receives. */
export interface HandlerContext {
  /** The job, as it was when this attempt started. */
  readonly job: Job;
  /** This attempt. */
  readonly execution: HandlerExecution;
  /** Same for every attempt of one occurrence: use it to make side effects idempotent. */
  readonly idempotencyKey: string;
  /** Aborted when the attempt times out, the job is cancelled or deleted, or the scheduler closes. */
  readonly signal: AbortSignal;
  /** The job's payload (also `job.payload`). */
  readonly payload: JsonValue | undefined;
}

/**
 * A job handler. Resolving (with anything) completes the attempt; throwing or rejecting fails it
 * (`handler_error`) and a retry follows per the job's `maxAttempts` and backoff.
 */
export type Handler = (ctx: HandlerContext) => unknown;

/** Settings of an {@link Executor}. */
export interface ExecutorOptions {
  readonly nodeId: string;
  readonly clock: CompleteClock;
  /** Uniform draws in [0, 1) stamped into finish commands for the backoff jitter. */
  readonly random: () => number;
  /** Handlers by name, shared with the facade so `handle`/`unhandle` take effect at once. */
  readonly handlers: ReadonlyMap<string, Handler>;
  /** Where finish and settle commands go (retried until applied). */
  readonly batcher: CommandBatcher;
  /** Maximum attempts running at once on this node (`Infinity` for no limit). */
  readonly concurrency: number;
  readonly webhookSecret: string | undefined;
  readonly webhookAllowPrivate: boolean;
  /** Cap on a webhook request, on top of the job's own timeout. */
  readonly webhookTimeoutMs: number | undefined;
  /** Unexpected errors (a bug, never a handler's failure). */
  readonly onError: (error: Error) => void;
  /** Replaces the webhook sender (tests). */
  readonly deliver?: (request: WebhookRequest) => Promise<WebhookResult>;
}

/** Why an attempt's signal was aborted. */
type StopReason = 'timeout' | 'cancelled' | 'finished' | 'closing';

interface Running {
  readonly execution: Execution;
  readonly job: Job;
  /** Created on first use: most handlers never look at their signal, and one costs ~1 µs. */
  controller: AbortController | undefined;
  /** Why the signal is (to be) aborted, kept for a signal created after the fact. */
  abortReason: unknown;
  timer: TimerHandle | undefined;
  /** Set once the signal was aborted; decides what (if anything) is reported when the work returns. */
  stopped: StopReason | undefined;
  startedAt: number;
  started: boolean;
}

const MAX_ERROR_LENGTH = 2000;

/** Runs the attempts assigned to this node. */
export class Executor {
  readonly #o: ExecutorOptions;
  readonly #deliver: (request: WebhookRequest) => Promise<WebhookResult>;
  readonly #running = new Map<string, Running>();
  /** Attempts not started yet: waiting for the next turn or a concurrency slot (FIFO; `#queueHead` avoids O(n) shifts). */
  #queue: Running[] = [];
  #queueHead = 0;
  #kickScheduled = false;
  #starting = false;
  #active = 0;
  #closing = false;
  #drained: (() => void) | undefined;

  constructor(options: ExecutorOptions) {
    this.#o = options;
    this.#deliver = options.deliver ?? defaultDeliver;
  }

  /** Attempts running or waiting for a slot on this node. */
  get size(): number {
    return this.#running.size;
  }

  /** Whether this node is running (or about to run) `executionId`. */
  isRunning(executionId: string): boolean {
    return this.#running.has(executionId);
  }

  /** Starts a committed attempt of `job`. Ignored when the executor is closing or already runs it. */
  start(execution: Execution, job: Job): void {
    if (this.#closing || this.#running.has(execution.id)) return;
    const run: Running = {
      execution,
      job,
      controller: undefined,
      abortReason: undefined,
      timer: undefined,
      stopped: undefined,
      startedAt: 0,
      started: false,
    };
    this.#running.set(execution.id, run);
    this.#queue.push(run);
    // Run on the next turn, not inside the log's apply: a finish or cancel applied in the same
    // batch of entries (a node catching up on its log after a restart) then drops the attempt
    // before any handler is called, and the handlers of one batch start together.
    if (!this.#kickScheduled) {
      this.#kickScheduled = true;
      this.#o.clock.nextTurn(this.#kick);
    }
  }

  readonly #kick = (): void => {
    this.#kickScheduled = false;
    this.#startWaiting();
  };

  /**
   * The log says `executionId` is over (cancelled, deleted, or finished by another node's
   * decision): abort its signal; nothing more is reported for it.
   */
  abort(executionId: string, reason: 'cancelled' | 'finished'): void {
    const run = this.#running.get(executionId);
    if (run === undefined || run.stopped !== undefined) return;
    this.#stop(run, reason);
    if (!run.started) this.#forget(run);
  }

  /**
   * Stops taking new attempts, lets running ones finish for up to `graceMs`, then aborts the
   * rest (they are reported as failed with `cancelled`, so a retry follows elsewhere) and
   * resolves once every handler has returned or `graceMs` has passed twice over.
   */
  async drain(graceMs: number): Promise<void> {
    this.#closing = true;
    // Waiting attempts never started: leave them to the in-progress timeout on the next leader.
    for (let i = this.#queueHead; i < this.#queue.length; i++) this.#forget(this.#queue[i] as Running);
    this.#queue = [];
    this.#queueHead = 0;
    if (this.#allStopped()) return;
    const done = new Promise<void>((resolve) => (this.#drained = resolve));
    let timer: TimerHandle | undefined;
    const graceOver = new Promise<void>((resolve) => (timer = this.#o.clock.setTimeout(resolve, graceMs)));
    await Promise.race([done, graceOver]);
    this.#o.clock.clearTimeout(timer);
    if (this.#allStopped()) return;
    const returned = new Promise<void>((resolve) => (this.#drained = resolve));
    for (const run of this.#running.values()) if (run.stopped === undefined) this.#stop(run, 'closing');
    // Give aborted handlers a moment to return (and report); one that ignores its signal must
    // not hold close() hostage forever.
    const lastChance = new Promise<void>((resolve) => (timer = this.#o.clock.setTimeout(resolve, graceMs)));
    await Promise.race([returned, lastChance]);
    this.#o.clock.clearTimeout(timer);
    this.#drained = undefined;
  }

  /**
   * Whether no attempt is still live. Attempts already ended in the log (timed out, cancelled)
   * whose handlers have not returned are zombies: their signal is aborted and nothing waits on
   * them, so they do not hold `drain` up; while draining, `closing` ones count until they return.
   */
  #allStopped(): boolean {
    for (const run of this.#running.values()) if (run.stopped === undefined || run.stopped === 'closing') return false;
    return true;
  }

  #run(run: Running): void {
    this.#active++;
    run.started = true;
    run.startedAt = this.#o.clock.now();
    const { job } = run;
    if (job.webhook !== undefined) {
      this.#runWebhook(run, job.webhook);
      return;
    }
    const handler = job.handler === undefined ? undefined : this.#o.handlers.get(job.handler);
    if (handler === undefined) {
      this.#report(run, {
        status: 'failed',
        errorType: 'handler_error',
        error: job.handler === undefined
          ? 'job has neither a handler nor a webhook'
          : `no handler registered for "${job.handler}" on node ${this.#o.nodeId}`,
      });
      return;
    }
    let result: unknown;
    try {
      result = handler(new Context(run));
    } catch (error) {
      this.#report(run, { status: 'failed', errorType: 'handler_error', error: errorMessage(error) });
      return;
    }
    if (isPromiseLike(result)) {
      // Armed only now: a synchronous handler cannot be interrupted anyway, and most handlers
      // in a burst of short jobs finish before a timer would be worth creating.
      const left = job.timeoutMs - (this.#o.clock.now() - run.startedAt);
      run.timer = this.#o.clock.setTimeout(() => this.#onTimeout(run), Math.max(0, left));
      result.then(
        () => this.#report(run, { status: 'completed' }),
        (error: unknown) => this.#report(run, { status: 'failed', errorType: 'handler_error', error: errorMessage(error) }),
      );
    } else {
      this.#report(run, { status: 'completed' });
    }
  }

  #runWebhook(run: Running, url: string): void {
    const { job, execution } = run;
    const timeoutMs = Math.min(job.timeoutMs, this.#o.webhookTimeoutMs ?? Infinity);
    const request: WebhookRequest = {
      url,
      jobId: job.id,
      jobType: webhookJobType(job.kind),
      executionId: execution.id,
      attempt: execution.attempt,
      scheduledAt: execution.scheduledAt,
      executedAt: execution.startedAt,
      idempotencyKey: execution.idempotencyKey,
      timeoutMs,
      signal: signalOf(run),
      allowPrivate: this.#o.webhookAllowPrivate,
      clock: this.#o.clock,
    };
    if (job.payload !== undefined) request.payload = job.payload;
    if (this.#o.webhookSecret !== undefined) request.secret = this.#o.webhookSecret;
    this.#deliver(request).then(
      (result) => {
        if (result.ok) {
          this.#report(run, { status: 'completed', httpStatus: result.httpStatus, responseTimeMs: result.responseTimeMs });
          return;
        }
        this.#report(run, {
          status: result.errorType === 'timeout' ? 'timeout' : 'failed',
          errorType: result.errorType ?? 'unknown',
          error: result.error,
          httpStatus: result.httpStatus,
          responseTimeMs: result.responseTimeMs,
        });
      },
      (error: unknown) => this.#report(run, { status: 'failed', errorType: 'unknown', error: errorMessage(error) }),
    );
  }

  #onTimeout(run: Running): void {
    run.timer = undefined;
    if (run.stopped !== undefined) return;
    this.#stop(run, 'timeout');
    // Reported now, not when the handler returns: the attempt is over as far as the schedule is
    // concerned; `settled: false` holds its retry until the handler really lets go.
    this.#o.batcher.push(this.#finish(run, {
      status: 'timeout',
      errorType: 'timeout',
      error: `execution timed out after ${run.job.timeoutMs}ms`,
    }, false));
  }

  #stop(run: Running, reason: StopReason): void {
    run.stopped = reason;
    if (run.timer !== undefined) {
      this.#o.clock.clearTimeout(run.timer);
      run.timer = undefined;
    }
    run.abortReason =
      reason === 'timeout'
        ? new DOMException('execution timed out', 'TimeoutError')
        : new DOMException(reason === 'closing' ? 'scheduler closing' : 'execution cancelled', 'AbortError');
    run.controller?.abort(run.abortReason);
    this.#maybeDrained();
  }

  /** The work of `run` returned (or failed to start): report per how it was stopped, free the slot. */
  #report(run: Running, outcome: Outcome): void {
    if (this.#running.get(run.execution.id) !== run) return;
    if (run.timer !== undefined) {
      this.#o.clock.clearTimeout(run.timer);
      run.timer = undefined;
    }
    switch (run.stopped) {
      case undefined:
        this.#o.batcher.push(this.#finish(run, outcome, true));
        break;
      case 'timeout':
      case 'finished': {
        // The attempt was already ended in the log (by our timeout, or by the leader presuming
        // it dead); its retry may be held until the handler lets go, which is now.
        const settle: SettleExecutionCommand = { type: 'settleExecution', now: this.#o.clock.now(), executionId: run.execution.id };
        this.#o.batcher.push(settle);
        break;
      }
      case 'closing':
        this.#o.batcher.push(this.#finish(run, { status: 'failed', errorType: 'cancelled', error: 'aborted: the scheduler on this node closed' }, true));
        break;
      default:
        // Cancelled or deleted: no retry to release, nothing left to say.
        break;
    }
    this.#forget(run);
  }

  #finish(run: Running, outcome: Outcome, settled: boolean): FinishExecutionCommand {
    const now = this.#o.clock.now();
    const command: Mutable<FinishExecutionCommand> = {
      type: 'finishExecution',
      now,
      executionId: run.execution.id,
      status: outcome.status,
      responseTimeMs: outcome.responseTimeMs ?? Math.max(0, now - run.startedAt),
      settled,
      random: this.#o.random(),
    };
    // Absent rather than undefined: the command is hashed and stored as JSON.
    if (outcome.error !== undefined) command.error = truncate(outcome.error);
    if (outcome.errorType !== undefined) command.errorType = outcome.errorType;
    if (outcome.httpStatus !== undefined) command.httpStatus = outcome.httpStatus;
    return command;
  }

  #forget(run: Running): void {
    if (this.#running.get(run.execution.id) === run) this.#running.delete(run.execution.id);
    if (run.started) {
      run.started = false;
      this.#active--;
      this.#startWaiting();
    }
    this.#maybeDrained();
  }

  #maybeDrained(): void {
    if (this.#drained === undefined || !this.#allStopped()) return;
    const drained = this.#drained;
    this.#drained = undefined;
    drained();
  }

  #startWaiting(): void {
    // A synchronous handler finishes inside #run and frees its slot at once; the loop below
    // picks the next one up, so re-entering from #forget would only deepen the stack.
    if (this.#starting) return;
    this.#starting = true;
    try {
      this.#startLoop();
    } finally {
      this.#starting = false;
    }
  }

  #startLoop(): void {
    while (this.#active < this.#o.concurrency && this.#queueHead < this.#queue.length) {
      const next = this.#queue[this.#queueHead] as Running;
      this.#queue[this.#queueHead++] = undefined as unknown as Running;
      if (this.#queueHead > 1024 && this.#queueHead * 2 > this.#queue.length) {
        this.#queue = this.#queue.slice(this.#queueHead);
        this.#queueHead = 0;
      }
      if (this.#running.get(next.execution.id) === next && next.stopped === undefined) this.#run(next);
    }
  }
}

/** The attempt's signal, created on first use (already aborted if the attempt was stopped). */
function signalOf(run: Running): AbortSignal {
  if (run.controller === undefined) {
    run.controller = new AbortController();
    if (run.stopped !== undefined) run.controller.abort(run.abortReason);
  }
  return run.controller.signal;
}

/** What a handler receives; the signal is made only if the handler asks for it. */
class Context implements HandlerContext {
  readonly job: Job;
  readonly execution: HandlerExecution;
  readonly idempotencyKey: string;
  readonly payload: JsonValue | undefined;
  readonly #run: Running;

  constructor(run: Running) {
    const e = run.execution;
    this.job = run.job;
    this.execution = { id: e.id, attempt: e.attempt, scheduledAt: e.scheduledAt };
    this.idempotencyKey = e.idempotencyKey;
    this.payload = run.job.payload;
    this.#run = run;
  }

  get signal(): AbortSignal {
    return signalOf(this.#run);
  }
}

interface Outcome {
  readonly status: FinishExecutionCommand['status'];
  readonly errorType?: ExecutionErrorType;
  readonly error?: string | undefined;
  readonly httpStatus?: number | undefined;
  readonly responseTimeMs?: number | undefined;
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  try {
    return typeof error === 'string' ? error : JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}

function truncate(text: string): string {
  return text.length <= MAX_ERROR_LENGTH ? text : `${text.slice(0, MAX_ERROR_LENGTH - 1)}…`;
}
