/**
 * The runner of handler jobs: calls the function registered under the job's `handler` name with
 * a {@link HandlerContext}. Resolving (with anything) completes the attempt; throwing or rejecting
 * fails it (`handler_error`).
 */
import type { Job, JsonValue } from '../model.js';
import { COMPLETED, errorMessage, type Attempt, type Runner, type Settle } from './runner.js';

/** The attempt being run, as a handler sees it. */
export interface HandlerExecution {
  /** `${jobId}@${scheduledAt}#${attempt}`. */
  readonly id: string;
  /** 1-based attempt number of this occurrence. */
  readonly attempt: number;
  /** The occurrence's scheduled time (epoch ms). */
  readonly scheduledAt: number;
  /**
   * True when the occurrence started later than the scheduler's `missedThreshold` after
   * `scheduledAt` (catch-up after downtime, a resumed job, a retry's occurrence that started
   * late): a handler can skip work whose moment has passed. Same as the recorded `Execution.late`.
   */
  readonly late: boolean;
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

/** A runner for handler jobs over `handlers` (shared with the facade, so `handle`/`unhandle` take effect at once). */
export function handlerRunner(handlers: ReadonlyMap<string, Handler>, nodeId: string): Runner {
  return {
    // A synchronous handler cannot be interrupted anyway; pending work is bounded by the executor.
    timedByExecutor: true,
    run(attempt: Attempt, settle: Settle): boolean {
      const { job } = attempt;
      const handler = job.handler === undefined ? undefined : handlers.get(job.handler);
      if (handler === undefined) {
        settle(attempt, {
          status: 'failed',
          errorType: 'handler_error',
          error:
            job.handler === undefined
              ? 'job has neither a handler nor a webhook'
              : `no handler registered for "${job.handler}" on node ${nodeId}`,
        });
        return false;
      }
      let result: unknown;
      try {
        result = handler(new Context(attempt));
      } catch (error) {
        settle(attempt, failed(error));
        return false;
      }
      if (!isPromiseLike(result)) {
        settle(attempt, COMPLETED);
        return false;
      }
      result.then(
        () => settle(attempt, COMPLETED),
        (error: unknown) => settle(attempt, failed(error)),
      );
      return true;
    },
  };
}

function failed(error: unknown): { status: 'failed'; errorType: 'handler_error'; error: string } {
  return { status: 'failed', errorType: 'handler_error', error: errorMessage(error) };
}

/** What a handler receives; the signal is made only if the handler asks for it. */
class Context implements HandlerContext {
  readonly job: Job;
  readonly execution: HandlerExecution;
  readonly idempotencyKey: string;
  readonly payload: JsonValue | undefined;
  readonly #attempt: Attempt;

  constructor(attempt: Attempt) {
    const e = attempt.execution;
    this.job = attempt.job;
    this.execution = { id: e.id, attempt: e.attempt, scheduledAt: e.scheduledAt, late: e.late };
    this.idempotencyKey = e.idempotencyKey;
    this.payload = attempt.job.payload;
    this.#attempt = attempt;
  }

  get signal(): AbortSignal {
    return this.#attempt.signal;
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as { then?: unknown }).then === 'function'
  );
}
