/**
 * The public facade: `createScheduler()` wires one Raft log, the pure scheduler state machine,
 * the leader loop and the executor together, and `Scheduler` is what applications hold.
 *
 * Every mutation is a command encoded into the log and applied on every replica; a call resolves
 * once its command is committed and applied here (durable on a majority). Reads come from this
 * node's replica; pass `{ consistent: true }` to confirm with the leader first (linearizable).
 */
import { EventEmitter } from 'eventemitter3';
import { RaftNode } from '../raft/node.js';
import type { RaftTiming } from '../raft/timing.js';
import type { LeadershipChange, RaftStorage, ReplicatedLog, StateMachine, Transport } from '../raft/types.js';
import { createLevelStorage } from '../storage/level-storage.js';
import { openDiskStorage } from '../storage/disk.js';
import { openMemoryStorage } from '../storage/memory.js';
import { systemClock } from '../util/clock.js';
import { generateId } from '../util/ids.js';
import { decodeCommand, encodeCommand } from './codec.js';
import {
  CapacityError,
  ClosedError,
  InvalidStateError,
  JobConflictError,
  JobNotFoundError,
  SchedulerError,
  ValidationError,
} from './errors.js';
import type { AttemptOutcome, SchedulerEventName, SchedulerEvents, SchedulerListener as Listener } from './events.js';
import { CommandPipe, Executor, type Handler } from './executor.js';
import { LeaderLoop } from './leader-loop.js';
import type {
  CatchUpPolicy,
  Execution,
  Job,
  JobSpec,
  JobSpecBase,
  JobStatus,
  JobStatusInfo,
  OverlapPolicy,
  SkippedOccurrence,
} from './model.js';
import { resolveOptions, type ResolvedOptions, type SchedulerOptions } from './options.js';
import { SchedulerState } from './state/index.js';
import type { Command, JobDefinition } from './state/commands.js';
import type { ApplyResult, RejectionInfo, StateEffect, StateCounts } from './state/types.js';
import { mergeJobUpdate, normalizeJobSpec, type NormalizeContext } from './validate.js';

/**
 * The changes `update` applies: any job-spec field, absent fields kept. The kind cannot change
 * (no `cron` on a one-shot job, no `at` on a cron job); `startAt`/`endAt: null` remove the bound.
 */
export interface JobUpdate extends Partial<Omit<JobSpecBase, 'id'>> {
  /** New time of a one-shot job. */
  readonly at?: Date | number | string;
  /** New expression of a cron job. */
  readonly cron?: string;
  readonly timezone?: string;
  readonly startAt?: Date | number | string | null;
  readonly endAt?: Date | number | string | null;
  readonly overlap?: OverlapPolicy;
  readonly catchUp?: CatchUpPolicy;
  readonly catchUpWindow?: number | string;
}

/** Options of the read methods. */
export interface ReadOptions {
  /** Confirm with the leader that this replica is up to date before reading (linearizable). */
  readonly consistent?: boolean;
}

/** Filter and page of {@link Scheduler.list}. */
export interface ListOptions extends ReadOptions {
  /** Only jobs in this status. */
  readonly status?: JobStatus;
  /** Most jobs returned (default: all). */
  readonly limit?: number;
  /** `nextCursor` of the previous page. */
  readonly cursor?: string;
}

/** A page of {@link Scheduler.page}. */
export interface JobListPage {
  readonly jobs: Job[];
  /** Present when more jobs follow: pass it back as `cursor`. */
  readonly nextCursor?: string;
  /** How many jobs match, over all pages. */
  readonly total: number;
}

/** This node's role in the cluster. */
export type NodeRole = 'leader' | 'follower' | 'candidate';

/** Counts and limits, as `GET /health` reports them. */
export interface SchedulerStats {
  readonly nodeId: string;
  readonly role: NodeRole;
  readonly isLeader: boolean;
  /** The leader's node id, or `null` when none is known. */
  readonly leader: string | null;
  readonly jobs: {
    readonly current: number;
    readonly limit: number;
    readonly available: number;
    readonly byStatus: Readonly<Record<JobStatus, number>>;
  };
  /** The state's memory estimate (what capacity checks use) against the configured budget. */
  readonly memory: {
    readonly currentBytes: number;
    readonly limitBytes: number;
    readonly availableBytes: number;
    readonly utilizationPercent: number;
  };
  readonly executions: {
    readonly inProgress: number;
    readonly completed: number;
    readonly failed: number;
    readonly timeout: number;
    readonly cancelled: number;
    /** (failed + timeout) / finished attempts, 0 when none finished. */
    readonly failureRate: number;
    readonly lastExecutedAt?: number;
  };
  /** Attempts running (or waiting for a concurrency slot) on this node. */
  readonly runningHere: number;
  /** Wake times the leader loop holds (0 on followers). */
  readonly queued: number;
}

/** Options of {@link Scheduler.health}. */
export interface HealthOptions {
  /** Failure rate above which the node is `degraded` (default 0.1, the seed's `HEALTH_FAILURE_THRESHOLD`). */
  readonly failureThreshold?: number;
}

/** The health verdict of `GET /health`. */
export interface SchedulerHealth extends SchedulerStats {
  /**
   * `ok`; `degraded` at ≥ 90% memory or, with ≥ 10 finished attempts, a failure rate above the
   * threshold; `unhealthy` above 50% failures or with no known leader.
   */
  readonly status: 'ok' | 'degraded' | 'unhealthy';
}

/** Raft tuning for `createScheduler` (advanced; the defaults suit most deployments). */
export interface RaftTuning {
  /** Tick length and election/heartbeat ticks. */
  readonly timing?: RaftTiming;
  /** A proposal not applied after this long is rejected (default 10s). */
  readonly proposalTimeoutMs?: number;
}

/** {@link SchedulerOptions} plus the advanced Raft tuning. */
export interface CreateSchedulerOptions extends SchedulerOptions {
  /** Advanced: Raft timing. */
  readonly raft?: RaftTuning;
}

/** The transport of a cluster of one: there is nobody to talk to. */
function loneTransport(id: string): Transport {
  return { id, send() {}, onMessage() {}, close: async () => {} };
}

async function openStorage(o: ResolvedOptions): Promise<RaftStorage> {
  const storage = o.storage;
  if (storage === 'memory') return openMemoryStorage();
  if ('path' in storage) return openDiskStorage(storage.path, { sync: storage.sync ?? true });
  // The caller opened it and may use it for more than us: leave closing it to them.
  return createLevelStorage(storage.level, { closeDatabase: false });
}

/**
 * Creates and starts a scheduler node. With no options: one node, in-memory storage, the system
 * clock. Resolves once the node has replayed its log (and, alone, become leader).
 */
export async function createScheduler(options: CreateSchedulerOptions = {}): Promise<Scheduler> {
  const o = resolveOptions(options);
  const storage = await openStorage(o);
  const scheduler = new Scheduler(
    o,
    (stateMachine) =>
      new RaftNode({
        id: o.nodeId,
        voters: o.voters,
        storage,
        transport: o.transport ?? loneTransport(o.nodeId),
        stateMachine,
        clock: o.clock,
        random: o.random,
        ...(options.raft?.timing !== undefined && { timing: options.raft.timing }),
        ...(options.raft?.proposalTimeoutMs !== undefined && { proposalTimeoutMs: options.raft.proposalTimeoutMs }),
      }),
    SECRET,
  );
  await startScheduler(scheduler);
  return scheduler;
}

/** Guards the constructor: only `createScheduler` may call it. */
const SECRET = Symbol('scheduler-internal');

/** Starts the log and ends the replay phase; set by a static block of `Scheduler` (it reaches private state). */
let startScheduler: (scheduler: Scheduler) => Promise<void>;

/** A listener or its guard, as the wrapper bookkeeping stores them (only compared by identity). */
type AnyListener = object;

/**
 * A scheduler node. Obtain one with {@link createScheduler}; register handlers with
 * {@link Scheduler.handle}; schedule with {@link Scheduler.schedule}; close with
 * {@link Scheduler.close} (or `await using`).
 */
export class Scheduler {
  /** This node's id. */
  readonly nodeId: string;
  readonly #o: ResolvedOptions;
  readonly #log: ReplicatedLog;
  readonly #state: SchedulerState;
  readonly #emitter = new EventEmitter<SchedulerEvents>();
  /** User listener → the guarded wrappers registered for it, per event. */
  readonly #wrappers = new Map<string, Map<AnyListener, AnyListener[]>>();
  readonly #handlers = new Map<string, Handler>();
  /** Made once: validation asks it for every spec of a bulk call. */
  readonly #handlerExists = (name: string): boolean => this.#handlers.has(name);
  readonly #pipe: CommandPipe;
  readonly #executor: Executor;
  readonly #loop: LeaderLoop;
  /** True while the log is replayed on start: nothing is executed or emitted for history. */
  #replaying = true;
  #term = 0;
  #closing: Promise<void> | undefined;
  #keepAlive: NodeJS.Timeout | undefined;
  readonly #unsubscribe: () => void;

  static {
    startScheduler = async (scheduler) => {
      try {
        await scheduler.#log.start();
      } catch (error) {
        await scheduler.#log.close().catch(() => {});
        throw error;
      }
      scheduler.#replaying = false;
      // A ref'd handle that does nothing: it only tells Node someone is still listening.
      if (scheduler.#o.keepAlive) scheduler.#keepAlive = setInterval(() => {}, 1 << 30);
    };
  }

  /** @internal Use {@link createScheduler}. */
  constructor(options: ResolvedOptions, makeLog: (stateMachine: StateMachine) => ReplicatedLog, secret: symbol) {
    if (secret !== SECRET) throw new TypeError('use createScheduler() to create a Scheduler');
    this.#o = options;
    this.nodeId = options.nodeId;
    this.#log = makeLog({ apply: (data) => this.#applyEntry(data) });
    this.#state = new SchedulerState((effect: StateEffect) => this.#onEffect(effect));
    const onError = (error: Error): void => this.#reportError(error);
    const propose = (command: Command): Promise<unknown> => this.#log.propose(encodeCommand(command));
    this.#pipe = new CommandPipe(propose, options.clock, onError);
    this.#executor = new Executor({
      nodeId: options.nodeId,
      clock: options.clock,
      random: options.random,
      handlers: this.#handlers,
      pipe: this.#pipe,
      concurrency: options.concurrency,
      webhookSecret: options.webhookSecret,
      webhookAllowPrivate: options.webhookAllowPrivate,
      webhookTimeoutMs: options.webhookTimeoutMs,
      onError,
    });
    const state = this.#state;
    this.#loop = new LeaderLoop({
      nodeId: options.nodeId,
      clock: options.clock,
      state: {
        decide: (jobId, now, ctx) => state.decide(jobId, now, ctx),
        wakeTimes: () => state.wakeTimes(),
        wakeTime: (jobId) => state.wakeTime(jobId),
      },
      propose,
      isRunningLocally: (executionId) => this.#executor.isRunning(executionId),
      random: options.random,
      missedThresholdMs: options.missedThresholdMs,
      inProgressTimeoutMs: options.inProgressTimeoutMs,
      slotGapMs: options.slotGapMs,
      // Only real timers are late by design; a simulated clock's are exact.
      timerSlackMs: options.clock === systemClock ? 1 : 0,
      pruneIntervalMs: options.pruneIntervalMs,
      historyRetentionMs: options.historyRetentionMs,
      historyLimit: options.historyLimit,
      onError,
    });
    this.#unsubscribe = this.#log.onLeadership((change) => this.#onLeadership(change));
  }

  /** The log driver's entry point: decode and apply one committed entry. */
  #applyEntry(data: Uint8Array): unknown {
    let command: Command;
    try {
      command = decodeCommand(data);
    } catch (error) {
      // Every replica holds the same bytes and fails the same way, so skipping keeps them equal;
      // throwing would only tear down this node's apply loop.
      const message = error instanceof Error ? error.message : String(error);
      this.#reportError(new SchedulerError('INTERNAL', `unreadable log entry skipped: ${message}`));
      return { ok: false, rejected: { code: 'INVALID_COMMAND', message } } satisfies ApplyResult;
    }
    return this.#state.apply(command);
  }

  // ---------------------------------------------------------------- events

  /** Adds a listener (see {@link SchedulerEvents} for names and arguments). */
  on<K extends SchedulerEventName>(event: K, listener: Listener<K>): this {
    this.#emitter.on(event, this.#guard(event, listener, false) as never);
    return this;
  }

  /** Adds a listener that is removed after its first call. */
  once<K extends SchedulerEventName>(event: K, listener: Listener<K>): this {
    this.#emitter.once(event, this.#guard(event, listener, true) as never);
    return this;
  }

  /** Removes one registration of `listener` for `event`, or every listener of `event` when `listener` is absent. */
  off<K extends SchedulerEventName>(event: K, listener?: Listener<K>): this {
    if (listener === undefined) {
      this.#emitter.removeAllListeners(event);
      this.#wrappers.delete(event);
      return this;
    }
    const byListener = this.#wrappers.get(event);
    const wrappers = byListener?.get(listener);
    const wrapper = wrappers?.pop();
    if (wrappers !== undefined && wrappers.length === 0) byListener!.delete(listener);
    if (wrapper !== undefined) this.#emitter.off(event, wrapper as never);
    return this;
  }

  /** How many listeners `event` has. */
  listenerCount(event: SchedulerEventName): number {
    return this.#emitter.listenerCount(event);
  }

  /** Wraps a user listener so that its exceptions become `error` events instead of breaking apply. */
  #guard<K extends SchedulerEventName>(event: K, listener: Listener<K>, once: boolean): AnyListener {
    let byListener = this.#wrappers.get(event);
    if (byListener === undefined) this.#wrappers.set(event, (byListener = new Map()));
    let wrappers = byListener.get(listener);
    if (wrappers === undefined) byListener.set(listener, (wrappers = []));
    const list = wrappers;
    const wrapper = (...args: SchedulerEvents[K]): void => {
      if (once) {
        const i = list.indexOf(wrapper);
        if (i >= 0) list.splice(i, 1);
      }
      try {
        listener(...args);
      } catch (error) {
        if (event === 'error') return; // an error listener that throws has nowhere left to report to
        this.#reportError(error instanceof Error ? error : new Error(String(error)));
      }
    };
    list.push(wrapper);
    return wrapper;
  }

  #emit<K extends SchedulerEventName>(event: K, ...args: SchedulerEvents[K]): void {
    (this.#emitter.emit as (event: K, ...args: SchedulerEvents[K]) => boolean)(event, ...args);
  }

  #reportError(error: Error): void {
    if (this.#emitter.listenerCount('error') > 0) this.#emit('error', error);
    else process.emitWarning(error);
  }

  // ---------------------------------------------------------------- handlers

  /** Registers `handler` under `name` (replacing any previous one). Jobs name it in `handler`. */
  handle(name: string, handler: Handler): this {
    if (typeof name !== 'string' || name.length === 0) throw new ValidationError('INVALID_FIELD', 'name', 'must be a non-empty string');
    if (typeof handler !== 'function') throw new ValidationError('INVALID_FIELD', 'handler', 'must be a function');
    this.#handlers.set(name, handler);
    return this;
  }

  /** Removes the handler registered under `name`; returns whether there was one. */
  unhandle(name: string): boolean {
    return this.#handlers.delete(name);
  }

  // ---------------------------------------------------------------- writes

  /**
   * Creates a job and resolves with it once the creation is applied. Re-sending an identical
   * spec with the same `id` returns the existing job; a different one under that id throws
   * {@link JobConflictError}. Throws {@link ValidationError} (naming the field) for bad input and
   * {@link CapacityError} past `maxJobs`/`maxMemory`.
   */
  async schedule(spec: JobSpec): Promise<Job> {
    this.#assertOpen();
    const now = this.#o.clock.now();
    const definition = this.#resend(spec) ?? this.#normalize(spec, now);
    const result = await this.#submit({ type: 'createJobs', now, jobs: [definition], limits: this.#limits() });
    if (result.type !== 'createJobs') throw unexpected(result);
    return result.jobs[0] as Job;
  }

  /**
   * Creates many jobs in ONE log entry: all or none (a bad spec throws a {@link ValidationError}
   * whose field starts with its index, e.g. `[3].at`, and nothing is created). The bulk path:
   * resolves with the job ids, in order, rather than building a million job views.
   */
  async scheduleMany(specs: readonly JobSpec[]): Promise<string[]> {
    this.#assertOpen();
    if (!Array.isArray(specs)) throw new ValidationError('INVALID_FIELD', 'specs', 'must be an array of job specs');
    if (specs.length === 0) return [];
    const now = this.#o.clock.now();
    const jobs = new Array<JobDefinition>(specs.length);
    const ids = new Array<string>(specs.length);
    for (let i = 0; i < specs.length; i++) {
      let definition: JobDefinition;
      try {
        definition = this.#normalize(specs[i] as JobSpec, now);
      } catch (error) {
        if (error instanceof ValidationError) {
          throw new ValidationError(error.code, `[${i}].${error.field}`, error.message.slice(error.field.length + 2));
        }
        throw error;
      }
      jobs[i] = definition;
      ids[i] = definition.id;
    }
    const result = await this.#submit({ type: 'createJobs', now, jobs, limits: this.#limits() });
    if (result.type !== 'createJobs') throw unexpected(result);
    return ids;
  }

  /**
   * Changes a job in place: schedule, payload, handler/webhook or options (fields absent are
   * kept). The kind (`at` vs `cron`) cannot change. Resolves with the updated job.
   */
  async update(id: string, patch: JobUpdate): Promise<Job> {
    this.#assertOpen();
    // The merged definition replaces the whole job: read it as of the latest commit, or a patch
    // sent through a lagging replica would write back the fields an earlier update changed.
    await this.#beforeRead({ consistent: true });
    const current = this.#state.getDefinition(id);
    if (current === undefined) throw new JobNotFoundError(id);
    const now = this.#o.clock.now();
    const definition = mergeJobUpdate(current, patch, this.#validationContext(now, id));
    const result = await this.#submit({ type: 'updateJob', now, jobId: id, definition });
    if (result.type !== 'updateJob') throw unexpected(result);
    return result.job;
  }

  /**
   * Cancels a job: a running attempt's signal is aborted and no further occurrence runs. Throws
   * {@link JobNotFoundError}, or {@link InvalidStateError} for a finished one-shot or a job
   * already cancelled.
   */
  async cancel(id: string, reason?: string): Promise<Job> {
    this.#assertOpen();
    if (reason !== undefined && typeof reason !== 'string') throw new ValidationError('INVALID_FIELD', 'reason', 'must be a string');
    const now = this.#o.clock.now();
    const result = await this.#submit({ type: 'cancelJob', now, jobId: id, ...(reason !== undefined && { reason }) });
    if (result.type !== 'cancelJob') throw unexpected(result);
    return result.job;
  }

  /** Deletes a job and its history (a running attempt is aborted). Throws {@link JobNotFoundError}. */
  async delete(id: string): Promise<void> {
    this.#assertOpen();
    const result = await this.#submit({ type: 'deleteJob', now: this.#o.clock.now(), jobId: id });
    if (result.type !== 'deleteJob') throw unexpected(result);
  }

  /** Pauses a job: no occurrence starts until {@link Scheduler.resume} (a running attempt continues). */
  async pause(id: string): Promise<Job> {
    this.#assertOpen();
    const result = await this.#submit({ type: 'pauseJob', now: this.#o.clock.now(), jobId: id });
    if (result.type !== 'pauseJob') throw unexpected(result);
    return result.job;
  }

  /**
   * Resumes a paused job. A cron job picks its schedule up from now (occurrences that fell due
   * during the pause do not run); a one-shot whose time passed meanwhile runs now, late.
   */
  async resume(id: string): Promise<Job> {
    this.#assertOpen();
    const result = await this.#submit({ type: 'resumeJob', now: this.#o.clock.now(), jobId: id });
    if (result.type !== 'resumeJob') throw unexpected(result);
    return result.job;
  }

  /**
   * Runs one extra occurrence of the job now, on this node, without moving its schedule. The
   * overlap policy applies while an attempt of the job runs: with `skip` and `queue-one` the
   * trigger is dropped and resolves `undefined` (a `queue-one` job's queue slot belongs to its
   * schedule); with `allow` it runs alongside. Otherwise resolves with the started execution.
   */
  async trigger(id: string): Promise<Execution | undefined> {
    this.#assertOpen();
    // The overlap check reads this replica, so make it current first.
    await this.#log.readIndex();
    const job = this.#state.getJob(id);
    if (job === undefined) throw new JobNotFoundError(id);
    if (job.status === 'in_progress' && job.overlap !== 'allow') return undefined;
    const now = this.#o.clock.now();
    const result = await this.#submit({
      type: 'startExecution',
      now,
      jobId: id,
      scheduledAt: now,
      attempt: 1,
      nodeId: this.nodeId,
      term: this.#term,
      manual: true,
      missedThresholdMs: this.#o.missedThresholdMs,
      inProgressTimeoutMs: this.#o.inProgressTimeoutMs,
    });
    if (result.type !== 'startExecution') throw unexpected(result);
    return result.outcome === 'started' ? result.execution : undefined;
  }

  // ---------------------------------------------------------------- reads

  /** The job, or `undefined` when there is no job with that id. */
  async get(id: string, options?: ReadOptions): Promise<Job | undefined> {
    await this.#beforeRead(options);
    return this.#state.getJob(id);
  }

  /** The job's status view. Throws {@link JobNotFoundError}. */
  async status(id: string, options?: ReadOptions): Promise<JobStatusInfo> {
    await this.#beforeRead(options);
    const status = this.#state.getStatus(id);
    if (status === undefined) throw new JobNotFoundError(id);
    return status;
  }

  /** Every recorded attempt of the job, oldest first. Throws {@link JobNotFoundError}. */
  async executions(id: string, options?: ReadOptions): Promise<Execution[]> {
    await this.#beforeRead(options);
    const executions = this.#state.getExecutions(id);
    if (executions === undefined) throw new JobNotFoundError(id);
    return executions;
  }

  /** Occurrences of the job that did not run (overlap, catch-up, missed). Throws {@link JobNotFoundError}. */
  async skipped(id: string, options?: ReadOptions): Promise<SkippedOccurrence[]> {
    await this.#beforeRead(options);
    const skipped = this.#state.getSkipped(id);
    if (skipped === undefined) throw new JobNotFoundError(id);
    return skipped;
  }

  /** Jobs in creation order, optionally only those in `status`. See {@link Scheduler.page} for paging. */
  async list(options: ListOptions = {}): Promise<Job[]> {
    return (await this.page({ ...options, limit: options.limit ?? Number.MAX_SAFE_INTEGER })).jobs;
  }

  /** One page of jobs in creation order, with a cursor to the next. */
  async page(options: ListOptions = {}): Promise<JobListPage> {
    await this.#beforeRead(options);
    const limit = options.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1) throw new ValidationError('INVALID_FIELD', 'limit', 'must be a positive integer');
    return this.#state.listJobs({
      limit,
      ...(options.status !== undefined && { status: options.status }),
      ...(options.cursor !== undefined && { cursor: options.cursor }),
    });
  }

  // ---------------------------------------------------------------- cluster

  /** Whether this node leads the cluster (and has caught up with the log). */
  get isLeader(): boolean {
    return this.#log.isLeader();
  }

  /** The leader's node id, or `null` when none is known. */
  get leader(): string | null {
    return this.#log.leader();
  }

  /** Counts, limits and roles (what `GET /health` reports). */
  stats(): SchedulerStats {
    const counts: StateCounts = this.#state.counts();
    const o = this.#o;
    const isLeader = this.#log.isLeader();
    const leader = this.#log.leader();
    const e = counts.executions;
    const finished = e.completed + e.failed + e.timeout;
    return {
      nodeId: this.nodeId,
      role: isLeader || leader === this.nodeId ? 'leader' : leader === null ? 'candidate' : 'follower',
      isLeader,
      leader,
      jobs: {
        current: counts.jobs,
        limit: o.maxJobs,
        available: Math.max(0, o.maxJobs - counts.jobs),
        byStatus: counts.byStatus,
      },
      memory: {
        currentBytes: counts.estimatedBytes,
        limitBytes: o.maxMemoryBytes,
        availableBytes: Math.max(0, o.maxMemoryBytes - counts.estimatedBytes),
        utilizationPercent: (100 * counts.estimatedBytes) / o.maxMemoryBytes,
      },
      executions: {
        inProgress: e.inProgress,
        completed: e.completed,
        failed: e.failed,
        timeout: e.timeout,
        cancelled: e.cancelled,
        failureRate: finished === 0 ? 0 : (e.failed + e.timeout) / finished,
        ...(counts.lastExecutedAt !== undefined && { lastExecutedAt: counts.lastExecutedAt }),
      },
      runningHere: this.#executor.size,
      queued: this.#loop.pending,
    };
  }

  /** {@link Scheduler.stats} with the health verdict of `GET /health`. */
  health(options: HealthOptions = {}): SchedulerHealth {
    const stats = this.stats();
    const threshold = options.failureThreshold ?? 0.1;
    const e = stats.executions;
    const finished = e.completed + e.failed + e.timeout;
    let status: SchedulerHealth['status'] = 'ok';
    if (stats.leader === null || (finished >= 10 && e.failureRate > 0.5)) status = 'unhealthy';
    else if (stats.memory.utilizationPercent >= 90 || (finished >= 10 && e.failureRate > threshold)) status = 'degraded';
    return { ...stats, status };
  }

  /** A hash of the replicated state (equal on replicas that applied the same log). */
  stateHash(): string {
    return this.#state.hash();
  }

  /**
   * Stops firing, hands leadership to another voter when in a cluster, lets running handlers
   * finish for up to `closeGrace` (then aborts their signals and waits up to `closeGrace` more),
   * and closes the log and its storage. Safe to call more than once. A handler that awaits
   * `close()` waits for itself until the grace runs out: call it without awaiting from there.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  /** `await using scheduler = await createScheduler()` closes it at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #close(): Promise<void> {
    // The system clock's timers are unref'd (a scheduler never keeps a process alive on its
    // own), but a close in progress must: otherwise `await scheduler.close()` as the last line
    // of a script lets Node exit half-way (code 13) before the storage is closed.
    const keepAlive = setInterval(() => {}, 1 << 30);
    try {
      await this.#shutdown();
    } finally {
      clearInterval(keepAlive);
    }
  }

  async #shutdown(): Promise<void> {
    const clock = this.#o.clock;
    const grace = this.#o.closeGraceMs;
    this.#loop.deactivate();
    // Hand over first, so the next leader fires what falls due while this node winds down.
    if (this.#o.voters.length > 1 && this.#log.isLeader()) {
      await withTimeout(this.#log.transferLeadership().catch(() => {}), clock, grace);
    }
    await this.#executor.drain(grace);
    // Give the last finishes a chance to land; they are retried, so bound the wait.
    await withTimeout(this.#pipe.whenIdle(), clock, grace);
    this.#pipe.close();
    this.#unsubscribe();
    this.#loop.deactivate();
    await this.#log.close();
    clearInterval(this.#keepAlive);
  }

  // ---------------------------------------------------------------- internals

  #onLeadership(change: LeadershipChange): void {
    this.#term = change.term;
    if (this.#closing === undefined) {
      if (change.isLeader) this.#loop.activate(change.term);
      else if (this.#loop.active) this.#loop.deactivate();
    }
    if (!this.#replaying) this.#emit('leader:changed', { leader: change.leader, isLeader: change.isLeader, term: change.term });
  }

  #onEffect(effect: StateEffect): void {
    switch (effect.type) {
      case 'wake':
        this.#loop.wake(effect.jobId, effect.at);
        return;
      case 'executionStarted':
        if (this.#replaying) return;
        if (effect.execution.nodeId === this.nodeId && this.#closing === undefined) this.#executor.start(effect.execution, effect.job);
        this.#emitIfHeard('execution:started', effect.execution);
        return;
      case 'executionFinished':
        // The log ended an attempt this node still runs (another node's decision): let it go.
        if (this.#executor.isRunning(effect.execution.id)) this.#executor.abort(effect.execution.id, 'finished');
        if (!this.#replaying) this.#emitFinished(effect.execution, effect.final, effect.retryAt);
        return;
      case 'executionAborted':
        this.#executor.abort(effect.executionId, 'cancelled');
        if (!this.#replaying && effect.reason === 'deleted') this.#emitIfHeard('execution:cancelled', effect.execution);
        return;
      case 'occurrenceSkipped':
      case 'occurrenceMissed': {
        if (this.#replaying) return;
        const event = effect.type === 'occurrenceSkipped' ? 'occurrence:skipped' : 'occurrence:missed';
        if (this.#emitter.listenerCount(event) === 0) return;
        this.#emit(event, { jobId: effect.jobId, scheduledAt: effect.scheduledAt, recordedAt: effect.recordedAt, reason: effect.reason, count: effect.count });
        return;
      }
      case 'jobCreated':
      case 'jobUpdated':
      case 'jobCancelled':
      case 'jobPaused':
      case 'jobResumed': {
        if (this.#replaying) return;
        const event = JOB_EVENTS[effect.type];
        if (this.#emitter.listenerCount(event) === 0) return;
        const job = this.#state.getJob(effect.jobId);
        if (job !== undefined) this.#emit(event, job);
        return;
      }
      case 'jobDeleted':
        if (!this.#replaying) this.#emitIfHeard('job:deleted', { jobId: effect.jobId, reason: effect.reason });
        return;
      default:
        return;
    }
  }

  #emitIfHeard<K extends SchedulerEventName>(event: K, ...args: SchedulerEvents[K]): void {
    if (this.#emitter.listenerCount(event) > 0) this.#emit(event, ...args);
  }

  #emitFinished(execution: Execution, final: boolean, retryAt: number | undefined): void {
    const outcome: AttemptOutcome = retryAt === undefined ? { final } : { final, retryAt };
    switch (execution.status) {
      case 'completed':
        this.#emitIfHeard('execution:completed', execution);
        break;
      case 'failed':
        this.#emitIfHeard('execution:failed', execution, outcome);
        break;
      case 'timeout':
        this.#emitIfHeard('execution:timeout', execution, outcome);
        break;
      case 'cancelled':
        this.#emitIfHeard('execution:cancelled', execution);
        break;
      default:
        break;
    }
    if (retryAt !== undefined) this.#emitIfHeard('execution:retrying', execution, retryAt);
  }

  /**
   * A retry of a call that may have committed: when a job with `spec.id` exists, the spec is read
   * as of that job's creation, so an identical re-send returns the job even after its time passed
   * (instead of "in the past"); a different one still meets the conflict check in `apply`.
   */
  #resend(spec: JobSpec): JobDefinition | undefined {
    const id = typeof spec === 'object' && spec !== null ? spec.id : undefined;
    const existing = typeof id === 'string' ? this.#state.getJob(id) : undefined;
    if (existing === undefined) return undefined;
    try {
      return this.#normalize(spec, existing.createdAt);
    } catch {
      return undefined;
    }
  }

  #normalize(spec: JobSpec, now: number): JobDefinition {
    if (typeof spec !== 'object' || spec === null) throw new ValidationError('INVALID_FIELD', 'spec', 'must be an object');
    return normalizeJobSpec(spec, this.#validationContext(now, spec.id ?? generateId()));
  }

  #validationContext(now: number, id: string): NormalizeContext {
    return {
      now,
      id,
      defaults: this.#o.jobDefaults,
      handlerExists: this.#handlerExists,
      allowPrivateWebhooks: this.#o.webhookAllowPrivate,
    };
  }

  #limits() {
    return { maxJobs: this.#o.maxJobs, maxMemoryBytes: this.#o.maxMemoryBytes };
  }

  async #submit(command: Command): Promise<Exclude<ApplyResult, { ok: false }>> {
    const result = (await this.#log.propose(encodeCommand(command))) as ApplyResult;
    if (!result.ok) throw rejectionError(result.rejected);
    return result;
  }

  async #beforeRead(options: ReadOptions | undefined): Promise<void> {
    if (options?.consistent === true) {
      this.#assertOpen();
      await this.#log.readIndex();
    }
  }

  #assertOpen(): void {
    if (this.#closing !== undefined) throw new ClosedError();
  }
}

const JOB_EVENTS = {
  jobCreated: 'job:created',
  jobUpdated: 'job:updated',
  jobCancelled: 'job:cancelled',
  jobPaused: 'job:paused',
  jobResumed: 'job:resumed',
} as const;

/** Maps a state rejection onto the public typed errors. */
function rejectionError(r: RejectionInfo): SchedulerError {
  switch (r.code) {
    case 'JOB_NOT_FOUND':
      return new JobNotFoundError(r.jobId);
    case 'JOB_CONFLICT':
      return new JobConflictError(r.jobId);
    case 'CAPACITY':
      return new CapacityError(r.type, r.current, r.limit, r.requested);
    case 'INVALID_STATE':
      return new InvalidStateError(r.message);
    case 'INVALID_DEFINITION':
      return new ValidationError('INVALID_FIELD', 'spec', r.message);
    default:
      return new SchedulerError(r.code, r.message);
  }
}

function unexpected(result: ApplyResult): Error {
  return new SchedulerError('INTERNAL', `unexpected apply result: ${result.ok ? result.type : result.rejected.code}`);
}

async function withTimeout(promise: Promise<unknown>, clock: { setTimeout(fn: () => void, ms: number): unknown; clearTimeout(h: unknown): void }, ms: number): Promise<void> {
  let timer: unknown;
  await Promise.race([promise, new Promise<void>((resolve) => (timer = clock.setTimeout(resolve, ms)))]);
  clock.clearTimeout(timer);
}
