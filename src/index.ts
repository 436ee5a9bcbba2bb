/**
 * scheduled-db: an embeddable job scheduler replicated with Raft. One-shot and cron jobs run
 * once per occurrence, even when the leader dies.
 *
 * ```ts
 * import { createScheduler } from 'scheduled-db';
 * const scheduler = await createScheduler();
 * scheduler.handle('send-report', async (ctx) => { ... });
 * await scheduler.schedule({ at: Date.now() + 60_000, handler: 'send-report', payload: { to: 'ops' } });
 * ```
 *
 * The consensus layer (RaftNode, RaftCore, messages, Raft errors, storage adapters) is the
 * `scheduled-db/raft` subpath export; the HTTP adapter is `scheduled-db/http`.
 * @module scheduled-db
 */
export { createScheduler } from './scheduler/create.js';
export { Scheduler } from './scheduler/scheduler.js';
export type {
  CreateSchedulerOptions,
  HealthOptions,
  JobListPage,
  JobUpdate,
  ListOptions,
  NodeRole,
  RaftTuning,
  ReadOptions,
  SchedulerHealth,
  SchedulerStats,
} from './scheduler/types.js';
export {
  DEFAULT_BACKOFF,
  type DurationInput,
  type LevelDatabase,
  type SchedulerOptions,
  type StorageOption,
  type WebhookOptions,
} from './scheduler/options.js';
export type { Handler, HandlerContext, HandlerExecution } from './scheduler/runners/handler.js';
export type {
  AttemptOutcome,
  JobDeleted,
  LeaderChange,
  OccurrenceEvent,
  SchedulerEventName,
  SchedulerEvents,
  SchedulerListener,
} from './scheduler/events.js';
export {
  CapacityError,
  ClosedError,
  DuplicateExecutionError,
  InternalError,
  InvalidStateError,
  JobConflictError,
  JobNotFoundError,
  NoLeaderError,
  SchedulerError,
  StorageError,
  TimeoutError,
  ValidationError,
  type SchedulerErrorCode,
  type SchedulerErrorOptions,
  type ValidationCode,
} from './scheduler/errors.js';
export {
  CATCH_UP_POLICIES,
  EXECUTION_ERROR_TYPES,
  EXECUTION_STATUSES,
  JOB_STATUSES,
  OVERLAP_POLICIES,
  type BackoffOptions,
  type CatchUpPolicy,
  type CronJobSpec,
  type DelayedJobSpec,
  type Execution,
  type ExecutionErrorType,
  type ExecutionStatus,
  type Job,
  type JobSettings,
  type JobSpec,
  type JobSpecBase,
  type JobStatus,
  type JobStatusInfo,
  type JsonValue,
  type OneShotJobSpec,
  type OverlapPolicy,
  type SkippedOccurrence,
} from './scheduler/model.js';
export { systemClock, type Clock, type CompleteClock, type TimerHandle } from './util/clock.js';
// What a scheduler user needs in signatures (`transport`, `raft.timing`); the rest of the Raft
// layer (node, core, messages, its errors, the storage adapters) is the `scheduled-db/raft` subpath.
export { DEFAULT_TIMING, FAST_TIMING, type NodeId, type RaftTiming, type Transport } from './raft/index.js';
