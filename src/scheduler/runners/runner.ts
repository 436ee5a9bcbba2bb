/**
 * The contract between the executor and the runners, one per kind of target (handler, webhook):
 * the executor decides WHEN an attempt runs, how long it may take and what is reported; a runner
 * only knows HOW to run its kind of target and what came of it.
 */
import type { ExecutionErrorType, Execution, Job } from '../model.js';
import type { FinishExecutionCommand } from '../state/commands.js';

/** One attempt as a runner sees it. */
export interface Attempt {
  /** The committed attempt. */
  readonly execution: Execution;
  /** The job, as it was when the attempt started. */
  readonly job: Job;
  /** Aborted when the attempt times out, is cancelled or deleted, or the scheduler closes (made on first read). */
  readonly signal: AbortSignal;
}

/** What came of an attempt, as the finish command records it. */
export interface Outcome {
  readonly status: FinishExecutionCommand['status'];
  readonly errorType?: ExecutionErrorType;
  readonly error?: string | undefined;
  readonly httpStatus?: number | undefined;
  readonly responseTimeMs?: number | undefined;
}

/** Hands an attempt's outcome back to the executor; called once per attempt, perhaps synchronously. */
export type Settle = (attempt: Attempt, outcome: Outcome) => void;

/**
 * Runs attempts of one kind of target. A callback rather than a promise: most handlers finish
 * synchronously, and a burst of short jobs should not pay a promise and a turn per attempt.
 */
export interface Runner {
  /** Whether the executor enforces the job's timeout on pending work (false: the runner bounds its own). */
  readonly timedByExecutor: boolean;
  /** Starts `attempt` and settles it once; returns whether the work is still pending after the call. */
  run(attempt: Attempt, settle: Settle): boolean;
}

/** The outcome of work that ended normally. */
export const COMPLETED: Outcome = { status: 'completed' };

/** A thrown value's message, whatever was thrown. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  try {
    return typeof error === 'string' ? error : (JSON.stringify(error) ?? String(error));
  } catch {
    return String(error);
  }
}
