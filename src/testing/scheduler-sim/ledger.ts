/**
 * The simulator's ledger of what every node applied and every handler did, with the checks that
 * can be made the moment something happens: a handler runs only for a start its own node applied
 * from the log, at most once per execution id in the whole cluster, never after its node applied
 * the job's cancellation, never on a node whose lease has lapsed, never while another attempt
 * of its occurrence may still run (its handler has not returned, its process lives, and its abort
 * signal has not fired), and — for a `skip` or `queue-one` job — never while an attempt of another
 * of its occurrences runs on a live process with its signal not aborted; a queued attempt is never
 * ended as a timeout by anyone but its node.
 * @internal
 */
import type { HandlerContext } from '../../scheduler/executor.js';
import type { Execution } from '../../scheduler/model.js';
import { executionId, idempotencyKey } from '../../scheduler/state/index.js';
import type { Fence } from './process.js';

/** One call of a handler. */
export interface InvocationRecord {
  /** Order of the call in the run. */
  readonly seq: number;
  readonly node: string;
  /** Which life of the node ran it (1 = first start). */
  readonly incarnation: number;
  /** The process that ran it: a killed one's handler is dead. */
  readonly fence: Fence;
  readonly executionId: string;
  readonly jobId: string;
  readonly scheduledAt: number;
  readonly attempt: number;
  readonly idempotencyKey: string;
  /** Simulated time of the call. */
  readonly at: number;
  /** Simulated time the handler returned, threw or settled; undefined while it runs. */
  returnedAt: number | undefined;
  /** Simulated time its abort signal fired; undefined while it has not. */
  abortedAt: number | undefined;
}

/** A start as one node applied it. */
interface AppliedStart {
  readonly incarnation: number;
  readonly execution: Execution;
}

/** Where the ledger reports. */
export interface LedgerSink {
  /** A broken promise of the product. */
  violation(text: string): void;
  /** A line of the run's trace. */
  trace(line: string): void;
}

/** Records starts, cancellations and handler calls, checking each as it happens. */
export class Ledger {
  readonly #sink: LedgerSink;
  readonly #invocations: InvocationRecord[] = [];
  readonly #byExecution = new Map<string, InvocationRecord>();
  /** Per node: execution id → the start it applied. */
  readonly #applied = new Map<string, Map<string, AppliedStart>>();
  /** Execution id → the start as the first node applied it (every other node must agree). */
  readonly #agreed = new Map<string, Execution>();
  /** Per node: jobs whose cancellation or deletion it applied. */
  readonly #ended = new Map<string, Set<string>>();
  /** Per job: handler calls that may still run (pruned as they return, abort or die). */
  readonly #live = new Map<string, InvocationRecord[]>();
  /** Occurrence (idempotency key) → its handler calls, in call order. */
  readonly #byOccurrence = new Map<string, InvocationRecord[]>();

  /** @param sink - receives violations and trace lines. */
  constructor(sink: LedgerSink) {
    this.#sink = sink;
  }

  /** Every handler call so far, in order. */
  get invocations(): readonly InvocationRecord[] {
    return this.#invocations;
  }

  /** The handler call of `id`, if any. */
  invocationOf(id: string): InvocationRecord | undefined {
    return this.#byExecution.get(id);
  }

  /** The start of `id` as the cluster applied it, if any node did. */
  startOf(id: string): Execution | undefined {
    return this.#agreed.get(id);
  }

  /** Starts applied cluster-wide (distinct execution ids). */
  get startCount(): number {
    return this.#agreed.size;
  }

  /** `node` applied the start of `execution` (an `execution:started` event). */
  started(node: string, incarnation: number, execution: Execution): void {
    let mine = this.#applied.get(node);
    if (mine === undefined) this.#applied.set(node, (mine = new Map<string, AppliedStart>()));
    const earlier = mine.get(execution.id);
    if (earlier !== undefined) {
      this.#sink.violation(
        `${node} applied the start of ${execution.id} twice (incarnations ${earlier.incarnation} and ${incarnation}): a start entry must be applied once per replica`,
      );
    }
    mine.set(execution.id, { incarnation, execution });
    const agreed = this.#agreed.get(execution.id);
    if (agreed === undefined) {
      this.#agreed.set(execution.id, execution);
      this.#sink.trace(`start ${execution.id} on ${execution.nodeId} stamped ${execution.startedAt}${execution.late ? ' (late)' : ''}`);
      return;
    }
    if (agreed.nodeId !== execution.nodeId || agreed.startedAt !== execution.startedAt || agreed.attempt !== execution.attempt) {
      this.#sink.violation(
        `replicas disagree on ${execution.id}: one applied it for ${agreed.nodeId} at ${agreed.startedAt}, ${node} for ${execution.nodeId} at ${execution.startedAt}`,
      );
    }
  }

  /** `node` applied the cancellation or deletion of `jobId`. */
  ended(node: string, jobId: string): void {
    let set = this.#ended.get(node);
    if (set === undefined) this.#ended.set(node, (set = new Set()));
    set.add(jobId);
  }

  /**
   * A replica applied the end of `execution`: a timeout the node did not report (no handler ran
   * it) must be an expiry of a node out of contact, never a queued attempt presumed dead.
   */
  finished(execution: Execution): void {
    if (execution.status !== 'timeout' || this.#byExecution.has(execution.id)) return;
    if (/out of contact/.test(execution.error ?? '')) return;
    this.#sink.violation(
      `${execution.id} on ${execution.nodeId} ended as a timeout without ever running (${execution.error ?? 'no error'})`,
    );
  }

  /** A handler was called on `node`; checks the call and returns its record. */
  invoked(node: string, incarnation: number, fence: Fence, ctx: HandlerContext, now: number, inContact = true): InvocationRecord {
    const { id, scheduledAt, attempt } = ctx.execution;
    const jobId = ctx.job.id;
    const record: InvocationRecord = {
      seq: this.#invocations.length + 1,
      node,
      incarnation,
      fence,
      executionId: id,
      jobId,
      scheduledAt,
      attempt,
      idempotencyKey: ctx.idempotencyKey,
      at: now,
      returnedAt: undefined,
      abortedAt: undefined,
    };
    this.#invocations.push(record);
    this.#sink.trace(`invoke ${id} on ${node}#${incarnation} key ${ctx.idempotencyKey}`);

    const first = this.#byExecution.get(id);
    if (first !== undefined) {
      this.#sink.violation(
        `execution ${id} invoked twice: on ${first.node}#${first.incarnation} at ${first.at} and on ${node}#${incarnation} at ${now}`,
      );
    } else {
      this.#byExecution.set(id, record);
    }
    if (id !== executionId(jobId, scheduledAt, attempt)) {
      this.#sink.violation(`handler context of ${id} names job ${jobId}, occurrence ${scheduledAt}, attempt ${attempt}`);
    }
    if (ctx.idempotencyKey !== idempotencyKey(jobId, scheduledAt)) {
      this.#sink.violation(`execution ${id} got idempotency key ${ctx.idempotencyKey}, not ${idempotencyKey(jobId, scheduledAt)}`);
    }
    const applied = this.#applied.get(node)?.get(id);
    if (applied === undefined || applied.incarnation !== incarnation) {
      this.#sink.violation(`execution ${id} invoked on ${node}#${incarnation}, which had not applied its start`);
    } else if (applied.execution.nodeId !== node) {
      this.#sink.violation(`execution ${id} invoked on ${node}, but the log assigned it to ${applied.execution.nodeId}`);
    }
    if (this.#ended.get(node)?.has(jobId) === true) {
      this.#sink.violation(`execution ${id} invoked on ${node} after that node applied the cancellation or deletion of ${jobId}`);
    }
    if (!inContact) this.#sink.violation(`execution ${id} invoked on ${node}#${incarnation} while its lease had lapsed`);
    this.#checkOthers(record);
    this.#checkOverlap(record, ctx.job.overlap);
    let siblings = this.#byOccurrence.get(record.idempotencyKey);
    if (siblings === undefined) this.#byOccurrence.set(record.idempotencyKey, (siblings = []));
    siblings.push(record);
    return record;
  }

  /** The abort signal of `record`'s attempt fired. */
  aborted(record: InvocationRecord, now: number): void {
    if (record.abortedAt === undefined) record.abortedAt = now;
  }

  /** The handler of `record` returned (or threw, or its promise settled). */
  returned(record: InvocationRecord, now: number): void {
    if (record.returnedAt === undefined) record.returnedAt = now;
  }

  /**
   * Overlap `skip` and `queue-one`: no two occurrences of the job run at once. Only calls that
   * may still be doing work count: not returned, signal not aborted, process alive.
   */
  #checkOverlap(record: InvocationRecord, overlap: string): void {
    const live = (this.#live.get(record.jobId) ?? []).filter(
      (other) => other.returnedAt === undefined && other.abortedAt === undefined && other.fence.alive,
    );
    if (overlap !== 'allow') {
      for (const other of live) {
        if (other.scheduledAt === record.scheduledAt) continue;
        this.#sink.violation(
          `overlap ${overlap}: ${record.executionId} invoked on ${record.node} at ${record.at} while ${other.executionId} ` +
            `(another occurrence) still ran on ${other.node} since ${other.at}`,
        );
      }
    }
    live.push(record);
    this.#live.set(record.jobId, live);
  }

  /**
   * No attempt of an occurrence starts while another may still run: each earlier call of the same
   * occurrence has returned, been told to stop (its signal fired), or died with its process.
   */
  #checkOthers(record: InvocationRecord): void {
    const siblings = this.#byOccurrence.get(record.idempotencyKey);
    if (siblings === undefined) return;
    for (const other of siblings) {
      if (other.returnedAt !== undefined || other.abortedAt !== undefined || !other.fence.alive) continue;
      this.#sink.violation(
        `${record.executionId} invoked on ${record.node} at ${record.at} while ${other.executionId} still ran on ${other.node}#${other.incarnation} ` +
          `(invoked ${other.at}, neither returned nor aborted)`,
      );
    }
  }
}
