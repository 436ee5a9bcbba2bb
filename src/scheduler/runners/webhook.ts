/**
 * The runner of webhook jobs: POSTs the attempt to the job's URL (see webhook.ts for the request
 * contract) and maps the answer onto an outcome. The request carries its own timeout, the job's
 * capped by `webhookTimeoutMs`, so the executor does not time it.
 */
import type { CompleteClock } from '../../util/clock.js';
import { deliverWebhook, webhookJobType, type WebhookRequest, type WebhookResult } from '../webhook.js';
import { errorMessage, type Attempt, type Runner, type Settle } from './runner.js';

/** Settings of {@link webhookRunner}. */
export interface WebhookRunnerOptions {
  /** Signs requests when set. */
  readonly secret: string | undefined;
  /** Whether private and loopback targets may be called. */
  readonly allowPrivate: boolean;
  /** Cap on a request, on top of the job's own timeout. */
  readonly timeoutMs: number | undefined;
  /** Times the request. */
  readonly clock: CompleteClock;
  /** Replaces the sender (tests). */
  readonly deliver?: (request: WebhookRequest) => Promise<WebhookResult>;
}

/** A runner for webhook jobs. */
export function webhookRunner(options: WebhookRunnerOptions): Runner {
  const deliver = options.deliver ?? deliverWebhook;
  return {
    timedByExecutor: false,
    run(attempt: Attempt, settle: Settle): boolean {
      const { job, execution } = attempt;
      const request: WebhookRequest = {
        url: job.webhook as string,
        jobId: job.id,
        jobType: webhookJobType(job.kind),
        executionId: execution.id,
        attempt: execution.attempt,
        scheduledAt: execution.scheduledAt,
        executedAt: execution.startedAt,
        idempotencyKey: execution.idempotencyKey,
        timeoutMs: Math.min(job.timeoutMs, options.timeoutMs ?? Infinity),
        signal: attempt.signal,
        allowPrivate: options.allowPrivate,
        clock: options.clock,
      };
      if (job.payload !== undefined) request.payload = job.payload;
      if (options.secret !== undefined) request.secret = options.secret;
      deliver(request).then(
        (result) => {
          if (result.ok) {
            settle(attempt, { status: 'completed', httpStatus: result.httpStatus, responseTimeMs: result.responseTimeMs });
            return;
          }
          settle(attempt, {
            status: result.errorType === 'timeout' ? 'timeout' : 'failed',
            errorType: result.errorType ?? 'unknown',
            error: result.error,
            httpStatus: result.httpStatus,
            responseTimeMs: result.responseTimeMs,
          });
        },
        (error: unknown) => settle(attempt, { status: 'failed', errorType: 'unknown', error: errorMessage(error) }),
      );
      return true;
    },
  };
}
