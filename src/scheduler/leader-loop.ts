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
 * A due job that no node can run now (no available node has its handler) is parked — no wake
 * time, nothing polls — until a `nodeChanged` effect says the registry changed.
 * History pruning rides on the same queue and timer under a key no job id can take. A pass is
 * a chain of bounded `pruneHistory` commands: each resumes where the previous one's result says,
 * proposed as soon as that one is applied, until the pass reaches the last job.
 * The expiry of nodes out of contact rides on them too (see {@link LeaderLoop.nodeSeen}).
 */
import type { CompleteClock, TimerHandle } from '../util/clock.js';
import type { CommandBatcher } from './command-batcher.js';
import { SlotQueue } from './slot-queue.js';
import type { Command } from './state/commands.js';
import type { ApplyResult, DecideContext, NodeInfo } from './state/types.js';

/** The part of the scheduler state the loop reads. */
export interface LoopState {
  /** Commands to propose for `jobId` at `now` (empty: nothing to do yet). */
  decide(jobId: string, now: number, ctx: DecideContext): readonly Command[];
  /** Every job's current wake time. */
  wakeTimes(): Iterable<readonly [string, number]>;
  /** One job's current wake time, or `undefined` when nothing is planned for it. */
  wakeTime(jobId: string): number | undefined;
  /** The node registry. */
  nodes(): Iterable<NodeInfo>;
}

/** Settings of a {@link LeaderLoop}. */
export interface LeaderLoopOptions {
  readonly nodeId: string;
  /** This node's life: its own attempts are started only under it (see `DecideContext.incarnation`). */
  readonly incarnation?: string;
  readonly clock: CompleteClock;
  readonly state: LoopState;
  /** Proposes each pass's decisions (once, not retried: the loop re-decides after its backoff). */
  readonly batcher: CommandBatcher;
  readonly missedThresholdMs: number;
  /**
   * How long after the leader last applied a renewal of a node it expires it (ending its
   * attempts so their retries run elsewhere): the node's lease plus a margin. `undefined`: no
   * leases (a cluster of one).
   */
  readonly expireAfterMs: number | undefined;
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
/** The queue key of the earliest node expiry. */
const LEASE_KEY = '\u0000lease';

/** What the loop knows of a node's lease: its life, renewals, and when this node applied the latest of them. */
interface LeaseView {
  incarnation: string;
  renewals: number;
  available: boolean;
  /** Local time of the apply of its latest registration or renewal. */
  appliedAt: number;
  /** An `expireNode` for this view is being proposed. */
  expiring: boolean;
  /** After a failed proposal of its expiry: not proposed again before this (no spin without a quorum). */
  notBefore: number;
}

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
  /** Due jobs that no node can run now: re-armed when the registry changes. */
  readonly #parked = new Set<string>();
  /** Bumped on every registry change: a refused start decided before one is re-decided at once. */
  #registryEpoch = 0;
  /** Every node's lease as applied here (kept whether or not this node leads). */
  readonly #leases = new Map<string, LeaseView>();

  constructor(options: LeaderLoopOptions) {
    this.#o = options;
    this.#maxBatch = options.maxBatch ?? 1024;
    this.#slack = options.timerSlackMs ?? 0;
  }

  /** Whether the loop is firing (this node leads). */
  get active(): boolean {
    return this.#active;
  }

  /** Jobs waiting in the queue (the pruning and lease entries excluded). */
  get pending(): number {
    return this.#queue.size - (this.#queue.has(PRUNE_KEY) ? 1 : 0) - (this.#queue.has(LEASE_KEY) ? 1 : 0);
  }

  /**
   * An applied registration, renewal, expiry or departure of `node` (at local time now). Recorded
   * on every node, leading or not, so a new leader times expiries from what it applied itself.
   *
   * Why `leaseMs + margin` after that apply is safe: the owner's lease counts from the SEND time
   * of its renewal, which precedes every replica's apply of it, so when this replica's clock says
   * `appliedAt + leaseMs` has passed, the owner's lease from that renewal has lapsed (and it has
   * aborted its attempts); a later renewal either was applied here first (then `appliedAt` moved)
   * or is ordered before the `expireNode` in the log (then the expiry is stale). The margin —
   * at least the longest Raft election plus one renewal interval — keeps a healthy node whose
   * renewals could not commit during an election from being expired.
   */
  nodeSeen(node: NodeInfo): void {
    const now = this.#o.clock.now();
    const known = this.#leases.get(node.nodeId);
    if (known === undefined || known.incarnation !== node.incarnation || known.renewals !== node.renewals || !known.available) {
      this.#leases.set(node.nodeId, {
        incarnation: node.incarnation,
        renewals: node.renewals,
        available: node.available,
        appliedAt: now,
        expiring: false,
        notBefore: 0,
      });
    } else if (!node.available) known.available = false;
    if (this.#active) this.#armLease();
  }

  /** The registry changed (a node registered, left, or was expired): parked jobs may have a runner now. */
  nodesChanged(): void {
    this.#registryEpoch++;
    if (!this.#active || this.#parked.size === 0) return;
    const now = this.#o.clock.now();
    for (const jobId of this.#parked) this.#queue.set(jobId, now);
    this.#parked.clear();
    this.#arm();
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
      ...(o.incarnation !== undefined && { incarnation: o.incarnation }),
    };
    this.#queue.rebuild(o.state.wakeTimes());
    // Prune once right away: a node that led before may have been down past many intervals.
    this.#queue.set(PRUNE_KEY, o.clock.now());
    // Nodes this replica has no apply time for (it replayed them from its log) are timed from now.
    for (const node of o.state.nodes()) {
      const known = this.#leases.get(node.nodeId);
      if (known === undefined || known.incarnation !== node.incarnation || known.renewals !== node.renewals) this.nodeSeen(node);
    }
    this.#armLease();
    this.#arm();
  }

  /** This node stopped leading (or is closing): forget everything and disarm. */
  deactivate(): void {
    this.#active = false;
    this.#epoch++;
    this.#ctx = undefined;
    this.#queue.clear();
    this.#inFlight.clear();
    this.#parked.clear();
    this.#disarm();
    this.#failures = 0;
    this.#pruneFrom = undefined;
    for (const lease of this.#leases.values()) lease.expiring = false;
  }

  /** Keeps the lease entry of the queue at the earliest expiry of an available node other than this one. */
  #armLease(): void {
    const after = this.#o.expireAfterMs;
    if (after === undefined) return;
    let earliest = Infinity;
    for (const [id, lease] of this.#leases) {
      if (id === this.#o.nodeId || !lease.available || lease.expiring) continue;
      const due = Math.max(lease.appliedAt + after, lease.notBefore);
      if (due < earliest) earliest = due;
    }
    if (earliest === Infinity) this.#queue.delete(LEASE_KEY);
    else {
      this.#queue.set(LEASE_KEY, earliest);
      if (earliest < this.#armedAt) this.#arm();
    }
  }

  /** The `expireNode` commands due at `now`. */
  #expiries(now: number): Command[] {
    const after = this.#o.expireAfterMs as number;
    const out: Command[] = [];
    for (const [nodeId, lease] of this.#leases) {
      if (nodeId === this.#o.nodeId || !lease.available || lease.expiring) continue;
      if (Math.max(lease.appliedAt + after, lease.notBefore) > now) continue;
      lease.expiring = true;
      out.push({ type: 'expireNode', now, nodeId, incarnation: lease.incarnation, renewals: lease.renewals });
    }
    return out;
  }

  #proposeExpiries(commands: Command[]): void {
    const epoch = this.#epoch;
    const batcher = this.#o.batcher;
    const sent = batcher.send(commands);
    batcher.flush();
    const done = (): void => {
      if (epoch !== this.#epoch) return;
      // Applied: the `nodeChanged` effect has already made the node unavailable here; stale after
      // a renewal: the view has moved on. A view still as proposed means the proposal failed (no
      // quorum) or the state disagrees: look again after a pause, never in a tight loop.
      const retryAt = this.#o.clock.now() + RETRY_MAX_MS;
      for (const c of commands) {
        if (c.type !== 'expireNode') continue;
        const lease = this.#leases.get(c.nodeId);
        if (lease !== undefined && lease.incarnation === c.incarnation && lease.renewals === c.renewals) {
          lease.expiring = false;
          lease.notBefore = retryAt;
        }
      }
      this.#armLease();
    };
    sent.then(done, done);
  }

  /** An applied entry moved `jobId`'s wake time to `at` (`undefined`: nothing planned). */
  wake(jobId: string, at: number | undefined): void {
    if (!this.#active) return;
    this.#inFlight.delete(jobId);
    this.#parked.delete(jobId);
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
      if (jobId === LEASE_KEY) {
        const expiries = this.#expiries(now);
        if (expiries.length > 0) this.#proposeExpiries(expiries);
        this.#armLease();
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
        // A stale queue entry is re-queued at what the state says. A job that is due with
        // nothing to decide has no node to run it: parked, no wake time, until the registry changes.
        const at = o.state.wakeTime(jobId);
        if (at !== undefined) {
          if (at > now) this.#queue.set(jobId, at);
          else this.#parked.add(jobId);
        }
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
    const registry = this.#registryEpoch;
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
        // Still due: a start for a node that left or was expired meanwhile is re-decided at once;
        // otherwise the state refused the decision it made itself, and it is retried, but slowly,
        // so a disagreement between decide and apply cannot spin the loop.
        const now = this.#o.clock.now();
        const moved = registry !== this.#registryEpoch;
        for (const jobId of jobs) {
          if (!this.#inFlight.delete(jobId)) continue;
          const at = this.#o.state.wakeTime(jobId);
          if (at !== undefined) this.wake(jobId, at > now ? at : moved ? now : now + RETRY_MAX_MS);
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
