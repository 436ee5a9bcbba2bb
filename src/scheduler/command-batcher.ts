/**
 * The one proposer of the runtime: commands queued in one turn go out as ONE `batch` command (one
 * log entry, one storage write, one network round) on the clock's next turn, or at once on an
 * explicit {@link CommandBatcher.flush} (the leader loop flushes right after a fire pass so that
 * firing does not wait a turn). Two kinds of callers share it:
 *
 * - the executor's finish and settle commands ({@link CommandBatcher.push}) are retried with a
 *   capped backoff until they are applied or the batcher is closed;
 * - the leader loop's decisions ({@link CommandBatcher.send}) are proposed once: the caller learns
 *   its own commands' results, or the failure, and re-decides after its own backoff.
 *
 * Commands applied but refused by the state machine are final either way: they are not retried.
 */
import type { CompleteClock, TimerHandle } from '../util/clock.js';
import { ClosedError } from './errors.js';
import type { Command } from './state/commands.js';
import type { ApplyResult, BatchResult } from './state/types.js';

/** One caller's commands of a {@link CommandBatcher.send}, waiting for their batch. */
interface Group {
  readonly commands: readonly Command[];
  readonly resolve: (results: readonly ApplyResult[]) => void;
  readonly reject: (error: unknown) => void;
}

/** The retry backoff of pushed commands: 25 ms doubling to 2 s (quick through an election, gentle in a long partition). */
const RETRY_BASE_MS = 25;
const RETRY_MAX_MS = 2000;
/** After this many failed attempts in a row a pushed command's trouble is reported (it is still retried). */
const REPORT_AFTER_FAILURES = 20;

/** Batches commands into one proposal per turn; retries what the executor pushes. */
export class CommandBatcher {
  readonly #propose: (command: Command) => Promise<unknown>;
  readonly #clock: CompleteClock;
  readonly #onError: (error: Error) => void;
  /** Pushed commands waiting for the next batch (retried on failure). */
  #retried: Command[] = [];
  /** Sent groups waiting for the next batch (never retried). */
  #groups: Group[] = [];
  #flushScheduled = false;
  #inFlight = 0;
  readonly #retryTimers = new Set<TimerHandle>();
  #idle: (() => void)[] = [];
  #closed = false;

  /**
   * @param propose - proposes one command and resolves with its apply result.
   * @param clock - defers the flush to the next turn and arms the retry backoff.
   * @param onError - told when a pushed command keeps failing (it is still retried).
   */
  constructor(propose: (command: Command) => Promise<unknown>, clock: CompleteClock, onError: (error: Error) => void) {
    this.#propose = propose;
    this.#clock = clock;
    this.#onError = onError;
  }

  /** Commands queued, proposed and not yet applied, or waiting for a retry. */
  get #backlog(): number {
    return this.#retried.length + this.#groups.length + this.#inFlight + this.#retryTimers.size;
  }

  /** Queues `command` for the next batch and retries it until it is applied. Dropped once closed. */
  push(command: Command): void {
    if (this.#closed) return;
    this.#retried.push(command);
    this.#scheduleFlush();
  }

  /**
   * Queues `commands` for the next batch, proposed once. Resolves with their apply results, in
   * order, once applied; rejects when the proposal fails (the caller decides whether to try again).
   */
  send(commands: readonly Command[]): Promise<readonly ApplyResult[]> {
    if (this.#closed) return Promise.reject(new ClosedError());
    return new Promise((resolve, reject) => {
      this.#groups.push({ commands, resolve, reject });
      this.#scheduleFlush();
    });
  }

  /** Proposes everything queued now, without waiting for the next turn. */
  flush(): void {
    this.#flush();
  }

  /** Resolves once nothing is queued, in flight or waiting for a retry. */
  whenIdle(): Promise<void> {
    if (this.#backlog === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Drops everything still queued (sent groups are rejected with `ClosedError`) and stops retrying. */
  close(): void {
    this.#closed = true;
    this.#retried = [];
    const groups = this.#groups;
    this.#groups = [];
    for (const group of groups) group.reject(new ClosedError());
    for (const timer of this.#retryTimers) this.#clock.clearTimeout(timer);
    this.#retryTimers.clear();
    this.#notifyIdle();
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    // The next turn, not soon: every handler that settles in this turn joins the batch.
    this.#clock.nextTurn(this.#onNextTurn);
  }

  readonly #onNextTurn = (): void => {
    this.#flushScheduled = false;
    this.#flush();
  };

  #flush(): void {
    if (this.#closed) return;
    const groups = this.#groups;
    const retried = this.#retried;
    if (groups.length === 0) {
      if (retried.length === 0) return;
      this.#retried = [];
      this.#sendRetried(retried, 0);
      return;
    }
    this.#groups = [];
    this.#retried = [];
    // The loop's decisions first: they were made before what the executor reports in this turn.
    let commands: readonly Command[];
    if (groups.length === 1 && retried.length === 0) commands = (groups[0] as Group).commands;
    else {
      const all: Command[] = [];
      for (const group of groups) for (const command of group.commands) all.push(command);
      for (const command of retried) all.push(command);
      commands = all;
    }
    this.#inFlight++;
    this.#propose(asOne(commands)).then(
      (result) => {
        this.#inFlight--;
        let offset = 0;
        for (const group of groups) {
          group.resolve(resultsOf(result, commands.length, offset, group.commands.length));
          offset += group.commands.length;
        }
        this.#notifyIdle();
      },
      (error: unknown) => {
        this.#inFlight--;
        for (const group of groups) group.reject(error);
        if (retried.length > 0 && !this.#closed) this.#retry(retried, 0, error);
        else this.#notifyIdle();
      },
    );
  }

  #sendRetried(commands: readonly Command[], failures: number): void {
    this.#inFlight++;
    this.#propose(asOne(commands)).then(
      () => {
        this.#inFlight--;
        this.#notifyIdle();
      },
      (error: unknown) => {
        this.#inFlight--;
        if (this.#closed) return this.#notifyIdle();
        this.#retry(commands, failures, error);
      },
    );
  }

  /** Re-sends `commands` (as the same one proposal) after the backoff of their `failures`. */
  #retry(commands: readonly Command[], failures: number, error: unknown): void {
    if (failures === REPORT_AFTER_FAILURES) this.#onError(asError(error, 'finish proposal keeps failing; still retrying'));
    const delay = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.min(failures, 7));
    const timer = this.#clock.setTimeout(() => {
      this.#retryTimers.delete(timer);
      if (!this.#closed) this.#sendRetried(commands, failures + 1);
      else this.#notifyIdle();
    }, delay);
    this.#retryTimers.add(timer);
  }

  #notifyIdle(): void {
    if (this.#backlog !== 0 || this.#idle.length === 0) return;
    const waiting = this.#idle;
    this.#idle = [];
    for (const resolve of waiting) resolve();
  }
}

/** One command as it is, several as a `batch`. */
function asOne(commands: readonly Command[]): Command {
  return commands.length === 1 ? (commands[0] as Command) : { type: 'batch', commands };
}

/** The apply results of `count` commands from `offset` of a proposal of `total` commands. */
function resultsOf(result: unknown, total: number, offset: number, count: number): readonly ApplyResult[] {
  if (total === 1) return [result as ApplyResult];
  const all = (result as BatchResult).results;
  return offset === 0 && count === all.length ? all : all.slice(offset, offset + count);
}

function asError(error: unknown, context: string): Error {
  const cause = error instanceof Error ? error : new Error(String(error));
  return new Error(`${context}: ${cause.message}`, { cause });
}
