/**
 * The data of the state machine and the bookkeeping every mutation shares: the job map and its
 * creation-order listing, incremental counts and memory estimate, the set of running attempts,
 * and the buffer of effects. The `apply-*` modules mutate jobs only through these helpers, so
 * the counts cannot drift from the records.
 */
import type { ExecutionStatus, JobStatus } from '../model.js';
import { wakeOf } from './derive.js';
import { executionBytes, RUN_BYTES, SKIP_BYTES } from './estimate.js';
import { OptionsTable, StringInterner } from './intern.js';
import { JobRun, SkipRecord, type ExecutionRecord, type JobRecord, type NodeRecord, type Occurrence } from './records.js';
import type { RejectionInfo, Rejection, StateEffect } from './types.js';
import type { SkippedOccurrence } from '../model.js';

/** Mutable counters behind `counts().executions`. */
export interface ExecutionTally {
  completed: number;
  failed: number;
  timeout: number;
  cancelled: number;
  inProgress: number;
}

/** Compact the listing once this many of its slots belong to removed jobs (and they are half of it). */
const COMPACT_MIN_DEAD = 1024;

/** The whole replicated state plus the effect buffer of the command being applied. */
export class Store {
  readonly jobs = new Map<string, JobRecord>();
  /** Jobs in creation order (`seq` ascending), removed ones included until the next compaction. */
  order: JobRecord[] = [];
  /** Slots of `order` whose job was removed. */
  orderDead = 0;
  /** Jobs ever created: the next job's `seq`. */
  seq = 0;
  estimatedBytes = 0;
  readonly byStatus: Record<JobStatus, number> = { pending: 0, in_progress: 0, completed: 0, failed: 0, cancelled: 0, timeout: 0 };
  readonly executions: ExecutionTally = { completed: 0, failed: 0, timeout: 0, cancelled: 0, inProgress: 0 };
  /** Attempts in progress, in start order. */
  readonly running = new Set<ExecutionRecord>();
  /** Timed-out attempts whose handler may still run (their retries wait), so a node's end settles them without a scan. */
  readonly held = new Set<ExecutionRecord>();
  /** The node registry: who may run attempts, with which handlers, in which life. */
  readonly nodes = new Map<string, NodeRecord>();
  lastExecutedAt: number | undefined = undefined;
  readonly options = new OptionsTable();
  readonly strings = new StringInterner();
  /** Effects of the command being applied; delivered (and replaced) when it is done. */
  effects: StateEffect[] = [];
  /** Whether anyone listens: effects (and the views inside them) are only built then. */
  readonly listening: boolean;
  /**
   * Per job: occurrence time → its stored attempts. A lookup aid kept in step with every change
   * of a job's history (adding, trimming, pruning, removal); derived, so never hashed.
   */
  readonly #index = new Map<JobRecord, Map<number, ExecutionRecord[]>>();

  constructor(listening: boolean) {
    this.listening = listening;
  }

  /** Queues an effect (callers build it only when {@link listening}). */
  emit(effect: StateEffect): void {
    this.effects.push(effect);
  }

  /** Emits `wake` when the job's wake time is no longer `before`. */
  noteWake(job: JobRecord, before: number | undefined): void {
    if (!this.listening) return;
    const at = wakeOf(job);
    if (at !== before) this.emit({ type: 'wake', jobId: job.id, at });
  }

  /** Whether `job` is the stored job of its id (a listing slot may hold a removed one). */
  isLive(job: JobRecord): boolean {
    return this.jobs.get(job.id) === job;
  }

  /** Adds a new job (its `bytes` already set to its definition's share). */
  insert(job: JobRecord): void {
    job.seq = this.seq++;
    this.jobs.set(job.id, job);
    this.order.push(job);
    this.byStatus[job.status]++;
    this.estimatedBytes += job.bytes;
  }

  /** Removes a job with its history, releasing everything it counted for. */
  remove(job: JobRecord): void {
    const run = job.run;
    if (run?.executions !== undefined) {
      for (const e of run.executions) {
        this.countExecution(e.status, -1);
        if (e.status === 'in_progress') this.running.delete(e);
        this.held.delete(e);
      }
    }
    this.byStatus[job.status]--;
    this.estimatedBytes -= job.bytes;
    this.options.release(job.opts);
    this.jobs.delete(job.id);
    this.#index.delete(job);
    job.run = undefined;
    this.orderDead++;
    if (this.orderDead >= COMPACT_MIN_DEAD && this.orderDead * 2 >= this.order.length) this.compact();
  }

  /** Undoes the creation of the jobs at `order[from..]` (a `createJobs` that must not happen). */
  rollback(from: number): void {
    if (from >= this.order.length) return;
    this.seq = (this.order[from] as JobRecord).seq;
    for (let i = this.order.length - 1; i >= from; i--) {
      const job = this.order[i] as JobRecord;
      this.byStatus[job.status]--;
      this.estimatedBytes -= job.bytes;
      this.options.release(job.opts);
      this.jobs.delete(job.id);
    }
    this.order.length = from;
  }

  /** Drops the listing slots of removed jobs. */
  compact(): void {
    this.order = this.order.filter((job) => this.isLive(job));
    this.orderDead = 0;
  }

  /** Moves the job to `status`, keeping `byStatus` right. */
  setStatus(job: JobRecord, status: JobStatus): void {
    if (job.status === status) return;
    this.byStatus[job.status]--;
    this.byStatus[status]++;
    job.status = status;
  }

  /** Changes the job's share of the memory estimate. */
  addBytes(job: JobRecord, delta: number): void {
    job.bytes += delta;
    this.estimatedBytes += delta;
  }

  /** The job's run record, created (and counted) on first need. */
  ensureRun(job: JobRecord): JobRun {
    let run = job.run;
    if (run === undefined) {
      run = new JobRun();
      job.run = run;
      this.addBytes(job, RUN_BYTES);
    }
    return run;
  }

  /** Adjusts the execution tally for one execution entering (+1) or leaving (-1) `status`. */
  countExecution(status: ExecutionStatus, delta: number): void {
    if (status === 'in_progress') this.executions.inProgress += delta;
    else this.executions[status] += delta;
  }

  /** Stores a new attempt (in progress) in the job's history. */
  addExecution(job: JobRecord, e: ExecutionRecord): void {
    const run = this.ensureRun(job);
    if (run.executions === undefined) run.executions = [e];
    else run.executions.push(e);
    this.addBytes(job, executionBytes(e));
    this.countExecution('in_progress', 1);
    this.running.add(e);
    let byTime = this.#index.get(job);
    if (byTime === undefined) this.#index.set(job, (byTime = new Map<number, ExecutionRecord[]>()));
    const attempts = byTime.get(e.scheduledAt);
    if (attempts === undefined) byTime.set(e.scheduledAt, [e]);
    else attempts.push(e);
    if (this.lastExecutedAt === undefined || e.startedAt > this.lastExecutedAt) this.lastExecutedAt = e.startedAt;
  }

  /** Records the end of a running attempt (its fields other than status already set or about to be). */
  endExecution(
    job: JobRecord,
    e: ExecutionRecord,
    status: Exclude<ExecutionStatus, 'in_progress'>,
    now: number,
    error: string | undefined,
  ): void {
    const before = executionBytes(e);
    e.status = status;
    e.endedAt = now;
    e.error = error;
    this.addBytes(job, executionBytes(e) - before);
    this.countExecution('in_progress', -1);
    this.countExecution(status, 1);
    this.running.delete(e);
  }

  /** The stored attempt `attempt` of the occurrence at `scheduledAt`. */
  findExecution(job: JobRecord, scheduledAt: number, attempt: number): ExecutionRecord | undefined {
    const attempts = this.#index.get(job)?.get(scheduledAt);
    if (attempts === undefined) return undefined;
    for (let i = 0; i < attempts.length; i++) if ((attempts[i] as ExecutionRecord).attempt === attempt) return attempts[i];
    return undefined;
  }

  /** Whether any attempt of the occurrence at `scheduledAt` is stored. */
  hasOccurrence(job: JobRecord, scheduledAt: number): boolean {
    return this.#index.get(job)?.has(scheduledAt) === true;
  }

  /**
   * Forgets a finished attempt the caller has just taken out of the job's history (pruning,
   * trimming): its count, its bytes and its index entry.
   */
  dropExecution(job: JobRecord, e: ExecutionRecord): void {
    this.countExecution(e.status, -1);
    this.addBytes(job, -executionBytes(e));
    const byTime = this.#index.get(job);
    const attempts = byTime?.get(e.scheduledAt);
    if (byTime === undefined || attempts === undefined) return;
    const i = attempts.indexOf(e);
    if (i >= 0) attempts.splice(i, 1);
    if (attempts.length === 0) byTime.delete(e.scheduledAt);
    if (byTime.size === 0) this.#index.delete(job);
  }

  /** Records a skipped or missed occurrence. */
  addSkip(job: JobRecord, scheduledAt: number, now: number, reason: SkippedOccurrence['reason']): void {
    const run = this.ensureRun(job);
    const record = new SkipRecord(scheduledAt, now, reason);
    if (run.skipped === undefined) run.skipped = [record];
    else run.skipped.push(record);
    this.addBytes(job, SKIP_BYTES);
  }

  /** Adds an occurrence to the job's active list. */
  activate(job: JobRecord, occ: Occurrence): void {
    const run = this.ensureRun(job);
    if (run.active === undefined) run.active = [occ];
    else run.active.push(occ);
  }

  /** Takes the occurrence off the active list once nothing runs, waits or holds for it. */
  retireIfIdle(job: JobRecord, occ: Occurrence): void {
    if (occ.running !== undefined || occ.retryAt !== undefined || occ.held !== undefined) return;
    const run = job.run;
    const active = run?.active;
    if (run === undefined || active === undefined) return;
    const i = active.indexOf(occ);
    if (i < 0) return;
    if (active.length === 1) run.active = undefined;
    else active.splice(i, 1);
  }
}

/** A rejection result. */
export function reject(info: RejectionInfo): Rejection {
  return { ok: false, rejected: info };
}
