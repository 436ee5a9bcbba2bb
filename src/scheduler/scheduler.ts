/**
 * The public facade: `Scheduler` is what applications hold. Every mutation is a command submitted
 * through the {@link CommandPort}; a call resolves once its command is committed and applied here
 * (durable on a majority). Reads come from this node's replica; pass `{ consistent: true }` to
 * confirm with the leader first (linearizable). The parts are built and started by
 * `createScheduler` (create.ts), the composition root.
 */
import type { ReplicatedLog } from '../raft/index.js';
import { holdProcess, type ProcessHold } from '../util/process-hold.js';
import type { CompleteClock } from '../util/clock.js';
import { generateId } from '../util/ids.js';
import { storageOrLogError, translateLogError, type CommandPort } from './command-port.js';
import type { EffectRouter } from './effect-router.js';
import { ClosedError, InvalidStateError, JobNotFoundError, ValidationError } from './errors.js';
import type { EventHub } from './event-hub.js';
import type { SchedulerEventName, SchedulerListener as Listener } from './events.js';
import type { CommandBatcher } from './command-batcher.js';
import type { Executor, Handler } from './executor.js';
import { schedulerHealth, schedulerStats } from './health.js';
import type { LeaderLoop } from './leader-loop.js';
import type { NodeMembership } from './membership.js';
import type { Execution, Job, JobSpec, JobStatusInfo, SkippedOccurrence } from './model.js';
import type { ResolvedOptions } from './options.js';
import { startCommand } from './state/decide.js';
import type { SchedulerState } from './state/index.js';
import type { JobDefinition } from './state/commands.js';
import type { HealthOptions, JobListPage, JobUpdate, ListOptions, ReadOptions, SchedulerHealth, SchedulerStats } from './types.js';
import { normalizeJobPatch, normalizeJobSpec, type NormalizeContext } from './validate.js';
import { plainObjectField } from './fields.js';
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT } from './limits.js';
import {
  checkCancelReason,
  checkEventName,
  checkFunction,
  checkHandlerName,
  checkHealthOptions,
  checkJobId,
  checkListOptions,
  checkReadOptions,
  encodeCursor,
} from './validate-args.js';

/** A module that imported `createScheduler` from here before the composition root had a file of its own keeps working. */
export { createScheduler } from './create.js';

/**
 * The running parts a {@link Scheduler} fronts, built and started by `createScheduler`.
 * @internal
 */
export interface SchedulerParts {
  readonly options: ResolvedOptions;
  readonly log: ReplicatedLog;
  readonly state: SchedulerState;
  readonly events: EventHub;
  /** Handlers by name, shared with the executor so `handle`/`unhandle` take effect at once. */
  readonly handlers: Map<string, Handler>;
  readonly port: CommandPort;
  readonly batcher: CommandBatcher;
  readonly executor: Executor;
  readonly loop: LeaderLoop;
  readonly router: EffectRouter;
  /** This node's registration (life, handlers) and lease. */
  readonly membership: NodeMembership;
  /** Ends the router's leadership subscription. */
  readonly unsubscribe: () => void;
  /** The handle that keeps the process alive while the scheduler is open (`keepAlive`). */
  readonly keepAlive: ProcessHold | undefined;
}

/**
 * A scheduler node. Obtain one with `createScheduler`; register handlers with
 * {@link Scheduler.handle}; schedule with {@link Scheduler.schedule}; close with
 * {@link Scheduler.close} (or `await using`).
 *
 * Besides the errors each method names, a write (and a `{ consistent: true }` read) rejects with
 * `NoLeaderError` during an election, `TimeoutError` when it was not applied in time (its outcome
 * is then unknown), `ClosedError` once closed, and `StorageError` when the node's storage failed;
 * every failure is a `SchedulerError` with a stable `code`.
 */
export class Scheduler {
  /** This node's id. */
  readonly nodeId: string;
  readonly #o: ResolvedOptions;
  readonly #log: ReplicatedLog;
  readonly #state: SchedulerState;
  readonly #events: EventHub;
  readonly #handlers: Map<string, Handler>;
  /** Made once: validation asks it for every spec of a bulk call. */
  readonly #handlerExists = (name: string): boolean => this.#handlers.has(name);
  readonly #port: CommandPort;
  readonly #batcher: CommandBatcher;
  readonly #executor: Executor;
  readonly #loop: LeaderLoop;
  readonly #router: EffectRouter;
  readonly #membership: NodeMembership;
  readonly #unsubscribe: () => void;
  readonly #keepAlive: ProcessHold | undefined;
  #closing: Promise<void> | undefined;

  /**
   * @internal Use `createScheduler`, which builds and starts the parts.
   * @param parts - the started runtime.
   */
  constructor(parts: SchedulerParts) {
    this.#o = parts.options;
    this.nodeId = parts.options.nodeId;
    this.#log = parts.log;
    this.#state = parts.state;
    this.#events = parts.events;
    this.#handlers = parts.handlers;
    this.#port = parts.port;
    this.#batcher = parts.batcher;
    this.#executor = parts.executor;
    this.#loop = parts.loop;
    this.#router = parts.router;
    this.#membership = parts.membership;
    this.#unsubscribe = parts.unsubscribe;
    this.#keepAlive = parts.keepAlive;
  }

  // ---------------------------------------------------------------- events

  /** Adds a listener (see `SchedulerEvents` for names and arguments). */
  on<K extends SchedulerEventName>(event: K, listener: Listener<K>): this {
    checkEventName(event);
    checkFunction(listener, 'listener');
    this.#events.on(event, listener);
    return this;
  }

  /** Adds a listener that is removed after its first call. */
  once<K extends SchedulerEventName>(event: K, listener: Listener<K>): this {
    checkEventName(event);
    checkFunction(listener, 'listener');
    this.#events.once(event, listener);
    return this;
  }

  /** Removes one registration of `listener` for `event`, or every listener of `event` when `listener` is absent. */
  off<K extends SchedulerEventName>(event: K, listener?: Listener<K>): this {
    checkEventName(event);
    if (listener !== undefined) checkFunction(listener, 'listener');
    this.#events.off(event, listener);
    return this;
  }

  /** How many listeners `event` has. */
  listenerCount(event: SchedulerEventName): number {
    checkEventName(event);
    return this.#events.listenerCount(event);
  }

  // ---------------------------------------------------------------- handlers

  /**
   * Registers `handler` under `name` (replacing any previous one). Jobs name it in `handler`.
   * The cluster hands this node jobs of `name` once the registration (proposed on the next turn)
   * is applied; until then they run on a node that has the handler, or wait. Throws
   * {@link ValidationError} for a name a job could not carry (1-200 characters) or a handler that
   * is not a function.
   */
  handle(name: string, handler: Handler): this {
    checkHandlerName(name);
    checkFunction(handler, 'handler');
    const known = this.#handlers.has(name);
    this.#handlers.set(name, handler);
    if (!known) this.#membership.changed();
    return this;
  }

  /** Removes the handler registered under `name`; returns whether there was one. Its jobs go to other nodes from then on. */
  unhandle(name: string): boolean {
    checkHandlerName(name);
    const removed = this.#handlers.delete(name);
    if (removed) this.#membership.changed();
    return removed;
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
    const result = await this.#port.submit({ type: 'createJobs', now, jobs: [definition], limits: this.#limits() });
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
        throw error instanceof ValidationError ? error.withFieldPrefix(`[${i}]`) : error;
      }
      jobs[i] = definition;
      ids[i] = definition.id;
    }
    await this.#port.submit({ type: 'createJobs', now, jobs, limits: this.#limits() });
    return ids;
  }

  /**
   * Changes a job in place: schedule, payload, handler/webhook or options (fields absent are
   * kept). The kind (`at` vs `cron`) cannot change. Resolves with the updated job.
   *
   * Only the fields given are written, merged into the job as it stands when the change
   * commits: concurrent updates of different fields all take effect (of two that set the same
   * field, the later in the log wins). A payload or options change never moves, drops or
   * re-runs an occurrence. A schedule change (`at`, `cron`, `timezone`, `startAt`, `endAt`) of a
   * cron job continues from the new schedule's first occurrence after now (never one already
   * started or queued); an occurrence that was due but not started yet is recorded as skipped
   * with reason `rescheduled`. A merge the job cannot hold (say, `endAt` before a `startAt` set
   * concurrently) throws a {@link ValidationError} naming the field.
   */
  async update(id: string, patch: JobUpdate): Promise<Job> {
    checkJobId(id);
    plainObjectField(patch, 'patch');
    this.#assertOpen();
    // Read as of the latest commit so that a job created a moment ago through another node is
    // found, and the patch is checked against what the job is now. Correctness does not rest on
    // it: only the changed fields are proposed, and apply merges them into the job as it stands
    // then (a job deleted meanwhile is refused there).
    await this.#beforeRead({ consistent: true });
    const current = this.#state.getDefinition(id);
    if (current === undefined) throw new JobNotFoundError(id);
    const now = this.#o.clock.now();
    const changes = normalizeJobPatch(current, patch, this.#validationContext(now, id));
    const result = await this.#port.submit({ type: 'updateJob', now, jobId: id, patch: changes });
    return result.job;
  }

  /**
   * Cancels a job: a running attempt's signal is aborted and no further occurrence runs. Throws
   * {@link JobNotFoundError}, or {@link InvalidStateError} for a finished one-shot or a job
   * already cancelled; {@link ValidationError} for a `reason` longer than 1000 characters.
   */
  async cancel(id: string, reason?: string): Promise<Job> {
    checkJobId(id);
    checkCancelReason(reason);
    this.#assertOpen();
    const now = this.#o.clock.now();
    const result = await this.#port.submit({ type: 'cancelJob', now, jobId: id, ...(reason !== undefined && { reason }) });
    return result.job;
  }

  /** Deletes a job and its history (a running attempt is aborted). Throws {@link JobNotFoundError}. */
  async delete(id: string): Promise<void> {
    checkJobId(id);
    this.#assertOpen();
    await this.#port.submit({ type: 'deleteJob', now: this.#o.clock.now(), jobId: id });
  }

  /** Pauses a job: no occurrence starts until {@link Scheduler.resume} (a running attempt continues). */
  async pause(id: string): Promise<Job> {
    checkJobId(id);
    this.#assertOpen();
    const result = await this.#port.submit({ type: 'pauseJob', now: this.#o.clock.now(), jobId: id });
    return result.job;
  }

  /**
   * Resumes a paused job. A cron job picks its schedule up from now (occurrences that fell due
   * during the pause do not run); a one-shot whose time passed meanwhile runs now, late.
   */
  async resume(id: string): Promise<Job> {
    checkJobId(id);
    this.#assertOpen();
    const result = await this.#port.submit({ type: 'resumeJob', now: this.#o.clock.now(), jobId: id });
    return result.job;
  }

  /**
   * Runs one extra occurrence of the job now, without moving its schedule: on this node when it
   * has the job's handler (or the job is a webhook), else on a node that has it; rejects with
   * {@link InvalidStateError} when no node in contact has it registered. The
   * overlap policy is decided when the trigger is applied, against the replicated state (so a
   * trigger racing the timer cannot slip past it): while any occurrence of the job is active
   * (running, waiting for a retry, or held), `skip` and `queue-one` refuse the trigger and it
   * resolves `undefined` — a `queue-one` job's queue slot belongs to its schedule, and a refused
   * trigger is not recorded as a skipped occurrence. With `allow` it runs alongside. Otherwise
   * resolves with the started execution.
   *
   * The manual occurrence's time (`scheduledAt`, and so its execution id `job@<ms>#1` and
   * idempotency key `job@<ms>`) is the first millisecond at or after now that no other
   * occurrence of the job has or may get: two triggers in the same millisecond are two
   * occurrences, and a trigger at the instant of a scheduled occurrence takes the next
   * millisecond (the scheduled occurrence then meets it under the overlap policy).
   */
  async trigger(id: string): Promise<Execution | undefined> {
    checkJobId(id);
    this.#assertOpen();
    // The start names this life and needs the registry to list the handler here: a handle()
    // just made must have reached the log first (bounded: without a quorum the start fails anyway).
    await withTimeout(this.#membership.registered(), this.#o.clock, REGISTRATION_WAIT_MS);
    // This node when it has the handler, else one that has it: a trigger never burns an attempt on
    // "no handler". The job, or a registration naming its handler, may be a moment old and not
    // applied here yet: ask again as of the latest commit before refusing.
    let runner = this.#state.runnerFor(id, this.nodeId, this.#membership.incarnation);
    if (runner === undefined) {
      await this.#beforeRead({ consistent: true });
      if (this.#state.getJob(id) === undefined) throw new JobNotFoundError(id);
      runner = this.#state.runnerFor(id, this.nodeId, this.#membership.incarnation);
    }
    const now = this.#o.clock.now();
    const o = this.#o;
    if (runner === undefined) throw new InvalidStateError(`No node can run job ${id} now: none has its handler registered`);
    const terms = { term: this.#router.term, missedThresholdMs: o.missedThresholdMs };
    // An extra occurrence at `now` (apply picks the free millisecond), attempt 1, that does not move the schedule.
    const command = startCommand(id, now, 1, now, runner.nodeId, runner.incarnation, terms);
    const result = await this.#port.submit({ ...command, manual: true, historyLimit: o.historyLimit });
    return result.outcome === 'started' ? result.execution : undefined;
  }

  // ---------------------------------------------------------------- reads

  /** The job, or `undefined` when there is no job with that id. */
  async get(id: string, options?: ReadOptions): Promise<Job | undefined> {
    checkJobId(id);
    checkReadOptions(options);
    await this.#beforeRead(options);
    return this.#state.getJob(id);
  }

  /** The job's status view. Throws {@link JobNotFoundError}. */
  async status(id: string, options?: ReadOptions): Promise<JobStatusInfo> {
    checkJobId(id);
    checkReadOptions(options);
    await this.#beforeRead(options);
    const status = this.#state.getStatus(id);
    if (status === undefined) throw new JobNotFoundError(id);
    return status;
  }

  /** Every recorded attempt of the job, oldest first. Throws {@link JobNotFoundError}. */
  async executions(id: string, options?: ReadOptions): Promise<Execution[]> {
    checkJobId(id);
    checkReadOptions(options);
    await this.#beforeRead(options);
    const executions = this.#state.getExecutions(id);
    if (executions === undefined) throw new JobNotFoundError(id);
    return executions;
  }

  /** Occurrences of the job that did not run (overlap, catch-up, missed). Throws {@link JobNotFoundError}. */
  async skipped(id: string, options?: ReadOptions): Promise<SkippedOccurrence[]> {
    checkJobId(id);
    checkReadOptions(options);
    await this.#beforeRead(options);
    const skipped = this.#state.getSkipped(id);
    if (skipped === undefined) throw new JobNotFoundError(id);
    return skipped;
  }

  /**
   * Jobs in creation order, optionally only those in `status` (all of them unless `limit` is
   * given). See {@link Scheduler.page} for paging. Throws {@link ValidationError} for an unknown
   * status, a `limit` that is not a positive integer, or a cursor `page` did not issue.
   */
  async list(options?: ListOptions): Promise<Job[]> {
    const checked = checkListOptions(options, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    return (await this.#page(checked)).jobs;
  }

  /**
   * One page of jobs in creation order (default 100, at most 1000), with a cursor to the next.
   * Throws {@link ValidationError} for an unknown status, a `limit` outside 1-1000, or a cursor
   * it did not issue.
   */
  async page(options?: ListOptions): Promise<JobListPage> {
    return this.#page(checkListOptions(options, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT));
  }

  async #page(options: ListOptions & { readonly limit: number }): Promise<JobListPage> {
    await this.#beforeRead(options);
    const page = this.#state.listJobs({
      limit: options.limit,
      ...(options.status !== undefined && { status: options.status }),
      ...(options.cursor !== undefined && { cursor: options.cursor }),
    });
    return page.nextCursor === undefined ? page : { ...page, nextCursor: encodeCursor(page.nextCursor) };
  }

  // ---------------------------------------------------------------- cluster

  /**
   * Whether this node's lease on its attempts holds (always, alone): while it has lapsed, nothing
   * is started here and what ran was aborted.
   * @internal For the simulator's checker.
   */
  get inContact(): boolean {
    return this.#membership.inContact;
  }

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
    return schedulerStats({
      nodeId: this.nodeId,
      isLeader: this.#log.isLeader(),
      leader: this.#log.leader(),
      counts: this.#state.counts(),
      maxJobs: this.#o.maxJobs,
      maxMemoryBytes: this.#o.maxMemoryBytes,
      runningHere: this.#executor.size,
      queued: this.#loop.pending,
    });
  }

  /** {@link Scheduler.stats} with the health verdict of `GET /health`. */
  health(options?: HealthOptions): SchedulerHealth {
    return schedulerHealth(this.stats(), checkHealthOptions(options));
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
    this.#router.closing = true;
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
    const hold = holdProcess();
    try {
      await this.#shutdown();
    } finally {
      hold.release();
    }
  }

  async #shutdown(): Promise<void> {
    const clock = this.#o.clock;
    const grace = this.#o.closeGraceMs;
    this.#loop.deactivate();
    // Hand over first, so the next leader fires what falls due while this node winds down.
    if (this.#o.voters.length > 1 && this.#log.isLeader()) {
      await withTimeout(
        this.#log.transferLeadership().catch(() => {}),
        clock,
        grace,
      );
    }
    // What runs gets the grace, then is aborted; what waited for a slot never ran: both are
    // reported interrupted (retried at once elsewhere, not spent).
    await this.#executor.drain(grace);
    // Give the last finishes a chance to land; they are retried, so bound the wait.
    await withTimeout(this.#batcher.whenIdle(), clock, grace);
    this.#membership.stop();
    // Last: whatever the log still gives this life (a start that committed while closing, an
    // attempt whose handler ignored its signal) ends as interrupted, so the next leader runs it
    // now. If the cluster cannot take it, the lease expires it instead.
    await withTimeout(
      this.#port.propose(this.#membership.leaveCommand()).catch(() => {}),
      clock,
      grace,
    );
    this.#batcher.close();
    this.#unsubscribe();
    this.#loop.deactivate();
    this.#keepAlive?.release();
    try {
      await this.#log.close();
    } catch (error) {
      throw storageOrLogError(error, 'closing the log');
    }
  }

  // ---------------------------------------------------------------- internals

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

  #limits(): { maxJobs: number; maxMemoryBytes: number } {
    return { maxJobs: this.#o.maxJobs, maxMemoryBytes: this.#o.maxMemoryBytes };
  }

  async #beforeRead(options: ReadOptions | undefined): Promise<void> {
    if (options?.consistent === true) {
      this.#assertOpen();
      // Awaited inline: a helper would add a turn before every consistent read continues.
      try {
        await this.#log.readIndex();
      } catch (error) {
        throw translateLogError(error);
      }
    }
  }

  #assertOpen(): void {
    if (this.#closing !== undefined) throw new ClosedError();
  }
}

/** Longest `trigger()` waits for this node's pending registration to be applied. */
const REGISTRATION_WAIT_MS = 5000;

async function withTimeout(promise: Promise<unknown>, clock: CompleteClock, ms: number): Promise<void> {
  let timer: unknown;
  await Promise.race([promise, new Promise<void>((resolve) => (timer = clock.setTimeout(resolve, ms)))]);
  clock.clearTimeout(timer);
}
