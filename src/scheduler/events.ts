/**
 * The scheduler's typed events. They are emitted from *applied* log entries, so every replica
 * emits what it applies — a three-node cluster emits `execution:completed` three times, once per
 * node, for one attempt. `execution.nodeId` tells where the attempt actually ran; compare it with
 * `scheduler.nodeId` to react only on the node that ran it.
 *
 * Listeners run synchronously right after the entry is applied. An exception thrown by a
 * listener is caught and re-emitted as `error`; it never reaches the scheduler's internals.
 */
import type { Execution, Job, SkippedOccurrence } from './model.js';

/** What `execution:failed` and `execution:timeout` add to the execution. */
export interface AttemptOutcome {
  /** True when no further attempt of this occurrence will run. */
  readonly final: boolean;
  /** When the next attempt is planned (absent when `final`). */
  readonly retryAt?: number;
}

/** Payload of `leader:changed`. */
export interface LeaderChange {
  /** The leader this node now knows, or `null` during an election. */
  readonly leader: string | null;
  /** Whether this node is the leader (and has caught up with its log). */
  readonly isLeader: boolean;
  /** The Raft term of the change. */
  readonly term: number;
}

/** Payload of `job:deleted`. */
export interface JobDeleted {
  /** The id of the job that is gone. */
  readonly jobId: string;
  /** `deleted` by `scheduler.delete`, `pruned` by history retention (a finished job past it). */
  readonly reason: 'deleted' | 'pruned';
}

/** Payload of `occurrence:skipped` and `occurrence:missed`. */
export interface OccurrenceEvent extends SkippedOccurrence {
  /**
   * How many occurrences this event stands for: 1, except after a long outage, when the last
   * event of a catch-up carries the ones counted beyond what is recorded one by one.
   */
  readonly count: number;
}

/**
 * Every event with its listener arguments (the eventemitter3 map form): `scheduler.on(name,
 * listener)` is checked against it.
 */
export interface SchedulerEvents {
  /** An attempt's start was committed (the handler is being called on `execution.nodeId`). */
  'execution:started': [execution: Execution];
  /** An attempt succeeded. */
  'execution:completed': [execution: Execution];
  /** An attempt failed (handler threw, webhook answered non-2xx, no handler...). */
  'execution:failed': [execution: Execution, outcome: AttemptOutcome];
  /** A further attempt was planned for the occurrence of `execution` at `retryAt`. */
  'execution:retrying': [execution: Execution, retryAt: number];
  /** An attempt ran out of time. */
  'execution:timeout': [execution: Execution, outcome: AttemptOutcome];
  /** An attempt was aborted because its job was cancelled or deleted. */
  'execution:cancelled': [execution: Execution];
  /** An occurrence did not run because of the overlap or catch-up policy. */
  'occurrence:skipped': [occurrence: OccurrenceEvent];
  /** An occurrence fell due while no node could fire it. */
  'occurrence:missed': [occurrence: OccurrenceEvent];
  /** A job was created. */
  'job:created': [job: Job];
  /** A job's definition was changed by `update`. */
  'job:updated': [job: Job];
  /** A job was cancelled. */
  'job:cancelled': [job: Job];
  /** A job was paused. */
  'job:paused': [job: Job];
  /** A paused job was resumed. */
  'job:resumed': [job: Job];
  /** A job and its history were deleted. */
  'job:deleted': [deleted: JobDeleted];
  /** This node's view of the leader changed. */
  'leader:changed': [change: LeaderChange];
  /** An unexpected internal error (never thrown into your code); the scheduler carries on. */
  error: [error: Error];
}

/** Name of a scheduler event. */
export type SchedulerEventName = keyof SchedulerEvents;

/** A listener of the event `K`. */
export type SchedulerListener<K extends SchedulerEventName> = (...args: SchedulerEvents[K]) => void;
