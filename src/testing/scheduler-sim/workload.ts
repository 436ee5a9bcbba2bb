/**
 * The simulated clients: random operations against random running nodes — schedule one-shot and
 * cron jobs, cancel, pause, resume, trigger, delete — each recorded with its outcome. A call is
 * *acknowledged* only when it resolves; one that fails with a Raft error (no leader, dropped,
 * timed out) or whose node crashed under it is *uncertain* (it may still commit), and a schedule
 * is then retried with the same spec and id, which must be idempotent. Operations on one job are
 * issued one at a time, so acknowledged operations of a job are applied in the order issued —
 * except a pair of concurrent updates of different fields (a payload and an option), which must
 * both hold whatever order they commit in.
 * @internal
 */
import { ProposalDroppedError, RaftError } from '../../raft/errors.js';
import { ClosedError, NoLeaderError, SchedulerError, StorageError, TimeoutError, ValidationError } from '../../scheduler/errors.js';
import type { CatchUpPolicy, Execution, JobSpec, OverlapPolicy } from '../../scheduler/model.js';
import type { Scheduler } from '../../scheduler/scheduler.js';
import type { Clock } from '../../util/clock.js';
import type { NodeSlot, SimCluster } from './cluster.js';
import type { Rng } from './rng.js';

/** What a client asks for. */
export type OpKind = 'schedule' | 'cancel' | 'pause' | 'resume' | 'trigger' | 'delete' | 'update';

/** The fields an `update` may change, with the values it sets. */
export interface Patch {
  readonly at?: number;
  readonly cron?: string;
  readonly timeout?: number;
  readonly maxAttempts?: number;
  readonly payload?: { readonly n: number; readonly v: number };
}

/**
 * How a call ended: `acked` (resolved), `rejected` (the state machine refused it: applied as a
 * no-op), `refused` (no leader took it: never in the log), `uncertain` (may or may not commit),
 * `invalid` (failed validation: never proposed), `no-node` (no node was running to ask).
 */
export type Outcome = 'acked' | 'rejected' | 'refused' | 'uncertain' | 'invalid' | 'no-node';

/** One call of one operation (a schedule may take several). */
interface TryRecord {
  readonly node: string;
  readonly at: number;
  outcome: Outcome | 'pending';
  detail: string;
}

/** One client operation. */
export interface OpRecord {
  readonly seq: number;
  readonly kind: OpKind;
  readonly jobId: string;
  readonly tries: TryRecord[];
  outcome: Outcome | 'pending';
  /** The executions an acknowledged trigger started (a double trigger may start two). */
  executionIds?: string[];
  /** What an `update` asked for. */
  patch?: Patch;
}

/** A job the clients know about, and everything they did to it. */
export interface JobBook {
  readonly id: string;
  readonly kind: 'once' | 'cron';
  readonly spec: JobSpec;
  readonly ops: OpRecord[];
  /** An operation on it is in flight. */
  busy: boolean;
  /**
   * A retry of its schedule was refused as TIME_IN_PAST after an uncertain try: `committed` when
   * some running node already held the job then (the refusing node lagged), `pending` when none did.
   */
  retryRefusedAsPast: 'committed' | 'pending' | undefined;
}

/** Where the workload reports. */
export interface WorkloadSink {
  /** A line of the run's trace. */
  trace(line: string): void;
  /** A broken promise (an identical re-send refused as a conflict, an untyped error). */
  violation(text: string): void;
}

/** Second-resolution crons (6 fields) and one minute cron: the ones a short run can watch. */
const CRONS: readonly string[] = ['*/1 * * * * *', '*/2 * * * * *', '*/3 * * * * *', '*/5 * * * * *', '*/10 * * * * *', '* * * * *'];
const OVERLAPS: readonly OverlapPolicy[] = ['skip', 'allow', 'queue-one'];
const CATCH_UPS: readonly CatchUpPolicy[] = ['fire-once', 'fire-all', 'skip'];
/** Live cron jobs at most (an every-second job adds two log entries a second). */
const MAX_CRONS = 6;
const MAX_SCHEDULE_TRIES = 4;

/** Thrown into a call whose node crashed under it. */
const CRASHED = new Error('the node crashed during the call');

/** The clients of one run. */
export class Workload {
  readonly jobs = new Map<string, JobBook>();
  readonly ops: OpRecord[] = [];
  readonly #cluster: SimCluster;
  readonly #clock: Clock;
  readonly #rng: Rng;
  readonly #sink: WorkloadSink;
  readonly #updates: boolean;
  #nextJob = 0;
  #inFlight = 0;

  /**
   * @param cluster - the nodes to call.
   * @param clock - the simulation's clock (client-side waits between retries).
   * @param rng - the workload's own random stream.
   * @param sink - trace and violations.
   * @param updates - whether clients also update jobs (`scheduler.update`).
   */
  constructor(cluster: SimCluster, clock: Clock, rng: Rng, sink: WorkloadSink, updates: boolean) {
    this.#updates = updates;
    this.#cluster = cluster;
    this.#clock = clock;
    this.#rng = rng;
    this.#sink = sink;
  }

  /** Operations not yet settled. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Starts one random operation (it runs on while simulated time moves). */
  issue(): void {
    const rng = this.#rng;
    const ready = [...this.jobs.values()].filter((j) => !j.busy && j.ops[0]?.outcome !== 'pending');
    const crons = [...this.jobs.values()].filter((j) => j.kind === 'cron' && !this.#deleteIssued(j)).length;
    const u = rng.next();
    if (ready.length < 2 || u < 0.3) return this.#schedule('once');
    if (u < 0.42 && crons < MAX_CRONS) return this.#schedule('cron');
    const job = rng.pick(ready);
    const v = rng.next();
    const kind: OpKind =
      v < 0.15 ? 'cancel' : v < 0.32 ? 'pause' : v < 0.49 ? 'resume' : v < 0.75 ? 'trigger' : v < 0.9 ? 'update' : 'delete';
    if (kind === 'update' && this.#updates && rng.chance(0.4)) return this.#concurrentUpdates(job);
    this.#run(job, kind === 'update' && !this.#updates ? 'trigger' : kind);
  }

  /**
   * Two updates of one job at the same moment, through random nodes (often the same one): one
   * changes the payload, the other an option. Each was checked against the same read, and both
   * must take effect.
   */
  #concurrentUpdates(job: JobBook): void {
    const rng = this.#rng;
    job.busy = true;
    const works: Promise<void>[] = [];
    for (let i = 0; i < 2; i++) {
      const op: OpRecord = { seq: this.ops.length + 1, kind: 'update', jobId: job.id, tries: [], outcome: 'pending' };
      op.patch =
        i === 0
          ? { payload: { n: Number(job.id.split('-')[1]), v: op.seq } }
          : rng.chance(0.5)
            ? { timeout: rng.int(500, 2000) }
            : { maxAttempts: rng.pick([1, 2, 3, 4]) };
      this.ops.push(op);
      job.ops.push(op);
      this.#inFlight++;
      works.push(
        this.#once(job, op)
          .catch((error: unknown) => this.#sink.violation(`client op ${op.seq} (update ${job.id}) crashed the simulator: ${String(error)}`))
          .finally(() => this.#inFlight--),
      );
    }
    void Promise.all(works).finally(() => {
      job.busy = false;
    });
  }

  /** Whether a delete of `job` was ever issued (whatever became of it). */
  deleteIssued(job: JobBook): boolean {
    return this.#deleteIssued(job);
  }

  #deleteIssued(job: JobBook): boolean {
    return job.ops.some((op) => op.kind === 'delete');
  }

  #schedule(kind: 'once' | 'cron'): void {
    const rng = this.#rng;
    const n = ++this.#nextJob;
    const id = `${kind}-${n}`;
    const common = {
      id,
      handler: 'work',
      payload: { n },
      maxAttempts: rng.pick([1, 2, 3, 3, 4]),
      backoff: { initialMs: rng.int(100, 800), factor: 2, maxMs: 2000, jitter: 0.2 },
      // Mostly shorter than the in-progress timeout; sometimes longer (then it sets the deadline).
      timeout: rng.chance(0.15) ? rng.int(4000, 7000) : rng.int(500, 2000),
    };
    let spec: JobSpec;
    if (kind === 'once') {
      spec = { ...common, at: Math.floor(this.#clock.now()) + rng.int(300, 10_000) };
    } else {
      const catchUp = rng.pick(CATCH_UPS);
      spec = {
        ...common,
        cron: rng.pick(CRONS),
        overlap: rng.pick(OVERLAPS),
        catchUp,
        ...(catchUp === 'fire-all' && { catchUpWindow: rng.int(2000, 20_000) }),
      };
    }
    const job: JobBook = { id, kind, spec, ops: [], busy: false, retryRefusedAsPast: undefined };
    this.jobs.set(id, job);
    this.#run(job, 'schedule');
  }

  #run(job: JobBook, kind: OpKind): void {
    const op: OpRecord = { seq: this.ops.length + 1, kind, jobId: job.id, tries: [], outcome: 'pending' };
    if (kind === 'update') op.patch = this.#patch(job, op.seq);
    this.ops.push(op);
    job.ops.push(op);
    job.busy = true;
    this.#inFlight++;
    const work = kind === 'schedule' ? this.#scheduleWithRetries(job, op) : this.#once(job, op);
    work
      .catch((error: unknown) => this.#sink.violation(`client op ${op.seq} (${kind} ${job.id}) crashed the simulator: ${String(error)}`))
      .finally(() => {
        job.busy = false;
        this.#inFlight--;
        // A client often changes a job twice in a row, the second time through whichever node it
        // reaches: the second change must build on the first, not on a replica that lags it.
        if (kind === 'update' && op.outcome === 'acked' && this.#rng.chance(0.5)) this.#run(job, 'update');
      });
  }

  async #scheduleWithRetries(job: JobBook, op: OpRecord): Promise<void> {
    for (let i = 0; i < MAX_SCHEDULE_TRIES; i++) {
      const t = await this.#try(op, (s) => s.schedule(job.spec));
      op.outcome = t.outcome;
      if (t.outcome === 'acked') {
        const got = t.value as { id?: unknown } | undefined;
        if (got?.id !== job.id) this.#sink.violation(`schedule of ${job.id} acknowledged with job ${String(got?.id)}`);
        return;
      }
      if (i > 0 && t.outcome === 'rejected' && t.code === 'JOB_CONFLICT') {
        this.#sink.violation(
          `retrying the identical spec of ${job.id} (after ${op.tries[i - 1]?.detail}) was refused as a conflict: schedule is not idempotent`,
        );
        return;
      }
      if (i > 0 && t.outcome === 'invalid' && t.code === 'TIME_IN_PAST') {
        // Judged at the end: it matters only if an earlier try did commit.
        const held = await Promise.all(this.#cluster.up().map(async (slot) => (await slot.scheduler?.get(job.id)) !== undefined));
        job.retryRefusedAsPast = held.includes(true) ? 'committed' : 'pending';
        return;
      }
      if (t.outcome !== 'uncertain' && t.outcome !== 'refused' && t.outcome !== 'no-node') return;
      await this.#sleep(this.#rng.int(200, 1500));
    }
  }

  /**
   * A trigger, in one of three shapes: a plain call; a call at the instant the job's next
   * occurrence falls due (racing the leader's timer); two calls in the same millisecond.
   */
  async #trigger(job: JobBook, op: OpRecord): Promise<void> {
    const u = this.#rng.next();
    if (u < 0.4) {
      const up = this.#cluster.up();
      const next =
        up.length === 0
          ? undefined
          : (
              await this.#rng
                .pick(up)
                .scheduler?.get(job.id)
                .catch(() => undefined)
            )?.nextRunAt;
      const wait = next === undefined ? 0 : next - this.#clock.now();
      if (wait > 0 && wait < 5000) await this.#sleep(wait);
    }
    const calls = u >= 0.7 ? 2 : 1;
    const tries = await Promise.all(Array.from({ length: calls }, () => this.#try(op, (s) => s.trigger(job.id))));
    const acked = tries.filter((t) => t.outcome === 'acked');
    op.outcome = acked.length > 0 ? 'acked' : (tries[0]?.outcome ?? 'no-node');
    op.executionIds = [];
    for (const t of acked) {
      if (t.value !== undefined) op.executionIds.push((t.value as Execution).id);
      else if ('overlap' in job.spec && job.spec.overlap === 'allow')
        this.#sink.violation(`trigger of ${job.id} (overlap allow) resolved without running`);
    }
    if (new Set(op.executionIds).size !== op.executionIds.length) {
      this.#sink.violation(`two triggers of ${job.id} resolved with the same execution ${op.executionIds.join(', ')}`);
    }
  }

  async #once(job: JobBook, op: OpRecord): Promise<void> {
    if (op.kind === 'trigger') return this.#trigger(job, op);
    const t = await this.#try(op, (s): Promise<unknown> => {
      switch (op.kind) {
        case 'cancel':
          return s.cancel(job.id, 'sim');
        case 'pause':
          return s.pause(job.id);
        case 'resume':
          return s.resume(job.id);
        case 'update':
          return s.update(job.id, op.patch ?? {});
        default:
          return s.delete(job.id);
      }
    });
    op.outcome = t.outcome;
  }

  /** One or two fields to change, with values no earlier update of the job used. */
  #patch(job: JobBook, seq: number): Patch {
    const rng = this.#rng;
    const patch: { at?: number; cron?: string; timeout?: number; maxAttempts?: number; payload?: { n: number; v: number } } = {};
    const fields = rng.int(1, 2);
    for (let i = 0; i < fields; i++) {
      const u = rng.next();
      if (u < 0.35) patch.payload = { n: Number(job.id.split('-')[1]), v: seq };
      else if (u < 0.5) patch.timeout = rng.int(500, 2000);
      else if (u < 0.6) patch.maxAttempts = rng.pick([1, 2, 3, 4]);
      else if (job.kind === 'once') patch.at = Math.floor(this.#clock.now()) + rng.int(300, 10_000);
      else patch.cron = rng.pick(CRONS);
    }
    return patch;
  }

  /** One call against a random running node. */
  async #try(op: OpRecord, call: (s: Scheduler) => Promise<unknown>): Promise<{ outcome: Outcome; value?: unknown; code?: string }> {
    const up = this.#cluster.up();
    const now = this.#clock.now();
    if (up.length === 0) {
      op.tries.push({ node: '-', at: now, outcome: 'no-node', detail: 'no node running' });
      return { outcome: 'no-node' };
    }
    const slot: NodeSlot = this.#rng.pick(up);
    const record: TryRecord = { node: slot.id, at: now, outcome: 'pending', detail: '' };
    op.tries.push(record);
    this.#sink.trace(`op ${op.seq} ${op.kind} ${op.jobId} via ${slot.id} (try ${op.tries.length})`);
    const fence = slot.fence;
    const died = new Promise<never>((_, reject) => fence?.onKill(() => reject(CRASHED)));
    let result: { outcome: Outcome; value?: unknown; code?: string };
    try {
      const value = await Promise.race([call(slot.scheduler as Scheduler), died]);
      result = { outcome: 'acked', value };
      record.detail = 'ok';
    } catch (error) {
      const c = this.#classify(error, op);
      result = { outcome: c.outcome, code: c.code };
      record.detail = c.code;
    }
    record.outcome = result.outcome;
    this.#sink.trace(`op ${op.seq} ${op.kind} ${op.jobId} -> ${result.outcome} ${record.detail}`);
    return result;
  }

  #classify(error: unknown, op: OpRecord): { outcome: Outcome; code: string } {
    if (error === CRASHED) return { outcome: 'uncertain', code: 'NODE_CRASHED' };
    if (error instanceof ValidationError) return { outcome: 'invalid', code: error.code };
    // Judged as a user would, by the public error types; the Raft cause only names the detail.
    if (error instanceof RaftError) {
      this.#sink.violation(`${op.kind} ${op.jobId} failed with a Raft error instead of a scheduler error: ${error.message}`);
      return { outcome: 'uncertain', code: error.code };
    }
    const cause = error instanceof SchedulerError ? error.cause : undefined;
    const detail =
      cause instanceof ProposalDroppedError ? `DROPPED_${cause.reason.toUpperCase()}` : cause instanceof RaftError ? cause.code : undefined;
    // Never appended anywhere (no leader to take it, or overwritten): it will never apply.
    if (error instanceof NoLeaderError) return { outcome: 'refused', code: detail ?? error.code };
    // The write may still commit, or the node went away with it.
    if (error instanceof TimeoutError || error instanceof ClosedError || error instanceof StorageError) {
      return { outcome: 'uncertain', code: detail ?? error.code };
    }
    if (error instanceof SchedulerError) return { outcome: 'rejected', code: error.code };
    this.#sink.violation(
      `${op.kind} ${op.jobId} failed with an untyped error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    return { outcome: 'uncertain', code: 'UNTYPED' };
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.#clock.setTimeout(resolve, ms));
  }
}
