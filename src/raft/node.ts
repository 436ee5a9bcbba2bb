/**
 * The Raft node driver: everything around the pure `RaftCore` that waits or touches the world.
 * It owns the tick timer, runs the Ready cycle (persist → send → apply → advance, never two at
 * once), batches proposals, and matches committed entries back to the promises that proposed them.
 */
import { RaftCore } from './core.js';
import { DEFAULT_TIMING, type RaftTiming } from './timing.js';
import { envelopeFields, envelopeHeader, fitsEnvelope, ownSequence, readEnvelope, wrapEnvelope } from './envelope.js';
import {
  AlreadyStartedError,
  NoLeaderError,
  NodeClosedError,
  NotLeaderError,
  ProposalDroppedError,
  RaftConfigError,
  RaftTimeoutError,
  type RaftError,
} from './errors.js';
import { ProposalTracker } from './proposals.js';
import { DEFAULT_SESSION_WINDOW, SessionTable } from './sessions.js';
import type {
  Entry,
  LeadershipChange,
  Message,
  NodeId,
  PersistedState,
  RaftStorage,
  Ready,
  ReplicatedLog,
  Role,
  SoftState,
  StateMachine,
  Transport,
} from './types.js';
import { completeClock, systemClock, type Clock, type CompleteClock, type TimerHandle } from '../util/clock.js';
import { ByteArena } from '../util/byte-arena.js';
import { SoonScheduler } from '../util/soon.js';
import { systemRandom } from '../util/random.js';

/** Options of {@link RaftNode}. */
export interface RaftNodeOptions {
  /** This node's id; must be one of `voters`. */
  readonly id: NodeId;
  /** Every voting member, this node included. */
  readonly voters: readonly NodeId[];
  /** Where term, vote and log survive restarts. */
  readonly storage: RaftStorage;
  /** How messages reach the other nodes. */
  readonly transport: Transport;
  /** Receives every committed entry's payload, in order. */
  readonly stateMachine: StateMachine;
  /** Time source for ticks and timeouts. Default {@link systemClock}. */
  readonly clock?: Clock;
  /** Uniform [0, 1) source for election jitter and the 64-bit session of each incarnation. Default `Math.random`. */
  readonly random?: () => number;
  /** Tick length and election/heartbeat ticks. Default {@link DEFAULT_TIMING}. */
  readonly timing?: RaftTiming;
  /**
   * A proposal still unapplied this long after it was handed to Raft (the turn of the event loop
   * after `propose`) is rejected with {@link ProposalDroppedError}. Default 10 000 ms.
   */
  readonly proposalTimeoutMs?: number;
  /**
   * How many log entries a proposal stays admissible and an idle client session is remembered.
   * Every replica applies a proposal at most once, however often it was delivered: a copy
   * committed up to this many entries after the proposal is recognised and skipped; one committed
   * later is refused (its proposer's promise rejects with {@link ProposalDroppedError} `stale`:
   * it never applied). Must be the same on every node. Default 100 000.
   */
  readonly sessionWindowEntries?: number;
  /** How long `readIndex` and `transferLeadership` may take. Default: four maximal election timeouts. */
  readonly requestTimeoutMs?: number;
  /** Passed to the core: pre-vote before campaigning. Default: the core's. */
  readonly preVote?: boolean;
  /** Passed to the core: a leader steps down without a quorum. Default: the core's. */
  readonly checkQuorum?: boolean;
  /** Passed to the core: flow control of in-flight appends per follower. Default: the core's. */
  readonly maxInflightMsgs?: number;
  /** Passed to the core: the most entries in one append message. Default: the core's. */
  readonly maxEntriesPerMsg?: number;
  /**
   * Hears errors that the node survives but nobody awaits: a leadership listener that threw.
   * Default: `process.emitWarning`. Never rethrown, so that a listener's bug cannot wedge
   * consensus or crash the process from a microtask.
   */
  readonly onError?: (error: unknown) => void;
}

/** A snapshot of a node's state, for debugging and metrics. */
export interface RaftNodeStatus {
  /** This node's id. */
  readonly id: NodeId;
  /** Its role in the current term. */
  readonly role: Role;
  /** The current term. */
  readonly term: number;
  /** The leader this node knows, or `null`. */
  readonly leader: NodeId | null;
  /** Highest index known committed. */
  readonly commit: number;
  /** Highest index applied to the state machine. */
  readonly applied: number;
  /** Highest index in this node's log. */
  readonly lastIndex: number;
}

interface PendingRead {
  readonly resolve: () => void;
  readonly reject: (reason: unknown) => void;
  readonly timer: TimerHandle;
  /** The read index once the leader confirmed it, or -1 while waiting. */
  index: number;
}

interface PendingTransfer {
  readonly resolve: () => void;
  readonly reject: (reason: unknown) => void;
  readonly timer: TimerHandle;
}

/** The options passed through to the core as they are. */
type CoreTuning = 'preVote' | 'checkQuorum' | 'maxInflightMsgs' | 'maxEntriesPerMsg';

const DEFAULT_PROPOSAL_TIMEOUT_MS = 10_000;
const ARENA_SIZE = 64 * 1024;
/** Envelopes larger than this get their own buffer, so a big payload never strands an arena. */
const ARENA_MAX_ITEM = 4 * 1024;

/**
 * One member of a Raft cluster (a single node is a cluster of one). See {@link ReplicatedLog} for
 * the contract; {@link RaftNode.status} adds a debugging view.
 *
 * `propose` copies the caller's bytes at once. The `data` handed to `StateMachine.apply` is a view
 * into a buffer shared with neighbouring entries and kept by the log: decode it, or copy it before
 * keeping it, and never write to it.
 * Rejections are {@link RaftError}s (`NO_LEADER`, `PROPOSAL_DROPPED`, `TIMEOUT`, `NOT_LEADER`,
 * `CLOSED`); a proposal rejected with `PROPOSAL_DROPPED` for `leader-changed` or `timeout` may
 * still commit, so retries must be idempotent.
 *
 * Each proposal is applied at most once on every replica, even when a duplicated or re-sent
 * forward made the leader append it twice: the envelope names this incarnation's client session
 * and the proposal's sequence number, and a session table replicated with the log skips copies
 * (see {@link RaftNodeOptions.sessionWindowEntries}).
 */
export class RaftNode implements ReplicatedLog {
  readonly id: NodeId;
  readonly #voters: readonly NodeId[];
  readonly #storage: RaftStorage;
  readonly #transport: Transport;
  readonly #stateMachine: StateMachine;
  readonly #clock: CompleteClock;
  readonly #random: () => number;
  readonly #timing: RaftTiming;
  readonly #requestTimeoutMs: number;
  readonly #onError: (error: unknown) => void;
  readonly #coreTuning: { readonly [K in CoreTuning]: RaftNodeOptions[K] | undefined };

  #core: RaftCore | undefined;
  #state: 'new' | 'starting' | 'running' | 'closed' = 'new';
  #closing: Promise<void> | undefined;
  /** Why the node stopped on its own (a storage failure), for later rejections. */
  #failure: unknown;

  /** This incarnation's envelope prefix: version, origin id, session. Committed entries that start with it are ours. */
  #header: Uint8Array = new Uint8Array(0);
  /** Proposals are copied into it: one backing store per 64 KiB of small proposals instead of one each. */
  readonly #arena = new ByteArena(ARENA_SIZE, ARENA_MAX_ITEM);
  #seq = 0;
  readonly #proposals: ProposalTracker;
  /** Which copies of committed proposals apply; rebuilt by the replay at start (no snapshots yet). */
  readonly #sessions: SessionTable;
  /** Reused by every decode on the apply path. */
  readonly #fields = envelopeFields();
  /** Payloads (already enveloped) waiting for the next flush; one `propose` call per macrotask. */
  #queue: Uint8Array[] = [];
  #queueSeqs: number[] = [];
  /** Proposals arriving before the flush share one append and one write; see {@link SoonScheduler}. */
  readonly #soon: SoonScheduler;

  #readSeq = 0;
  readonly #reads = new Map<string, PendingRead>();
  readonly #transfers = new Set<PendingTransfer>();

  #tickTimer: TimerHandle | undefined;
  /** The current (or last) Ready cycle run; `close()` waits for it. */
  #loop: Promise<void> | undefined;
  /** Cleared synchronously when the run ends, so a kick right after never sees a stale run. */
  #looping = false;
  #loopScheduled = false;

  #applied = 0;
  /** Term of the last applied entry (no-ops included): a leader is complete once it equals its term. */
  #appliedTerm = 0;
  #role: Role = 'follower';
  #term = 0;
  #leader: NodeId | null = null;
  #isLeader = false;
  readonly #listeners = new Set<(change: LeadershipChange) => void>();

  /** @param options - identity, collaborators and tuning; see {@link RaftNodeOptions}. */
  constructor(options: RaftNodeOptions) {
    if (!options.voters.includes(options.id)) throw new RaftConfigError('voters', `raft node: id ${options.id} is not among the voters`);
    if (new Set(options.voters).size !== options.voters.length) throw new RaftConfigError('voters', 'raft node: voters contain duplicates');
    if (!fitsEnvelope(options.id)) throw new RaftConfigError('id', 'raft node: id longer than 255 bytes');
    this.id = options.id;
    this.#voters = [...options.voters];
    this.#storage = options.storage;
    this.#transport = options.transport;
    this.#stateMachine = options.stateMachine;
    this.#clock = completeClock(options.clock ?? systemClock);
    this.#soon = new SoonScheduler(() => this.#flush(), 4, this.#clock);
    this.#random = options.random ?? systemRandom;
    this.#timing = options.timing ?? DEFAULT_TIMING;
    this.#onError = options.onError ?? emitWarning;
    this.#proposals = new ProposalTracker(this.#clock, options.proposalTimeoutMs ?? DEFAULT_PROPOSAL_TIMEOUT_MS);
    const window = options.sessionWindowEntries ?? DEFAULT_SESSION_WINDOW;
    if (!Number.isSafeInteger(window) || window < 1) {
      throw new RaftConfigError('sessionWindowEntries', 'raft node: sessionWindowEntries must be a positive integer');
    }
    this.#sessions = new SessionTable(window);
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 8 * this.#timing.electionTicks * this.#timing.tickMs;
    this.#coreTuning = {
      preVote: options.preVote,
      checkQuorum: options.checkQuorum,
      maxInflightMsgs: options.maxInflightMsgs,
      maxEntriesPerMsg: options.maxEntriesPerMsg,
    };
  }

  async start(): Promise<void> {
    if (this.#state !== 'new') throw new AlreadyStartedError();
    this.#state = 'starting';
    try {
      const persisted = await this.#storage.load();
      this.#header = this.#drawHeader();
      const core = new RaftCore(
        {
          id: this.id,
          voters: this.#voters,
          electionTicks: this.#timing.electionTicks,
          heartbeatTicks: this.#timing.heartbeatTicks,
          random: this.#random,
          ...(this.#coreTuning.preVote !== undefined && { preVote: this.#coreTuning.preVote }),
          ...(this.#coreTuning.checkQuorum !== undefined && { checkQuorum: this.#coreTuning.checkQuorum }),
          ...(this.#coreTuning.maxInflightMsgs !== undefined && { maxInflightMsgs: this.#coreTuning.maxInflightMsgs }),
          ...(this.#coreTuning.maxEntriesPerMsg !== undefined && { maxEntriesPerMsg: this.#coreTuning.maxEntriesPerMsg }),
        },
        persisted,
      );
      this.#core = core;
      this.#observe(undefined, core.term);
      await this.#replay(persisted);
      this.#avoidPreviousSession(persisted);
    } catch (err) {
      if (this.#state === 'starting') this.#shutdown(new NodeClosedError('node failed to start', err));
      throw err;
    }
    if (this.#state !== 'starting') throw this.#closedError(); // closed while loading or replaying
    this.#state = 'running';
    this.#transport.onMessage(this.#onMessage);
    // A single voter has no one to time out or heartbeat: no tick timer, so a simulated clock
    // moved by days fires only the application's own timers.
    if (this.#voters.length > 1) this.#armTick();
    if (this.#voters.length === 1) {
      // Nobody to wait for: become leader now, and let start() return a usable leader.
      this.#core.campaign();
      this.#kick();
      await this.#idle();
    }
  }

  propose(data: Uint8Array): Promise<unknown> {
    if (this.#state !== 'running') return Promise.reject(this.#closedError());
    const seq = ++this.#seq;
    const enveloped = wrapEnvelope(this.#header, seq, this.#proposals.floor(seq), this.#applied, data, this.#arena);
    return new Promise<unknown>((resolve, reject) => {
      this.#proposals.add(seq, resolve, reject);
      this.#queue.push(enveloped);
      this.#queueSeqs.push(seq);
      this.#soon.schedule();
    });
  }

  readIndex(): Promise<void> {
    if (this.#state !== 'running') return Promise.reject(this.#closedError());
    const core = this.#core!;
    if (core.leader === null) return Promise.reject(new NoLeaderError('no leader to confirm a read'));
    const context = `${this.id}/${++this.#readSeq}`;
    return new Promise<void>((resolve, reject) => {
      const timer = this.#clock.setTimeout(() => {
        if (this.#reads.delete(context)) reject(new RaftTimeoutError('readIndex', this.#requestTimeoutMs));
      }, this.#requestTimeoutMs);
      this.#reads.set(context, { resolve, reject, timer, index: -1 });
      core.readIndex(context);
      this.#kick();
    });
  }

  isLeader(): boolean {
    return this.#isLeader;
  }

  leader(): NodeId | null {
    return this.#leader;
  }

  onLeadership(listener: (change: LeadershipChange) => void): () => void {
    // Wrapped so that subscribing the same function twice gives two independent subscriptions.
    const entry = (change: LeadershipChange): void => listener(change);
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  transferLeadership(to?: NodeId): Promise<void> {
    if (this.#state !== 'running') return Promise.reject(this.#closedError());
    if (to !== undefined && !this.#voters.includes(to)) return Promise.reject(new RaftConfigError('to', `raft node: ${to} is not a voter`));
    if (this.#role !== 'leader') {
      // Nothing to hand over from here; fine if the requested target already leads.
      if (to === undefined || to === this.#leader) return Promise.resolve();
      return Promise.reject(new NotLeaderError(this.#leader));
    }
    const target = to ?? this.#mostCaughtUpFollower();
    if (target === undefined || target === this.id) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const transfer: PendingTransfer = {
        resolve,
        reject,
        timer: this.#clock.setTimeout(() => {
          if (this.#transfers.delete(transfer)) reject(new RaftTimeoutError('transferLeadership', this.#requestTimeoutMs));
        }, this.#requestTimeoutMs),
      };
      this.#transfers.add(transfer);
      this.#core!.transferLeadership(target);
      this.#kick();
    });
  }

  /** A snapshot of the node's state; zeros before `start()`, no role or leader after `close()`. */
  status(): RaftNodeStatus {
    const core = this.#core;
    if (core === undefined) {
      return { id: this.id, role: 'follower', term: 0, leader: null, commit: 0, applied: 0, lastIndex: 0 };
    }
    const s = core.status();
    // A closed node leads nothing, whatever its frozen core last believed.
    const closed = this.#state === 'closed';
    return {
      id: this.id,
      role: closed ? 'follower' : s.role,
      term: s.term,
      leader: closed ? null : s.leader,
      commit: s.commit,
      applied: this.#applied,
      lastIndex: s.lastIndex,
    };
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#shutdown(new NodeClosedError());
    // Let a Ready cycle that is mid-write finish before the store goes away.
    await this.#loop;
    await this.#transport.close();
    await this.#storage.close();
  }

  // ---- the Ready cycle -------------------------------------------------------------------

  /** Schedules a Ready cycle; steps and ticks of the same synchronous burst share it. */
  #kick(): void {
    if (this.#looping || this.#loopScheduled) return;
    this.#loopScheduled = true;
    this.#clock.soon(this.#startLoop);
  }

  readonly #startLoop = (): void => {
    this.#loopScheduled = false;
    if (this.#looping || this.#core === undefined || this.#state === 'closed') return;
    if (!this.#core.hasReady()) return;
    this.#looping = true;
    this.#loop = this.#runLoop();
  };

  async #runLoop(): Promise<void> {
    const core = this.#core!;
    try {
      while (this.#state !== 'closed' && core.hasReady()) {
        const rd = core.ready();
        const write = this.#persist(rd);
        if (write !== undefined) await write;
        if (!this.#completeReady(core, rd)) return;
      }
    } catch (err) {
      // A failed write leaves memory ahead of disk: carrying on could break a promise made to a
      // peer, so the node stops and everything waiting learns why.
      this.#shutdown(new NodeClosedError('node stopped after a storage failure', err));
      void this.#transport.close();
    } finally {
      this.#looping = false;
    }
  }

  /**
   * The Ready handler, shared by the replay at start and the steady state, in two halves so that
   * the loops await only a real write (a cycle without one costs no extra turn). First half:
   * notes our proposals among the new entries and starts the write; undefined when there is none.
   */
  #persist(rd: Ready): Promise<void> | undefined {
    if (rd.entries.length > 0 && this.#proposals.size > 0) this.#proposals.trackOwnEntries(rd.entries, this.#header);
    if (rd.hardState === undefined && rd.entries.length === 0) return undefined;
    return this.#storage.save(rd.hardState, rd.entries);
  }

  /**
   * Second half, once persisted: send, apply and advance, then take role, leader and term from
   * the Ready. False when the node closed while persisting: nothing may leave after `close()`.
   */
  #completeReady(core: RaftCore, rd: Ready): boolean {
    if (this.#stopped()) return false;
    if (rd.messages.length > 0) this.#transport.send(rd.messages);
    if (rd.committedEntries.length > 0) this.#applyAll(rd.committedEntries);
    if (rd.readStates.length > 0) this.#recordReadStates(rd);
    core.advance(rd);
    this.#observe(rd.softState, rd.hardState === undefined ? this.#term : rd.hardState.term);
    return true;
  }

  /** Resolves when no Ready cycle is running or scheduled. */
  async #idle(): Promise<void> {
    for (;;) {
      if (this.#looping) await this.#loop;
      // A scheduled cycle starts on the clock's `soon`; whatever is queued after it runs after it.
      else if (this.#loopScheduled) await new Promise<void>((resolve) => this.#clock.soon(resolve));
      else return;
    }
  }

  #applyAll(entries: readonly Entry[]): void {
    const header = this.#header;
    const mine = this.#proposals.size > 0;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      this.#applied = entry.index;
      this.#appliedTerm = entry.term;
      const data = entry.data;
      // Empty data is a leader's no-op; kind 1 is reserved for membership changes.
      if (entry.kind !== 0 || data.length === 0) continue;
      const fields = this.#fields;
      const offset = readEnvelope(data, fields);
      if (fields.version !== 1) {
        const admission = this.#sessions.admit(data, fields, entry.index);
        // A duplicate leaves our promise to the copy that applied; a stale entry never applies.
        if (admission === 'stale' && mine) this.#dropStale(data, header);
        if (admission !== 'apply') continue;
      }
      let result: unknown;
      let threw = false;
      try {
        result = this.#stateMachine.apply(data.subarray(offset), entry.index, entry.term);
      } catch (err) {
        // Deterministic apply throws on every replica alike; only the proposer hears about it.
        result = err;
        threw = true;
      }
      if (!mine) continue;
      const seq = ownSequence(data, header);
      if (seq >= 0) this.#proposals.settle(seq, result, threw);
    }
  }

  #dropStale(data: Uint8Array, header: Uint8Array): void {
    const seq = ownSequence(data, header);
    if (seq >= 0) this.#proposals.drop(seq, 'stale');
  }

  #recordReadStates(rd: Ready): void {
    for (const rs of rd.readStates) {
      const read = this.#reads.get(rs.context);
      if (read !== undefined && read.index < 0) read.index = rs.index;
    }
  }

  /**
   * Takes role and leader (`soft`, present only when they changed) and the term from a handled
   * Ready; settles reads and transfers; tells listeners.
   */
  #observe(soft: SoftState | undefined, term: number): void {
    // After close() the node has said its last word (leader: none); a cycle still finishing must not contradict it.
    if (this.#state === 'closed') return;
    const leader = soft === undefined ? this.#leader : soft.leader;
    const termChanged = term !== this.#term;
    const leaderChanged = leader !== this.#leader;
    if (soft !== undefined) this.#role = soft.role;
    this.#term = term;
    this.#leader = leader;
    const isLeader = this.#role === 'leader' && this.#appliedTerm === term;
    if (termChanged) this.#proposals.dropOlderThan(term);
    if (this.#reads.size > 0) this.#settleReads(leaderChanged);
    if (this.#transfers.size > 0 && leader !== null && leader !== this.id) {
      for (const t of this.#transfers) {
        this.#clock.clearTimeout(t.timer);
        t.resolve();
      }
      this.#transfers.clear();
    }
    if (termChanged || leaderChanged || isLeader !== this.#isLeader) {
      this.#isLeader = isLeader;
      this.#emit({ isLeader, leader, term });
    }
  }

  #settleReads(leaderChanged: boolean): void {
    for (const [context, read] of this.#reads) {
      if (read.index >= 0 && read.index <= this.#applied) {
        this.#reads.delete(context);
        this.#clock.clearTimeout(read.timer);
        read.resolve();
      } else if (read.index < 0 && leaderChanged && this.#leader !== null) {
        // The request may have died with the old leader; asking the new one is harmless.
        this.#core!.readIndex(context);
        this.#kick();
      }
    }
  }

  #emit(change: LeadershipChange): void {
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch (err) {
        // A listener's bug must not wedge consensus, nor stop the listeners after it.
        this.#report(err);
      }
    }
  }

  #report(error: unknown): void {
    try {
      this.#onError(error);
    } catch {
      // The error handler failed too: there is nobody left to tell.
    }
  }

  // ---- inputs ----------------------------------------------------------------------------

  readonly #onMessage = (message: Message): void => {
    if (this.#state !== 'running') return;
    this.#core!.step(message);
    this.#kick();
  };

  readonly #onTick = (): void => {
    if (this.#state !== 'running') return;
    this.#armTick();
    this.#core!.tick();
    this.#kick();
  };

  #armTick(): void {
    this.#tickTimer = this.#clock.setTimeout(this.#onTick, this.#timing.tickMs);
  }

  readonly #flush = (): void => {
    if (this.#state !== 'running' || this.#queue.length === 0) return;
    const batch = this.#queue;
    const seqs = this.#queueSeqs;
    this.#queue = [];
    this.#queueSeqs = [];
    const core = this.#core!;
    if (!core.propose(batch)) {
      // Refused outright: either nobody leads, or this leader is handing over to another node.
      const leaderless = core.leader === null;
      this.#proposals.refuse(seqs, () =>
        leaderless ? new NoLeaderError('no leader to take the proposal') : new ProposalDroppedError('leader-changed'),
      );
      return;
    }
    this.#proposals.handedOver(seqs, core.term);
    this.#kick();
  };

  // ---- timeouts and shutdown -------------------------------------------------------------

  #shutdown(error: NodeClosedError): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#failure = error.cause;
    if (this.#tickTimer !== undefined) this.#clock.clearTimeout(this.#tickTimer);
    this.#tickTimer = undefined;
    this.#queue = [];
    this.#queueSeqs = [];
    this.#proposals.rejectAll(error);
    for (const r of this.#reads.values()) {
      this.#clock.clearTimeout(r.timer);
      r.reject(error);
    }
    this.#reads.clear();
    for (const t of this.#transfers) {
      this.#clock.clearTimeout(t.timer);
      t.reject(error);
    }
    this.#transfers.clear();
    if (this.#isLeader || this.#leader !== null) {
      this.#isLeader = false;
      this.#leader = null;
      this.#emit({ isLeader: false, leader: null, term: this.#term });
    }
  }

  /** A method, not a field read: the state changes across awaits, which narrowing cannot see. */
  #stopped(): boolean {
    return this.#state === 'closed';
  }

  #closedError(): NodeClosedError {
    if (this.#state === 'new' || this.#state === 'starting') return new NodeClosedError('node is not started');
    if (this.#closing !== undefined) return new NodeClosedError();
    return this.#failure === undefined ? new NodeClosedError() : new NodeClosedError('node stopped after a storage failure', this.#failure);
  }

  // ---- start-up helpers ------------------------------------------------------------------

  /**
   * Brings the state machine up to the persisted commit index before the node joins: entries the
   * core already counts as applied are fed directly, the rest flow through ordinary Ready cycles.
   */
  async #replay(persisted: PersistedState): Promise<void> {
    const core = this.#core!;
    const commit = Math.min(persisted.hardState.commit, persisted.entries.length);
    const coreApplied = Math.min(core.status().applied, commit);
    if (coreApplied > 0) this.#applyAll(persisted.entries.slice(0, coreApplied));
    while (this.#state === 'starting' && this.#applied < commit && core.hasReady()) {
      const rd = core.ready();
      const write = this.#persist(rd);
      if (write !== undefined) await write;
      if (!this.#completeReady(core, rd)) return;
    }
  }

  /**
   * A `random` replayed from the same seed (or a constant one, in tests) draws the previous run's
   * session again, whose sequence numbers would then be taken for copies; the replayed log shows
   * it. Draws again, and when `random` keeps repeating itself, carries on after the highest
   * sequence number of that session in the log.
   */
  #avoidPreviousSession(persisted: PersistedState): void {
    for (let tries = 0; tries < 8 && this.#sessions.has(this.#header); tries++) this.#header = this.#drawHeader();
    if (!this.#sessions.has(this.#header)) return;
    for (const entry of persisted.entries) {
      if (entry.kind === 0 && entry.data.length > 0) this.#seq = Math.max(this.#seq, ownSequence(entry.data, this.#header));
    }
  }

  /** A fresh session: 64 random bits, so that no two incarnations share one in practice. */
  #drawHeader(): Uint8Array {
    const hi = Math.floor(this.#random() * 0x1_0000_0000);
    const lo = Math.floor(this.#random() * 0x1_0000_0000);
    return envelopeHeader(this.id, hi, lo);
  }

  /** The follower whose log the leader's core knows to match furthest; the first in configuration order on a tie. */
  #mostCaughtUpFollower(): NodeId | undefined {
    let best: NodeId | undefined;
    let bestMatch = -1;
    for (const pr of this.#core!.status().progress ?? []) {
      if (pr.id === this.id) continue;
      if (pr.match > bestMatch) {
        best = pr.id;
        bestMatch = pr.match;
      }
    }
    return best;
  }
}

/** The default {@link RaftNodeOptions.onError}: a process warning, which Node prints once and never turns into a crash. */
function emitWarning(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  const detail = error instanceof Error ? error.stack : undefined;
  process.emitWarning(`raft node: ${message}`, detail === undefined ? { type: 'RaftNodeWarning' } : { type: 'RaftNodeWarning', detail });
}
