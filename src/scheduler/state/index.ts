/**
 * The scheduler's replicated state machine: {@link SchedulerState} and its vocabulary.
 */
export { SchedulerState } from './state.js';
export type {
  ApplyResult,
  BatchResult,
  CreateJobsResult,
  DecideContext,
  DeleteJobResult,
  ExecutionCounts,
  FinishExecutionResult,
  JobChangeResult,
  JobPage,
  ListJobsOptions,
  PruneHistoryResult,
  Rejection,
  RejectionCode,
  RejectionInfo,
  ResultOf,
  SettleExecutionResult,
  StartExecutionResult,
  StateCounts,
  StateEffect,
} from './types.js';
export { CATCH_UP_RECORD_LIMIT, CATCH_UP_SCAN_LIMIT } from './schedule.js';
export { MAX_PAYLOAD_DEPTH } from './json.js';
export { executionId, idempotencyKey, parseExecutionId, type ExecutionKey } from './views.js';
export type * from './commands.js';
