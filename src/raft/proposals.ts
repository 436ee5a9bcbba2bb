/**
 * The proposals a node is waiting on: each promise from `propose` until its entry is applied, or
 * until it is given up — its term ended before it reached the log, a new leader overwrote it, or
 * it outlived its deadline. One timer serves every deadline.
 * @internal
 */
import type { CompleteClock, TimerHandle } from '../util/clock.js';
import { ownSequence } from './envelope.js';
import { ProposalDroppedError, type DropReason } from './errors.js';
import type { Entry } from './types.js';

/** A proposal waiting for its entry to be applied. */
interface PendingProposal {
  readonly resolve: (value: unknown) => void;
  readonly reject: (reason: unknown) => void;
  /** When it times out; `Infinity` until the flush hands it to the core (one clock read per batch). */
  deadline: number;
  /** Core term when the proposal was handed to the core; 0 while it waits for the next flush. */
  term: number;
  /** Index of its entry in this node's log; 0 while unseen, -1 while a rewrite of the log is checked. */
  index: number;
}

/** Pending proposals by sequence number, in proposal order. */
export class ProposalTracker {
  readonly #clock: CompleteClock;
  readonly #timeoutMs: number;
  readonly #pending = new Map<number, PendingProposal>();
  /** Highest log index at which a pending proposal was seen: rewrites below it need checking. */
  #maxSeenIndex = 0;
  #sweepTimer: TimerHandle | undefined;
  #sweepAt = Infinity;

  /**
   * @param clock - reads the time for deadlines and arms the sweep timer.
   * @param timeoutMs - how long a proposal may stay unapplied once handed to the core.
   */
  constructor(clock: CompleteClock, timeoutMs: number) {
    this.#clock = clock;
    this.#timeoutMs = timeoutMs;
  }

  /** How many proposals are waiting. */
  get size(): number {
    return this.#pending.size;
  }

  /** Waits on proposal `seq`; no deadline runs until {@link ProposalTracker.handedOver}. */
  add(seq: number, resolve: (value: unknown) => void, reject: (reason: unknown) => void): void {
    this.#pending.set(seq, { resolve, reject, deadline: Infinity, term: 0, index: 0 });
  }

  /** The core took proposals `seqs` in `term`: their deadlines start now. */
  handedOver(seqs: readonly number[], term: number): void {
    const deadline = this.#clock.now() + this.#timeoutMs;
    for (const seq of seqs) {
      const p = this.#pending.get(seq);
      if (p === undefined) continue;
      p.term = term;
      p.deadline = deadline;
    }
    if (deadline < this.#sweepAt) this.#armSweep(deadline);
  }

  /** The core refused proposals `seqs`: each is rejected with `error()`. */
  refuse(seqs: readonly number[], error: () => unknown): void {
    for (const seq of seqs) {
      const p = this.#pending.get(seq);
      if (p === undefined) continue;
      this.#pending.delete(seq);
      p.reject(error());
    }
  }

  /**
   * Notes where our proposals (envelopes under `header`) landed among entries about to be
   * persisted, and rejects those a rewrite of the log's tail removed (a new leader overwrote
   * them: they will never commit).
   */
  trackOwnEntries(entries: readonly Entry[], header: Uint8Array): void {
    const first = entries[0]!.index;
    const rewrite = first <= this.#maxSeenIndex;
    if (rewrite) {
      for (const p of this.#pending.values()) if (p.index >= first) p.index = -1;
    }
    for (let i = 0; i < entries.length; i++) {
      const p = this.#pending.get(ownSequence(entries[i]!.data, header));
      // A duplicated forward can put a second copy after the first: the first is the one that
      // applies, so losing the second to a rewrite must not give the proposal up.
      if (p === undefined || (p.index > 0 && p.index < entries[i]!.index)) continue;
      p.index = entries[i]!.index;
      if (p.index > this.#maxSeenIndex) this.#maxSeenIndex = p.index;
    }
    if (rewrite) this.#dropWhere((p) => p.index === -1, 'overwritten');
  }

  /** Proposal `seq` was applied: resolves it with `result`, or rejects it when `apply` threw. */
  settle(seq: number, result: unknown, threw: boolean): void {
    const pending = this.#pending.get(seq);
    if (pending === undefined) return;
    this.#pending.delete(seq);
    if (threw) pending.reject(result);
    else pending.resolve(result);
  }

  /**
   * The lowest sequence number still waiting, or `seq` when nothing is: the floor of the next
   * envelope, below which this node no longer needs an answer (see sessions.ts).
   */
  floor(seq: number): number {
    for (const pending of this.#pending.keys()) return pending;
    return seq;
  }

  /** Proposal `seq` will never apply (every replica refused it): rejects it with `reason`. */
  drop(seq: number, reason: DropReason): void {
    const pending = this.#pending.get(seq);
    if (pending === undefined) return;
    this.#pending.delete(seq);
    pending.reject(new ProposalDroppedError(reason));
  }

  /** The term moved on to `term`: proposals handed over in an older term and not seen in the log may never commit. */
  dropOlderThan(term: number): void {
    this.#dropWhere((p) => p.index === 0 && p.term !== 0 && p.term < term, 'leader-changed');
  }

  /** Rejects every proposal with `error` and stops the sweep timer (the node stopped). */
  rejectAll(error: unknown): void {
    if (this.#sweepTimer !== undefined) this.#clock.clearTimeout(this.#sweepTimer);
    this.#sweepTimer = undefined;
    this.#sweepAt = Infinity;
    for (const p of this.#pending.values()) p.reject(error);
    this.#pending.clear();
  }

  #armSweep(at: number): void {
    if (this.#sweepTimer !== undefined) this.#clock.clearTimeout(this.#sweepTimer);
    this.#sweepAt = at;
    this.#sweepTimer = this.#clock.setTimeout(this.#sweep, Math.max(0, at - this.#clock.now()));
  }

  /**
   * Proposals are kept in proposal order and deadlines are given in that order, so expired ones
   * lead the map and the ones not yet handed over (no deadline) trail it.
   */
  readonly #sweep = (): void => {
    this.#sweepTimer = undefined;
    this.#sweepAt = Infinity;
    const now = this.#clock.now();
    for (const [seq, p] of this.#pending) {
      if (p.deadline > now) {
        if (p.deadline !== Infinity) this.#armSweep(p.deadline);
        return;
      }
      this.#pending.delete(seq);
      p.reject(new ProposalDroppedError('timeout'));
    }
  };

  #dropWhere(predicate: (p: PendingProposal) => boolean, reason: DropReason): void {
    for (const [seq, p] of this.#pending) {
      if (!predicate(p)) continue;
      this.#pending.delete(seq);
      p.reject(new ProposalDroppedError(reason));
    }
  }
}
