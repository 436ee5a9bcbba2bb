/**
 * The scheduler's replicated state machine: {@link SchedulerState} and its vocabulary.
 */
export { SchedulerState } from './state.js';
export type {
  ApplyResult,
  CreateJobsResult,
  DecideContext,
  FinishExecutionResult,
  JobChangeResult,
  PruneHistoryResult,
  Rejection,
  StartExecutionResult,
  StateEffect,
} from './types.js';
export { CATCH_UP_RECORD_LIMIT, CATCH_UP_SCAN_LIMIT } from './schedule.js';
export { executionId, idempotencyKey } from './views.js';
export type * from './commands.js';
