/**
 * {@link SchedulerState}: the scheduler's replicated state machine. `apply` is a pure,
 * deterministic function of the state and the command — no clock, no randomness (the command
 * carries `now` and its random draws), no I/O — so every replica that applies the same log holds
 * the same state, which {@link SchedulerState.hash} proves.
 */
import { ValidationError } from '../errors.js';
import type { Execution, Job, JobStatusInfo, SkippedOccurrence } from '../model.js';
import type { Command, JobDefinition } from './commands.js';
import { applyCreate } from './apply-create.js';
import { applyFinish, applySettle } from './apply-finish.js';
import { applyCancel, applyDelete, applyPause, applyUpdate } from './apply-lifecycle.js';
import { applyExpire, applyLeave, applyRegister, applyRenew } from './apply-nodes.js';
import { applyPrune } from './apply-prune.js';
import { applyStart } from './apply-start.js';
import { decide, pickRunner } from './decide.js';
import { wakeOf } from './derive.js';
import { hashStore, serializeStore } from './hash.js';
import type { JobRecord, NodeRecord } from './records.js';
import { reject, Store } from './store.js';
import type { ApplyResult, DecideContext, JobPage, ListJobsOptions, NodeInfo, ResultOf, StateCounts, StateEffect } from './types.js';
import { definitionView, executionView, jobView, parseExecutionId, skippedView, statusView } from './views.js';

/** Cursors are the creation sequence number of the last job of a page, in base 36. */
const CURSOR_PATTERN = /^[0-9a-z]{1,11}$/;

/** The scheduler's replicated state machine. */
export class SchedulerState {
  readonly #store: Store;
  readonly #listener: ((effect: StateEffect) => void) | undefined;

  /**
   * @param listener - Receives the effects of each applied command, after the command (a whole
   *   `batch` included) is applied. It must not throw; the state is already updated when it runs.
   */
  constructor(listener?: (effect: StateEffect) => void) {
    this.#listener = listener;
    this.#store = new Store(listener !== undefined);
  }

  /**
   * Applies one command. Never throws: a bad, stale or refused command gets a typed rejection
   * and changes nothing (a stale finish of a timed-out attempt still settles it).
   */
  apply<C extends Command>(command: C): ResultOf<C>;
  apply(command: Command): ApplyResult {
    const store = this.#store;
    let result: ApplyResult;
    try {
      result = this.#dispatch(command);
    } catch (error) {
      // Only a bug gets here. Every replica fails the same way on the same log, so they stay
      // equal; the command is reported instead of tearing down the log's apply loop.
      result = reject({ code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) });
    }
    const listener = this.#listener;
    if (listener !== undefined && store.effects.length > 0) {
      const effects = store.effects;
      store.effects = [];
      for (let i = 0; i < effects.length; i++) listener(effects[i] as StateEffect);
    }
    return result;
  }

  #dispatch(command: Command): ApplyResult {
    const store = this.#store;
    if (typeof command !== 'object' || command === null) return reject({ code: 'INVALID_COMMAND', message: 'not a command' });
    if (command.type === 'batch') {
      const commands = command.commands;
      if (!Array.isArray(commands)) return reject({ code: 'INVALID_COMMAND', message: 'batch needs commands' });
      const results = new Array<ApplyResult>(commands.length);
      for (let i = 0; i < commands.length; i++) results[i] = this.#dispatch(commands[i] as Command);
      return { ok: true, type: 'batch', results };
    }
    if (!Number.isFinite(command.now)) return reject({ code: 'INVALID_COMMAND', message: `${String(command.type)}: now must be a time` });
    switch (command.type) {
      case 'createJobs':
        return applyCreate(store, command);
      case 'startExecution':
        return applyStart(store, command);
      case 'finishExecution':
        return applyFinish(store, command);
      case 'settleExecution':
        return applySettle(store, command);
      case 'cancelJob':
        return applyCancel(store, command);
      case 'deleteJob':
        return applyDelete(store, command);
      case 'pauseJob':
      case 'resumeJob':
        return applyPause(store, command);
      case 'updateJob':
        return applyUpdate(store, command);
      case 'pruneHistory':
        return applyPrune(store, command);
      case 'registerNode':
        return applyRegister(store, command);
      case 'renewLease':
        return applyRenew(store, command);
      case 'expireNode':
        return applyExpire(store, command);
      case 'leaveNode':
        return applyLeave(store, command);
      default:
        return reject({ code: 'INVALID_COMMAND', message: `unknown command type ${String((command as { type?: unknown }).type)}` });
    }
  }

  /** The job, or `undefined` when there is none with that id. */
  getJob(id: string): Job | undefined {
    const job = this.#store.jobs.get(id);
    return job === undefined ? undefined : jobView(job);
  }

  /** The job's status view. */
  getStatus(id: string): JobStatusInfo | undefined {
    const job = this.#store.jobs.get(id);
    return job === undefined ? undefined : statusView(job);
  }

  /** The job's current definition. */
  getDefinition(id: string): JobDefinition | undefined {
    const job = this.#store.jobs.get(id);
    return job === undefined ? undefined : definitionView(job);
  }

  /** The job's stored attempts, in start order (`undefined`: no such job). */
  getExecutions(id: string): Execution[] | undefined {
    const job = this.#store.jobs.get(id);
    if (job === undefined) return undefined;
    const list = job.run?.executions;
    return list === undefined ? [] : list.map(executionView);
  }

  /** One stored attempt by its id. */
  getExecution(executionId: string): Execution | undefined {
    const key = parseExecutionId(executionId);
    if (key === undefined) return undefined;
    const job = this.#store.jobs.get(key.jobId);
    if (job === undefined) return undefined;
    const e = this.#store.findExecution(job, key.scheduledAt, key.attempt);
    return e === undefined ? undefined : executionView(e);
  }

  /** The job's recorded skipped and missed occurrences, oldest first. */
  getSkipped(id: string): SkippedOccurrence[] | undefined {
    const job = this.#store.jobs.get(id);
    if (job === undefined) return undefined;
    const list = job.run?.skipped;
    return list === undefined ? [] : list.map((s) => skippedView(job.id, s));
  }

  /**
   * A page of jobs in creation order, optionally of one status. Pages are cheap to resume (a
   * binary search by cursor); with a `status` filter a page scans until it has `limit` matches.
   *
   * @throws {@link ValidationError} `INVALID_FIELD` for a `cursor` this state never issued.
   */
  listJobs(options: ListJobsOptions): JobPage {
    const store = this.#store;
    const { status } = options;
    const limit = Math.max(0, Math.floor(options.limit));
    const total = status === undefined ? store.jobs.size : store.byStatus[status];
    const order = store.order;
    let i = 0;
    if (options.cursor !== undefined) {
      if (!CURSOR_PATTERN.test(options.cursor))
        throw new ValidationError('INVALID_FIELD', 'cursor', 'is not a cursor this scheduler issued');
      i = firstAfter(order, parseInt(options.cursor, 36));
    }
    const jobs: Job[] = [];
    let last: JobRecord | undefined;
    for (; i < order.length; i++) {
      const job = order[i] as JobRecord;
      if (!store.isLive(job) || (status !== undefined && job.status !== status)) continue;
      if (jobs.length === limit) {
        // One more match exists beyond this page.
        return last === undefined ? { jobs, total } : { jobs, nextCursor: last.seq.toString(36), total };
      }
      jobs.push(jobView(job));
      last = job;
    }
    return { jobs, total };
  }

  /** Sizes for health and capacity. */
  counts(): StateCounts {
    const store = this.#store;
    const counts: { -readonly [K in keyof StateCounts]: StateCounts[K] } = {
      jobs: store.jobs.size,
      estimatedBytes: store.estimatedBytes,
      byStatus: { ...store.byStatus },
      executions: { ...store.executions },
    };
    if (store.lastExecutedAt !== undefined) counts.lastExecutedAt = store.lastExecutedAt;
    return counts;
  }

  /** Every job that needs the leader's attention, and when (see {@link SchedulerState.wakeTime}). */
  *wakeTimes(): Iterable<[jobId: string, at: number]> {
    for (const job of this.#store.jobs.values()) {
      const at = wakeOf(job);
      if (at !== undefined) yield [job.id, at];
    }
  }

  /**
   * When the leader must next look at the job: its next occurrence, a retry or queued occurrence
   * that may start (a running or held attempt has none: its end wakes the job). `undefined`:
   * nothing until another command changes the job (every change is announced by a `wake` effect).
   */
  wakeTime(jobId: string): number | undefined {
    const job = this.#store.jobs.get(jobId);
    return job === undefined ? undefined : wakeOf(job);
  }

  /** Attempts in progress, in start order. */
  *inProgressExecutions(): Iterable<Execution> {
    for (const e of this.#store.running) yield executionView(e);
  }

  /**
   * What the leader should propose for a job whose wake time has come (pure; see `decide.ts`):
   * starts of due occurrences and retries, each on a node that can run it. Empty when nothing is
   * due or no node can run it (a `nodeChanged` effect tells when that may have changed).
   */
  decide(jobId: string, now: number, ctx: DecideContext): Command[] {
    return decide(this.#store.jobs.get(jobId), now, ctx, this.#store.nodes);
  }

  /**
   * The node that would run an attempt of `jobId` started by node `self` in life `life` — itself
   * when it can, else the node `decide` would pick — with the life the start must name; `undefined`
   * when there is no such job or no node can run it now.
   */
  runnerFor(jobId: string, self: string, life: string): { nodeId: string; incarnation: string } | undefined {
    const job = this.#store.jobs.get(jobId);
    const nodeId = job === undefined ? undefined : pickRunner(job, this.#store.nodes, self, life);
    return nodeId === undefined ? undefined : { nodeId, incarnation: (this.#store.nodes.get(nodeId) as NodeRecord).incarnation };
  }

  /** The node registry, in node id order. */
  nodes(): NodeInfo[] {
    const out: NodeInfo[] = [];
    for (const [nodeId, n] of this.#store.nodes) {
      out.push({ nodeId, incarnation: n.incarnation, handlers: n.handlers, renewals: n.renewals, available: n.available });
    }
    return out.sort((a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0));
  }

  /** SHA-256 (hex) of a canonical serialisation of the whole state: equal on replicas that applied the same log. */
  hash(): string {
    return hashStore(this.#store);
  }

  /** The canonical serialisation {@link SchedulerState.hash} digests (to diff replicas that disagree). */
  serialize(): string {
    return serializeStore(this.#store);
  }
}

/** Index of the first job in `order` created after the job with sequence number `seq`. */
function firstAfter(order: readonly JobRecord[], seq: number): number {
  let lo = 0;
  let hi = order.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((order[mid] as JobRecord).seq <= seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
