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
 * @module
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
export type { Handler, HandlerContext, HandlerExecution } from './scheduler/executor.js';
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
  InvalidStateError,
  JobConflictError,
  JobNotFoundError,
  SchedulerError,
  ValidationError,
  type ValidationCode,
} from './scheduler/errors.js';
export {
  JOB_STATUSES,
  type BackoffOptions,
  type CatchUpPolicy,
  type CronJobSpec,
  type Execution,
  type ExecutionErrorType,
  type ExecutionStatus,
  type Job,
  type JobSpec,
  type JobSpecBase,
  type JobStatus,
  type JobStatusInfo,
  type JsonValue,
  type OneShotJobSpec,
  type OverlapPolicy,
  type SkippedOccurrence,
} from './scheduler/model.js';
export { systemClock, type Clock, type TimerHandle } from './util/clock.js';
export { DEFAULT_TIMING, FAST_TIMING, type RaftTiming } from './raft/timing.js';
export type { Entry, EntryKind, Message, MessageType, NodeId, Transport } from './raft/types.js';
export {
  NoLeaderError, NodeClosedError, NotLeaderError, ProposalDroppedError, RaftCore, RaftError, RaftNode, RaftTimeoutError,
  type DropReason, type HardState, type LeadershipChange, type PersistedState, type RaftCoreOptions, type RaftErrorCode,
  type RaftNodeOptions, type RaftNodeStatus, type RaftStatus, type RaftStorage, type ReadState, type Ready,
  type ReplicatedLog, type Role, type SoftState, type StateMachine,
} from './raft/index.js';
export { createLevelStorage, openDiskStorage, openMemoryStorage, type DiskStorageOptions, type LevelStorageOptions } from './storage/index.js';
