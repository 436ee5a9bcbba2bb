/**
 * The leader's firing loop. While this node leads, it mirrors every job's wake time in a
 * {@link SlotQueue}, keeps ONE clock timer armed for the earliest, and when it fires asks the
 * pure state machine what to do about each due job (`decide`) and proposes the answers through
 * the {@link CommandBatcher}, flushed right after the pass — all jobs due in one pass share one
 * `batch` log entry. The cost of a pass depends on how many jobs
 * are due, never on how many are pending, and nothing polls job by job.
 *
 * A job whose proposal is in flight is out of the queue until the applied entry re-arms it
 * (through a `wake` effect) or the proposal fails (then it is re-queued after a short backoff).
 * History pruning rides on the same queue and timer under a key no job id can take. A pass is
 * a chain of bounded `pruneHistory` commands: each resumes where the previous one's result says,
 * proposed as soon as that one is applied, until the pass reaches the last job.
 */
import type { CompleteClock, TimerHandle } from '../util/clock.js';
import type { CommandBatcher } from './command-batcher.js';
import { SlotQueue } from './slot-queue.js';
import type { Command } from './state/commands.js';
import type { ApplyResult, DecideContext } from './state/types.js';

/** The part of the scheduler state the loop reads. */
export interface LoopState {
  /** Commands to propose for `jobId` at `now` (empty: nothing to do yet). */
  decide(jobId: string, now: number, ctx: DecideContext): readonly Command[];
  /** Every job's current wake time. */
  wakeTimes(): Iterable<readonly [string, number]>;
  /** One job's current wake time, or `undefined` when nothing is planned for it. */
  wakeTime(jobId: string): number | undefined;
}

/** Settings of a {@link LeaderLoop}. */
export interface LeaderLoopOptions {
  readonly nodeId: string;
  readonly clock: CompleteClock;
  readonly state: LoopState;
  /** Proposes each pass's decisions (once, not retried: the loop re-decides after its backoff). */
  readonly batcher: CommandBatcher;
  readonly isRunningLocally: (executionId: string) => boolean;
  /** Passed to `decide` for retry jitter. */
  readonly random?: () => number;
  readonly missedThresholdMs: number;
  readonly inProgressTimeoutMs: number;
  /** Longest the timer sleeps before looking again (bounds wall-clock jumps; never delays a job). */
  readonly slotGapMs: number;
  readonly pruneIntervalMs: number;
  readonly historyRetentionMs: number;
  readonly historyLimit: number;
  /**
   * Real timers fire late: Node rounds to whole milliseconds against a loop time that may be a
   * millisecond stale, so a timer for T typically runs at T+1 ms. With a slack of 1 the timer is
   * armed that much early and the last stretch is covered by re-checking the clock once per
   * event-loop turn (the loop keeps serving I/O meanwhile). Use 0 (the default) with simulated
   * clocks, whose timers are exact.
   */
  readonly timerSlackMs?: number;
  /**
   * Most jobs decided in one pass (one log entry); the rest follow in the next turn. Default 1024: larger batches
   * keep more objects alive across a scavenge, and the promotions cost more than the extra entries.
   */
  readonly maxBatch?: number;
  /** Most jobs one `pruneHistory` command looks at (default 1024). */
  readonly pruneBudget?: number;
  readonly onError: (error: Error) => void;
}

/** The queue key of the periodic history pruning: NUL can never appear in a job id. */
const PRUNE_KEY = '\u0000prune';

/** Backoff after a failed proposal: 10ms doubling to 1s while failures continue. */
const RETRY_BASE_MS = 10;
const RETRY_MAX_MS = 1000;

/** Fires due jobs while this node leads. */
export class LeaderLoop {
  readonly #o: LeaderLoopOptions;
  readonly #maxBatch: number;
  readonly #slack: number;
  readonly #queue = new SlotQueue();
  /** Jobs whose decision is being proposed; they re-enter the queue on `wake` or on failure. */
  readonly #inFlight = new Set<string>();
  #active = false;
  /** Bumped on every leadership change so results of an older reign are ignored. */
  #epoch = 0;
  #ctx: DecideContext | undefined;
  #timer: TimerHandle | undefined;
  /** A next-turn wake-up is queued (it cannot be cancelled: a stale one sees this cleared and returns). */
  #immediate = false;
  /** Numbers next-turn wake-ups, so that only the latest one fires. */
  #turn = 0;
  #armedAt = Infinity;
  #failures = 0;
  /** Reused across passes so a pass allocates only what it proposes. */
  #due: string[] = [];
  /** Where the pruning pass in progress resumes (`undefined`: the next pass starts from the first job). */
  #pruneFrom: number | undefined;
  /** When the pruning pass in progress began: the next pass is due an interval after it. */
  #pruneStartedAt = 0;

  constructor(options: LeaderLoopOptions) {
    this.#o = options;
    this.#maxBatch = options.maxBatch ?? 1024;
    this.#slack = options.timerSlackMs ?? 0;
  }

  /** Whether the loop is firing (this node leads). */
  get active(): boolean {
    return this.#active;
  }

  /** Jobs waiting in the queue (the pruning entry excluded). */
  get pending(): number {
    return this.#queue.size - (this.#queue.has(PRUNE_KEY) ? 1 : 0);
  }

  /** This node became leader of `term`: load every wake time and start firing. */
  activate(term: number): void {
    this.deactivate();
    this.#active = true;
    const o = this.#o;
    this.#ctx = {
      nodeId: o.nodeId,
      term,
      missedThresholdMs: o.missedThresholdMs,
      inProgressTimeoutMs: o.inProgressTimeoutMs,
      isRunningLocally: o.isRunningLocally,
      ...(o.random !== undefined && { random: o.random }),
    };
    this.#queue.rebuild(o.state.wakeTimes());
    // Prune once right away: a node that led before may have been down past many intervals.
    this.#queue.set(PRUNE_KEY, o.clock.now());
    this.#arm();
  }

  /** This node stopped leading (or is closing): forget everything and disarm. */
  deactivate(): void {
    this.#active = false;
    this.#epoch++;
    this.#ctx = undefined;
    this.#queue.clear();
    this.#inFlight.clear();
    this.#disarm();
    this.#failures = 0;
    this.#pruneFrom = undefined;
  }

  /** An applied entry moved `jobId`'s wake time to `at` (`undefined`: nothing planned). */
  wake(jobId: string, at: number | undefined): void {
    if (!this.#active) return;
    this.#inFlight.delete(jobId);
    if (at === undefined) {
      this.#queue.delete(jobId);
      return;
    }
    this.#queue.set(jobId, at);
    // Only an earlier deadline needs the timer moved; a later one is picked up when it fires.
    if (at < this.#armedAt) this.#arm();
  }

  #arm(): void {
    const next = this.#queue.peekTime();
    if (next === Infinity) {
      this.#disarm();
      return;
    }
    const now = this.#o.clock.now();
    const at = Math.min(next, now + this.#o.slotGapMs);
    if ((this.#timer !== undefined || this.#immediate) && this.#armedAt <= at) return;
    this.#disarm();
    this.#armedAt = at;
    // Due (or within the slack): the next turn of the event loop, not a timer (a 0 ms timer
    // costs ≥ 1 ms in Node, and a ManualClock would hold it until someone moves time, though
    // its time has come).
    if (at - now <= this.#slack) {
      this.#immediate = true;
      const turn = ++this.#turn;
      this.#o.clock.nextTurn(() => {
        if (turn === this.#turn && this.#immediate) this.#fire();
      });
    } else this.#timer = this.#o.clock.setTimeout(this.#fire, at - now - this.#slack);
  }

  #disarm(): void {
    if (this.#timer !== undefined) this.#o.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#immediate = false;
    this.#armedAt = Infinity;
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    this.#immediate = false;
    this.#armedAt = Infinity;
    const ctx = this.#ctx;
    if (!this.#active || ctx === undefined) return;
    const o = this.#o;
    const now = o.clock.now();
    if (this.#queue.peekTime() > now) {
      // Woken early (slot gap, timer slack): nothing to decide yet.
      this.#arm();
      return;
    }
    const due = this.#due;
    due.length = 0;
    this.#queue.popDue(now, this.#maxBatch, due);
    const commands: Command[] = [];
    const jobs: string[] = [];
    let prune = -1;
    for (let i = 0; i < due.length; i++) {
      const jobId = due[i] as string;
      if (jobId === PRUNE_KEY) {
        if (this.#pruneFrom === undefined) this.#pruneStartedAt = now;
        prune = commands.length;
        commands.push({
          type: 'pruneHistory',
          now,
          before: now - o.historyRetentionMs,
          maxPerJob: o.historyLimit,
          from: this.#pruneFrom ?? 0,
          budget: o.pruneBudget ?? 1024,
        });
        continue;
      }
      let decided: readonly Command[];
      try {
        decided = o.state.decide(jobId, now, ctx);
      } catch (error) {
        // A bug in decide must not stall every other job; this one waits for its next wake.
        o.onError(error instanceof Error ? error : new Error(String(error)));
        continue;
      }
      if (decided.length === 0) {
        // Not actionable now (a stale queue entry): re-queue at what the state says. A state
        // that calls a job due yet has nothing to do for it is looked at again in a second,
        // not in a tight loop, and not never.
        const at = o.state.wakeTime(jobId);
        if (at !== undefined) this.#queue.set(jobId, at > now ? at : now + RETRY_MAX_MS);
        continue;
      }
      this.#inFlight.add(jobId);
      jobs.push(jobId);
      for (let k = 0; k < decided.length; k++) {
        const command = decided[k] as Command;
        // Every replica trims the job's history to the same limit when it applies the start.
        commands.push(command.type === 'startExecution' ? { ...command, historyLimit: o.historyLimit } : command);
      }
    }
    due.length = 0;
    if (commands.length > 0) this.#propose(commands, jobs, prune);
    this.#arm();
  };

  /** The pruning command at index `prune` of a proposal was applied: continue the pass, or plan the next. */
  #pruned(result: ApplyResult | undefined): void {
    const next = result?.ok === true && result.type === 'pruneHistory' ? result.next : undefined;
    this.#pruneFrom = next;
    const at = next !== undefined ? this.#o.clock.now() : this.#pruneStartedAt + this.#o.pruneIntervalMs;
    this.#queue.set(PRUNE_KEY, at);
    if (at < this.#armedAt) this.#arm();
  }

  #propose(commands: readonly Command[], jobs: readonly string[], prune: number): void {
    const epoch = this.#epoch;
    const batcher = this.#o.batcher;
    const sent = batcher.send(commands);
    // Now, not next turn: a due job must not wait for the batcher's turn.
    batcher.flush();
    sent.then(
      (results) => {
        if (epoch !== this.#epoch) return;
        this.#failures = 0;
        if (prune >= 0) this.#pruned(results[prune]);
        // Applied without moving a job's wake time (e.g. rejected as stale): take the state's word.
        // If it is still due, the state refused the decision it made itself: retry, but slowly,
        // so a disagreement between decide and apply cannot spin the loop.
        const now = this.#o.clock.now();
        for (const jobId of jobs) {
          if (!this.#inFlight.delete(jobId)) continue;
          const at = this.#o.state.wakeTime(jobId);
          if (at !== undefined) this.wake(jobId, at > now ? at : now + RETRY_MAX_MS);
        }
      },
      () => {
        if (epoch !== this.#epoch) return;
        const delay = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.min(this.#failures++, 10));
        const at = this.#o.clock.now() + delay;
        for (const jobId of jobs) if (this.#inFlight.delete(jobId)) this.#queue.set(jobId, at);
        // The pruning chunk is tried again from where it was.
        if (prune >= 0) this.#queue.set(PRUNE_KEY, at);
        this.#arm();
      },
    );
  }
}
