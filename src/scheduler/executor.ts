/**
 * The executor runs, on every node, the attempts the log assigned to that node: it is driven by
 * applied `executionStarted` effects only, so a handler never runs for a start that is not
 * committed. It keeps each attempt's state (queued, running, stopping), the concurrency limit and
 * the job's timeout (with the injected clock), hands the work to the runner of the job's kind of
 * target (runners/handler.ts, runners/webhook.ts), and reports the outcome through the
 * {@link CommandBatcher}, which batches finish commands and retries them until they are applied.
 */
import type { CompleteClock, TimerHandle } from '../util/clock.js';
import type { Mutable } from '../util/types.js';
import type { CommandBatcher } from './command-batcher.js';
import type { Execution, Job } from './model.js';
import { handlerRunner, type Handler } from './runners/handler.js';
import type { Attempt, Outcome, Runner } from './runners/runner.js';
import { webhookRunner } from './runners/webhook.js';
import type { Command, FinishExecutionCommand, SettleExecutionCommand } from './state/commands.js';
import type { WebhookRequest, WebhookResult } from './webhook.js';

export type { Handler, HandlerContext } from './runners/handler.js';

/** Settings of an {@link Executor}. */
export interface ExecutorOptions {
  readonly nodeId: string;
  readonly clock: CompleteClock;
  /** Uniform draws in [0, 1) stamped into finish commands for the backoff jitter. */
  readonly random: () => number;
  /** Handlers by name, shared with the facade so `handle`/`unhandle` take effect at once. */
  readonly handlers: ReadonlyMap<string, Handler>;
  /** Where finish and settle commands go (retried until applied). */
  readonly batcher: CommandBatcher;
  /** Maximum attempts running at once on this node (`Infinity` for no limit). */
  readonly concurrency: number;
  readonly webhookSecret: string | undefined;
  readonly webhookAllowPrivate: boolean;
  /** Cap on a webhook request, on top of the job's own timeout. */
  readonly webhookTimeoutMs: number | undefined;
  /** Unexpected errors (a bug, never a handler's failure). */
  readonly onError: (error: Error) => void;
  /** Replaces the webhook sender (tests). */
  readonly deliver?: (request: WebhookRequest) => Promise<WebhookResult>;
  /**
   * How long a handler that ignores its abort signal is waited for after its timeout before the
   * attempt is abandoned: reported settled (its retry may run) with an error event naming it.
   */
  readonly abandonAfterMs: number;
}

/** Why an attempt's signal was aborted. */
type StopReason = 'timeout' | 'cancelled' | 'finished' | 'closing' | 'lost-contact';

/**
 * Where an attempt is: waiting for the next turn or a concurrency slot, running, or stopping
 * (its signal aborted, its work not returned yet).
 */
type AttemptState = 'queued' | 'running' | 'stopping';

/** An attempt this node holds, from its committed start until its work returned or it was dropped. */
class HeldAttempt implements Attempt {
  readonly execution: Execution;
  readonly job: Job;
  state: AttemptState = 'queued';
  /** Why it is stopping; decides what (if anything) is reported when the work returns. */
  stopReason: StopReason | undefined = undefined;
  /** Created on first use: most handlers never look at their signal, and one costs ~1 µs. */
  #controller: AbortController | undefined = undefined;
  /** The abort reason, kept for a signal created after the stop. */
  #abortReason: unknown = undefined;
  timer: TimerHandle | undefined = undefined;
  startedAt = 0;
  /** The unsettled timeout finish this node reported, re-sent settled when the handler lets go. */
  timedOut: FinishExecutionCommand | undefined = undefined;

  constructor(execution: Execution, job: Job) {
    this.execution = execution;
    this.job = job;
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.stopReason !== undefined) this.#controller.abort(this.#abortReason);
    }
    return this.#controller.signal;
  }

  /** Aborts the signal (now, or when it is first asked for). */
  abort(reason: unknown): void {
    this.#abortReason = reason;
    this.#controller?.abort(reason);
  }
}

const MAX_ERROR_LENGTH = 2000;

/** An attempt this node's scheduler stopped or never ran (a retry follows at once, elsewhere, not spent). */
function interruption(error: string): Outcome {
  return { status: 'cancelled', errorType: 'cancelled', error };
}

/** Runs the attempts assigned to this node. */
export class Executor {
  readonly #o: ExecutorOptions;
  readonly #handlerRunner: Runner;
  readonly #webhookRunner: Runner;
  readonly #running = new Map<string, HeldAttempt>();
  /** Attempts not started yet: waiting for the next turn or a concurrency slot (FIFO; `#queueHead` avoids O(n) shifts). */
  #queue: HeldAttempt[] = [];
  #queueHead = 0;
  #kickScheduled = false;
  #starting = false;
  #active = 0;
  #closing = false;
  /** The node's lease lapsed: nothing starts until it is renewed. */
  #outOfContact = false;
  #drained: (() => void) | undefined;

  constructor(options: ExecutorOptions) {
    this.#o = options;
    this.#handlerRunner = handlerRunner(options.handlers, options.nodeId);
    this.#webhookRunner = webhookRunner({
      secret: options.webhookSecret,
      allowPrivate: options.webhookAllowPrivate,
      timeoutMs: options.webhookTimeoutMs,
      clock: options.clock,
      ...(options.deliver !== undefined && { deliver: options.deliver }),
    });
  }

  /** Attempts running or waiting for a slot on this node. */
  get size(): number {
    return this.#running.size;
  }

  /** Whether this node is running (or about to run) `executionId`. */
  isRunning(executionId: string): boolean {
    return this.#running.has(executionId);
  }

  /** Starts a committed attempt of `job`. Ignored when the executor is closing or already runs it. */
  start(execution: Execution, job: Job): void {
    if (this.#closing || this.#running.has(execution.id)) return;
    const run = new HeldAttempt(execution, job);
    this.#running.set(execution.id, run);
    this.#queue.push(run);
    // Run on the next turn, not inside the log's apply: a finish or cancel applied in the same
    // batch of entries (a node catching up on its log after a restart) then drops the attempt
    // before any handler is called, and the handlers of one batch start together.
    if (!this.#kickScheduled) {
      this.#kickScheduled = true;
      this.#o.clock.nextTurn(this.#kick);
    }
  }

  readonly #kick = (): void => {
    this.#kickScheduled = false;
    this.#startWaiting();
  };

  /**
   * The log says `executionId` is over (cancelled, deleted, or finished by another node's
   * decision): abort its signal; nothing more is reported for it.
   */
  abort(executionId: string, reason: 'cancelled' | 'finished'): void {
    const run = this.#running.get(executionId);
    if (run === undefined || run.stopReason !== undefined) return;
    if (run.state === 'queued') this.#forget(run);
    else this.#stop(run, reason);
  }

  /**
   * The node's lease lapsed (out of contact with the cluster): abort every running attempt
   * (their handlers are reported interrupted when they return, which lands once contact is back
   * unless the log ended them meanwhile) and start nothing until {@link Executor.regainContact}.
   */
  loseContact(): void {
    if (this.#outOfContact) return;
    this.#outOfContact = true;
    for (const run of this.#running.values()) if (run.state === 'running') this.#stop(run, 'lost-contact');
  }

  /** The lease holds again: queued attempts may start. */
  regainContact(): void {
    if (!this.#outOfContact) return;
    this.#outOfContact = false;
    this.#startWaiting();
  }

  /**
   * Stops taking new attempts, lets running ones finish for up to `graceMs`, then aborts the
   * rest (reported interrupted, so a retry follows elsewhere without spending an attempt) and
   * resolves once every handler has returned or `graceMs` has passed twice over. Queued attempts
   * never ran: they are reported interrupted at once.
   */
  async drain(graceMs: number): Promise<void> {
    this.#closing = true;
    for (let i = this.#queueHead; i < this.#queue.length; i++) {
      const run = this.#queue[i] as HeldAttempt;
      if (this.#running.get(run.execution.id) !== run) continue;
      this.#o.batcher.push(
        this.#finish(run, interruption(`interrupted: the scheduler on ${this.#o.nodeId} closed before it ran`), true, true),
      );
      this.#forget(run);
    }
    this.#queue = [];
    this.#queueHead = 0;
    if (this.#allStopped()) return;
    const done = new Promise<void>((resolve) => (this.#drained = resolve));
    let timer: TimerHandle | undefined;
    const graceOver = new Promise<void>((resolve) => (timer = this.#o.clock.setTimeout(resolve, graceMs)));
    await Promise.race([done, graceOver]);
    this.#o.clock.clearTimeout(timer);
    if (this.#allStopped()) return;
    const returned = new Promise<void>((resolve) => (this.#drained = resolve));
    for (const run of this.#running.values()) if (run.state === 'running') this.#stop(run, 'closing');
    // Give aborted handlers a moment to return (and report); one that ignores its signal must
    // not hold close() hostage forever.
    const lastChance = new Promise<void>((resolve) => (timer = this.#o.clock.setTimeout(resolve, graceMs)));
    await Promise.race([returned, lastChance]);
    this.#o.clock.clearTimeout(timer);
    this.#drained = undefined;
  }

  /**
   * Whether no attempt is still live. Attempts already ended in the log (timed out, cancelled)
   * whose handlers have not returned are zombies: their signal is aborted and nothing waits on
   * them, so they do not hold `drain` up; while draining, `closing` ones count until they return.
   */
  #allStopped(): boolean {
    for (const run of this.#running.values()) if (run.state !== 'stopping' || run.stopReason === 'closing') return false;
    return true;
  }

  #run(run: HeldAttempt): void {
    const handler = run.job.handler;
    if (run.job.webhook === undefined && handler !== undefined && !this.#o.handlers.has(handler)) {
      // Assigned while the registry still named the handler here (unhandle() raced the start):
      // not the job's failure, so it runs again at once on a node that has it.
      this.#o.batcher.push(
        this.#finish(run, interruption(`interrupted: no handler "${handler}" registered on node ${this.#o.nodeId}`), true, true),
      );
      this.#running.delete(run.execution.id);
      this.#maybeDrained();
      return;
    }
    this.#active++;
    run.state = 'running';
    run.startedAt = this.#o.clock.now();
    const runner = run.job.webhook !== undefined ? this.#webhookRunner : this.#handlerRunner;
    if (runner.run(run, this.#settle) && runner.timedByExecutor) {
      // Armed only now: a synchronous handler cannot be interrupted anyway, and most handlers
      // in a burst of short jobs finish before a timer would be worth creating.
      const left = run.job.timeoutMs - (this.#o.clock.now() - run.startedAt);
      run.timer = this.#o.clock.setTimeout(() => this.#onTimeout(run), Math.max(0, left));
    }
  }

  /** A runner's report: the work of an attempt returned. */
  readonly #settle = (attempt: Attempt, outcome: Outcome): void => this.#report(attempt as HeldAttempt, outcome);

  #onTimeout(run: HeldAttempt): void {
    run.timer = undefined;
    if (run.state !== 'running') return;
    this.#stop(run, 'timeout');
    // A handler that ignores its signal is waited for this long; then its retry is let go.
    run.timer = this.#o.clock.setTimeout(() => this.#abandon(run), this.#o.abandonAfterMs);
    // Reported now, not when the handler returns: the attempt is over as far as the schedule is
    // concerned; `settled: false` holds its retry until the handler really lets go.
    run.timedOut = this.#finish(
      run,
      {
        status: 'timeout',
        errorType: 'timeout',
        error: `execution timed out after ${run.job.timeoutMs}ms`,
      },
      false,
    );
    this.#o.batcher.push(run.timedOut);
  }

  /**
   * The command that tells the log a timed-out attempt's handler let go: the timeout finish again,
   * settled. Not a bare `settleExecution`: a retried proposal of the first finish may still be in
   * flight and land after it, and a settle applied before that finish would be lost (and the
   * retry held for good), while a settled finish counts in either order.
   */
  #letGo(run: HeldAttempt): Command {
    const now = this.#o.clock.now();
    if (run.timedOut !== undefined) return { ...run.timedOut, now, settled: true };
    const settle: SettleExecutionCommand = { type: 'settleExecution', now, executionId: run.execution.id };
    return settle;
  }

  /** A timed-out handler still has not returned: report it settled anyway and say so. */
  #abandon(run: HeldAttempt): void {
    run.timer = undefined;
    if (this.#running.get(run.execution.id) !== run) return;
    const id = run.execution.id;
    this.#o.onError(
      new Error(
        `execution ${id} ignored its abort signal for ${this.#o.abandonAfterMs} ms after its timeout; abandoned (its retry may run)`,
      ),
    );
    this.#o.batcher.push(this.#letGo(run));
    this.#forget(run);
  }

  #stop(run: HeldAttempt, reason: StopReason): void {
    run.state = 'stopping';
    run.stopReason = reason;
    if (run.timer !== undefined) {
      this.#o.clock.clearTimeout(run.timer);
      run.timer = undefined;
    }
    run.abort(
      reason === 'timeout'
        ? new DOMException('execution timed out', 'TimeoutError')
        : new DOMException(
            reason === 'closing' ? 'scheduler closing' : reason === 'lost-contact' ? 'lost contact' : 'execution cancelled',
            'AbortError',
          ),
    );
    this.#maybeDrained();
  }

  /** The work of `run` returned (or failed to start): report per how it was stopped, free the slot. */
  #report(run: HeldAttempt, outcome: Outcome): void {
    if (this.#running.get(run.execution.id) !== run) return;
    if (run.timer !== undefined) {
      this.#o.clock.clearTimeout(run.timer);
      run.timer = undefined;
    }
    switch (run.stopReason) {
      case undefined:
        this.#o.batcher.push(this.#finish(run, outcome, true));
        break;
      case 'timeout':
      case 'finished':
        // The attempt was already ended (by our timeout, or in the log by the end of this node's
        // life); its retry may be held until the handler lets go, which is now.
        this.#o.batcher.push(this.#letGo(run));
        break;
      case 'closing':
        this.#o.batcher.push(this.#finish(run, interruption(`interrupted: the scheduler on ${this.#o.nodeId} closed`), true, true));
        break;
      case 'lost-contact':
        this.#o.batcher.push(
          this.#finish(run, interruption(`interrupted: node ${this.#o.nodeId} lost contact with the cluster`), true, true),
        );
        break;
      default:
        // Cancelled or deleted: no retry to release, nothing left to say.
        break;
    }
    this.#forget(run);
  }

  #finish(run: HeldAttempt, outcome: Outcome, settled: boolean, interrupted = false): FinishExecutionCommand {
    const now = this.#o.clock.now();
    const command: Mutable<FinishExecutionCommand> = {
      type: 'finishExecution',
      now,
      executionId: run.execution.id,
      status: outcome.status,
      // A queued attempt never ran: no response time.
      responseTimeMs: outcome.responseTimeMs ?? (run.state === 'queued' ? 0 : Math.max(0, now - run.startedAt)),
      settled,
      random: this.#o.random(),
    };
    // Absent rather than undefined: the command is hashed and stored as JSON.
    if (outcome.error !== undefined) command.error = truncate(outcome.error);
    if (outcome.errorType !== undefined) command.errorType = outcome.errorType;
    if (outcome.httpStatus !== undefined) command.httpStatus = outcome.httpStatus;
    if (interrupted) command.interrupted = true;
    return command;
  }

  #forget(run: HeldAttempt): void {
    if (this.#running.get(run.execution.id) === run) {
      this.#running.delete(run.execution.id);
      if (run.state !== 'queued') {
        this.#active--;
        this.#startWaiting();
      }
    }
    this.#maybeDrained();
  }

  #maybeDrained(): void {
    if (this.#drained === undefined || !this.#allStopped()) return;
    const drained = this.#drained;
    this.#drained = undefined;
    drained();
  }

  #startWaiting(): void {
    // A synchronous handler finishes inside #run and frees its slot at once; the loop below
    // picks the next one up, so re-entering from #forget would only deepen the stack.
    if (this.#starting) return;
    this.#starting = true;
    try {
      this.#startLoop();
    } finally {
      this.#starting = false;
    }
  }

  #startLoop(): void {
    while (!this.#outOfContact && this.#active < this.#o.concurrency && this.#queueHead < this.#queue.length) {
      const next = this.#queue[this.#queueHead] as HeldAttempt;
      this.#queue[this.#queueHead++] = undefined as unknown as HeldAttempt;
      if (this.#queueHead > 1024 && this.#queueHead * 2 > this.#queue.length) {
        this.#queue = this.#queue.slice(this.#queueHead);
        this.#queueHead = 0;
      }
      if (this.#running.get(next.execution.id) === next) this.#run(next);
    }
  }
}

function truncate(text: string): string {
  return text.length <= MAX_ERROR_LENGTH ? text : `${text.slice(0, MAX_ERROR_LENGTH - 1)}…`;
}
