/**
 * The pure Raft state machine, in the shape of etcd-io/raft's RawNode: the driver feeds it ticks,
 * messages and proposals and collects a {@link Ready} of what to persist, send and apply. Nothing
 * here waits, reads a clock or touches I/O; randomness comes from the injected generator.
 */
import { RaftConfigError } from './errors.js';
import { RaftLog } from './log.js';
import type { Progress, ProgressState } from './progress.js';
import { ProgressTracker } from './tracker.js';
import { ReadOnlyQueue } from './read-only.js';
import type { Entry, HardState, Message, NodeId, PersistedState, ReadState, Ready, Role, SoftState } from './types.js';

/** Configuration of a {@link RaftCore}. */
export interface RaftCoreOptions {
  /** This node's id; must be one of `voters`. */
  readonly id: NodeId;
  /** The cluster configuration, this node included. */
  readonly voters: readonly NodeId[];
  /** Base election timeout in ticks (default 10); the timeout is drawn from `[electionTicks, 2 * electionTicks)`. */
  readonly electionTicks?: number;
  /** Ticks between leader heartbeats (default 1). */
  readonly heartbeatTicks?: number;
  /** Run a pre-vote round before a real election so that a partitioned node cannot inflate terms (default true). */
  readonly preVote?: boolean;
  /**
   * A leader that has not heard from a quorum within an election timeout steps down; followers in
   * contact with a leader ignore votes (default true).
   */
  readonly checkQuorum?: boolean;
  /** Unacknowledged append messages allowed per follower while replicating (default 256). */
  readonly maxInflightMsgs?: number;
  /** Entries carried by one append message at most (default 4096). */
  readonly maxEntriesPerMsg?: number;
  /**
   * Index the driver has already applied before joining (default `persisted.hardState.commit`: the
   * driver replays the committed log itself on start, so the first Ready does not repeat it).
   */
  readonly applied?: number;
  /** Seeded generator in `[0, 1)` for election jitter. */
  readonly random: () => number;
}

/** A snapshot of a core's state for debugging, metrics and tests. */
export interface RaftStatus {
  /** This node. */
  readonly id: NodeId;
  /** Current term. */
  readonly term: number;
  /** Current role. */
  readonly role: Role;
  /** The leader this node follows (itself when leader), or null. */
  readonly leader: NodeId | null;
  /** Highest index known committed. */
  readonly commit: number;
  /** Highest index the driver acknowledged as applied through `advance`. */
  readonly applied: number;
  /** Index of the last entry in the log. */
  readonly lastIndex: number;
  /** Whom this node voted for in `term`, or null. */
  readonly vote: NodeId | null;
  /** The follower a leadership transfer is handing over to, or null (always null unless leader). */
  readonly leadTransferee: NodeId | null;
  /** Leader only: what it knows of each voter's log, this node included, in configuration order. */
  readonly progress?: readonly VoterProgress[];
}

/** A leader's view of one voter's log, in {@link RaftStatus.progress}. */
export interface VoterProgress {
  /** The voter. */
  readonly id: NodeId;
  /** Highest index known replicated on it. */
  readonly match: number;
  /** Next index the leader sends it. */
  readonly next: number;
  /** How appends to it are paced. */
  readonly state: ProgressState;
}

const EMPTY_DATA = new Uint8Array(0);
const NO_ENTRIES: readonly Entry[] = Object.freeze([]);
const NO_MESSAGES: readonly Message[] = Object.freeze([]);
const NO_READS: readonly ReadState[] = Object.freeze([]);
/** Vote context marking an election started by leadership transfer: voters in a leader lease still answer it. */
const TRANSFER = 'transfer';

/** A read that reached a leader which has not yet committed an entry of its own term. */
interface DeferredRead {
  readonly context: string;
  readonly from: NodeId;
}

/**
 * One node's Raft consensus logic. See the module comment and the {@link Ready} contract: the
 * driver persists `hardState` and `entries` before sending `messages`, applies
 * `committedEntries`, then calls {@link RaftCore.advance}.
 */
export class RaftCore {
  /** This node's id. */
  readonly id: NodeId;

  /** The voters, the leader's progress of each, recent activity and election votes. */
  readonly #tracker: ProgressTracker;

  readonly #electionTimeout: number;
  readonly #heartbeatTimeout: number;
  readonly #preVote: boolean;
  readonly #checkQuorum: boolean;
  readonly #maxEntriesPerMsg: number;
  readonly #random: () => number;

  #term: number;
  #vote: NodeId | null;
  #role: Role = 'follower';
  #leader: NodeId | null = null;
  readonly #log: RaftLog;

  #electionElapsed = 0;
  #heartbeatElapsed = 0;
  #randomizedElectionTimeout = 0;
  #leadTransferee: NodeId | null = null;

  #msgs: Message[] = [];
  /** The last entries slice put in an append: a broadcast shares one array among followers. */
  #sliceLo = 0;
  #sliceHi = 0;
  #slice: readonly Entry[] = NO_ENTRIES;
  #readStates: ReadState[] = [];
  readonly #readOnly: ReadOnlyQueue;
  #deferredReads: DeferredRead[] = [];

  #prevHard: HardState;
  #prevRole: Role = 'follower';
  #prevLeader: NodeId | null = null;

  /**
   * @param options - cluster and tuning, see {@link RaftCoreOptions}.
   * @param persisted - what the driver loaded from storage (term, vote, commit and the log).
   * @throws {@link RaftConfigError} `INVALID_CONFIG` when `voters` lacks `id` or a tuning value is out of range.
   */
  constructor(options: RaftCoreOptions, persisted: PersistedState) {
    const voters = [...new Set(options.voters)];
    const self = voters.indexOf(options.id);
    if (self < 0) throw new RaftConfigError('voters', `voters must include this node's id "${options.id}"`);
    const electionTicks = options.electionTicks ?? 10;
    const heartbeatTicks = options.heartbeatTicks ?? 1;
    if (!Number.isInteger(electionTicks) || electionTicks < 1) {
      throw new RaftConfigError('electionTicks', 'electionTicks must be a positive integer');
    }
    if (!Number.isInteger(heartbeatTicks) || heartbeatTicks < 1 || heartbeatTicks >= electionTicks) {
      throw new RaftConfigError('heartbeatTicks', 'heartbeatTicks must be a positive integer smaller than electionTicks');
    }
    const maxInflight = options.maxInflightMsgs ?? 256;
    const maxEntries = options.maxEntriesPerMsg ?? 4096;
    if (!Number.isInteger(maxInflight) || maxInflight < 1) {
      throw new RaftConfigError('maxInflightMsgs', 'maxInflightMsgs must be a positive integer');
    }
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new RaftConfigError('maxEntriesPerMsg', 'maxEntriesPerMsg must be a positive integer');
    }

    this.id = options.id;
    this.#tracker = new ProgressTracker(voters, self, maxInflight);
    this.#electionTimeout = electionTicks;
    this.#heartbeatTimeout = heartbeatTicks;
    this.#preVote = options.preVote ?? true;
    this.#checkQuorum = options.checkQuorum ?? true;
    this.#maxEntriesPerMsg = maxEntries;
    this.#random = options.random;
    this.#readOnly = new ReadOnlyQueue(voters.length);

    const hs = persisted.hardState;
    this.#term = hs.term;
    this.#vote = hs.vote;
    this.#log = new RaftLog(persisted.entries, hs.commit, options.applied ?? hs.commit);
    this.#prevHard = { term: hs.term, vote: hs.vote, commit: this.#log.committed };
    this.#resetTimers();
  }

  // ---------------------------------------------------------------- inputs

  /** Advances logical time by one tick: election timeouts on followers, heartbeats and check-quorum on the leader. */
  tick(): void {
    if (this.#role === 'leader') {
      this.#tickLeader();
      return;
    }
    this.#electionElapsed++;
    if (this.#electionElapsed >= this.#randomizedElectionTimeout) {
      this.#electionElapsed = 0;
      this.#hup(false);
    }
  }

  /** Feeds one message from the network. Messages from unknown nodes are ignored. */
  step(m: Message): void {
    const from = this.#tracker.positionOf(m.from);
    if (from === undefined || from === this.#tracker.self) return;
    // Forwarded proposals and reads carry no term: any leader may serve them.
    if (m.type === 'propose') {
      if (this.#role === 'leader' && this.#leadTransferee === null && m.entries !== undefined) this.#appendEntries(m.entries);
      return;
    }
    if (m.type === 'readIndex') {
      if (this.#role === 'leader' && m.context !== undefined) this.#handleReadIndex(m.context, m.from);
      return;
    }

    if (m.term > this.#term) {
      if (m.type === 'preVote' || m.type === 'vote') {
        // A node that heard from a leader within the minimum election timeout ignores
        // (pre)votes, so a rejoining partitioned node cannot depose a healthy leader.
        const inLease = this.#checkQuorum && this.#leader !== null && this.#electionElapsed < this.#electionTimeout;
        if (inLease && m.context !== TRANSFER) return;
      }
      if (m.type === 'preVote') {
        // A pre-vote never changes our term.
      } else if (m.type === 'preVoteResp' && !m.reject) {
        // A granted pre-vote carries the term we asked about, one above ours.
      } else {
        const lead = m.type === 'append' || m.type === 'heartbeat' ? m.from : null;
        this.#becomeFollower(m.term, lead);
      }
    } else if (m.term < this.#term) {
      if ((this.#checkQuorum || this.#preVote) && (m.type === 'append' || m.type === 'heartbeat')) {
        // A stale leader learns our term from the answer and steps down; without this it would
        // keep a partitioned minority that ignores its votes stuck.
        this.#send({ type: 'appendResp', from: this.id, to: m.from, term: this.#term });
      } else if (m.type === 'preVote') {
        this.#send({ type: 'preVoteResp', from: this.id, to: m.from, term: this.#term, reject: true });
      }
      return;
    }

    if (m.type === 'preVote' || m.type === 'vote') {
      this.#handleVote(m);
      return;
    }

    switch (this.#role) {
      case 'leader':
        this.#stepLeader(m, from);
        return;
      case 'follower':
        this.#stepFollower(m);
        return;
      default:
        this.#stepCandidate(m, from);
    }
  }

  /**
   * Proposes entries. A leader appends them all as one batch; a follower that knows its leader
   * forwards them in one 'propose' message. Returns false when there is no leader to take them or
   * the leader is handing leadership over (the caller rejects or retries).
   */
  propose(data: readonly Uint8Array[]): boolean {
    if (this.#role === 'leader') {
      if (this.#leadTransferee !== null) return false;
      if (data.length > 0) this.#appendData(data);
      return true;
    }
    if (this.#leader === null || this.#role !== 'follower') return false;
    if (data.length === 0) return true;
    const entries: Entry[] = new Array<Entry>(data.length);
    for (let i = 0; i < data.length; i++) entries[i] = { index: 0, term: 0, kind: 0, data: data[i] as Uint8Array };
    this.#send({ type: 'propose', from: this.id, to: this.#leader, term: 0, entries });
    return true;
  }

  /** Starts an election now (pre-vote first when enabled). A single voter becomes leader at once. */
  campaign(): void {
    this.#hup(false);
  }

  /**
   * Leader only: hands leadership to `to`. The leader stops accepting proposals, brings `to` up to
   * date, then tells it to campaign at once; the attempt is abandoned after an election timeout.
   */
  transferLeadership(to: NodeId): void {
    if (this.#role !== 'leader' || to === this.id) return;
    const pos = this.#tracker.positionOf(to);
    if (pos === undefined || this.#leadTransferee === to) return;
    this.#leadTransferee = to;
    this.#electionElapsed = 0;
    const pr = this.#tracker.at(pos);
    if (pr.match === this.#log.lastIndex()) this.#sendTimeoutNow(to);
    else this.#sendAppend(pos, true);
  }

  /**
   * Requests a linearizable read. The leader confirms it is still leader with a heartbeat round,
   * then emits a {@link ReadState} whose `index` the caller must have applied before reading; a
   * follower forwards the request to its leader. Dropped when no leader is known or leadership
   * changes first (the caller times out); a context already pending is ignored.
   */
  readIndex(context: string): void {
    if (this.#role === 'leader') {
      this.#handleReadIndex(context, this.id);
    } else if (this.#leader !== null && this.#role === 'follower') {
      this.#send({ type: 'readIndex', from: this.id, to: this.#leader, term: 0, context });
    }
  }

  // ---------------------------------------------------------------- Ready cycle

  /** True when {@link RaftCore.ready} has something for the driver. */
  hasReady(): boolean {
    return (
      this.#msgs.length > 0 ||
      this.#readStates.length > 0 ||
      this.#log.hasUnstable() ||
      this.#log.hasNextCommitted() ||
      this.#hardChanged() ||
      this.#role !== this.#prevRole ||
      this.#leader !== this.#prevLeader
    );
  }

  /**
   * Collects what the driver must do next. Messages and read states are handed over (not
   * repeated); entries stay pending until {@link RaftCore.advance} confirms they were persisted.
   * Messages produced by `step` calls made before `advance` go into the next Ready.
   */
  ready(): Ready {
    let softState: SoftState | undefined;
    if (this.#role !== this.#prevRole || this.#leader !== this.#prevLeader) {
      softState = { role: this.#role, leader: this.#leader };
      this.#prevRole = this.#role;
      this.#prevLeader = this.#leader;
    }
    let hardState: HardState | undefined;
    if (this.#hardChanged()) {
      hardState = { term: this.#term, vote: this.#vote, commit: this.#log.committed };
      this.#prevHard = hardState;
    }
    const entries = this.#log.hasUnstable() ? this.#log.unstableEntries() : NO_ENTRIES;
    const committedEntries = this.#log.hasNextCommitted() ? this.#log.nextCommitted() : NO_ENTRIES;
    const messages = this.#msgs.length > 0 ? this.#msgs : NO_MESSAGES;
    if (this.#msgs.length > 0) this.#msgs = [];
    const readStates = this.#readStates.length > 0 ? this.#readStates : NO_READS;
    if (this.#readStates.length > 0) this.#readStates = [];
    const rd: { -readonly [K in keyof Ready]: Ready[K] } = { entries, messages, committedEntries, readStates };
    if (softState !== undefined) rd.softState = softState;
    if (hardState !== undefined) rd.hardState = hardState;
    return rd;
  }

  /** Acknowledges that `ready` was persisted, sent and applied. */
  advance(ready: Ready): void {
    const n = ready.entries.length;
    if (n > 0) {
      const last = ready.entries[n - 1] as Entry;
      this.#log.stableTo(last.index, last.term);
    }
    const c = ready.committedEntries.length;
    if (c > 0) this.#log.appliedTo((ready.committedEntries[c - 1] as Entry).index);
  }

  // ---------------------------------------------------------------- inspection

  /** Current term; unlike {@link RaftCore.status}, allocation-free, for drivers on hot paths. */
  get term(): number {
    return this.#term;
  }

  /** The leader this node follows (itself when leader), or null; allocation-free like {@link RaftCore.term}. */
  get leader(): NodeId | null {
    return this.#leader;
  }

  /** A snapshot of this node's state. */
  status(): RaftStatus {
    const status = {
      id: this.id,
      term: this.#term,
      role: this.#role,
      leader: this.#leader,
      commit: this.#log.committed,
      applied: this.#log.applied,
      lastIndex: this.#log.lastIndex(),
      vote: this.#vote,
      leadTransferee: this.#leadTransferee,
    };
    if (this.#role !== 'leader') return status;
    const { voters, progress } = this.#tracker;
    return { ...status, progress: progress.map((pr, i) => ({ id: voters[i] as NodeId, match: pr.match, next: pr.next, state: pr.state })) };
  }

  /** Term of the entry at `index` in this node's log (0 when absent); for invariant checks in tests and the simulator. */
  termAt(index: number): number {
    return this.#log.term(index);
  }

  // ---------------------------------------------------------------- roles

  #resetTimers(): void {
    this.#electionElapsed = 0;
    this.#heartbeatElapsed = 0;
    this.#randomizedElectionTimeout = this.#electionTimeout + Math.floor(this.#random() * this.#electionTimeout);
  }

  #becomeFollower(term: number, leader: NodeId | null): void {
    if (term !== this.#term) {
      this.#term = term;
      this.#vote = null;
    }
    this.#role = 'follower';
    this.#leader = leader;
    this.#leaveLeadership();
    this.#resetTimers();
  }

  #leaveLeadership(): void {
    this.#leadTransferee = null;
    if (this.#readOnly.size > 0) this.#readOnly.clear();
    if (this.#deferredReads.length > 0) this.#deferredReads = [];
  }

  #becomeLeader(): void {
    this.#role = 'leader';
    this.#leader = this.id;
    this.#leaveLeadership();
    this.#resetTimers();
    this.#tracker.resetForLeadership(this.#log.lastIndex());
    // Entries cached from an earlier leadership may since have been truncated.
    this.#slice = NO_ENTRIES;
    this.#sliceHi = 0;
    // The no-op lets the new leader commit (and so learn the commit index of) earlier terms.
    this.#appendData([EMPTY_DATA]);
  }

  #hup(transfer: boolean): void {
    if (this.#role === 'leader') return;
    this.#startCampaign(this.#preVote && !transfer, transfer);
  }

  #startCampaign(pre: boolean, transfer: boolean): void {
    let voteTerm: number;
    if (pre) {
      this.#role = 'preCandidate';
      this.#leader = null;
      voteTerm = this.#term + 1;
      // Keep the drawn timeout: a peer still inside the old leader's lease ignores this round, and
      // the retry one timeout later (when that peer is out of it) must not wait for a fresh,
      // possibly longer draw.
      this.#electionElapsed = 0;
    } else {
      this.#term++;
      this.#vote = this.id;
      this.#role = 'candidate';
      this.#leader = null;
      this.#leaveLeadership();
      this.#resetTimers();
      voteTerm = this.#term;
    }
    this.#tracker.resetVotes();
    if (this.#poll(this.#tracker.self, true)) return;
    const type = pre ? 'preVote' : 'vote';
    const index = this.#log.lastIndex();
    const logTerm = this.#log.lastTerm();
    for (let i = 0; i < this.#tracker.voters.length; i++) {
      if (i === this.#tracker.self) continue;
      const to = this.#tracker.voters[i] as NodeId;
      this.#send(
        transfer
          ? { type, from: this.id, to, term: voteTerm, index, logTerm, context: TRANSFER }
          : { type, from: this.id, to, term: voteTerm, index, logTerm },
      );
    }
  }

  /** Records a vote and acts on the outcome; returns true when the round ended. */
  #poll(position: number, granted: boolean): boolean {
    const result = this.#tracker.recordVote(position, granted);
    if (result === 'won') {
      if (this.#role === 'preCandidate') this.#startCampaign(false, false);
      else this.#becomeLeader();
      return true;
    }
    if (result === 'lost') {
      this.#becomeFollower(this.#term, null);
      return true;
    }
    return false;
  }

  #handleVote(m: Message): void {
    const pre = m.type === 'preVote';
    const canVote =
      (this.#vote === m.from || (this.#vote === null && this.#leader === null) || (pre && m.term > this.#term)) &&
      !(pre && this.#role === 'preCandidate' && m.term === this.#term + 1 && !this.#yieldsTo(m));
    const type = pre ? 'preVoteResp' : 'voteResp';
    if (canVote && this.#log.isUpToDate(m.index ?? 0, m.logTerm ?? 0)) {
      // The grant carries the term asked about, so a pre-candidate can tell it from a stale one.
      this.#send({ type, from: this.id, to: m.from, term: m.term, reject: false });
      if (!pre) {
        this.#electionElapsed = 0;
        this.#vote = m.from;
      }
    } else {
      this.#send({ type, from: this.id, to: m.from, term: this.#term, reject: true });
    }
  }

  /**
   * Two pre-candidates running for the same term would both pass pre-vote and then split the
   * real vote, costing another full timeout. Each grants the other only if that log is more up
   * to date, or equally so with a smaller id: at most one of them passes. Pre-votes bind nobody,
   * so this only shapes liveness.
   */
  #yieldsTo(m: Message): boolean {
    const theirTerm = m.logTerm ?? 0;
    const theirIndex = m.index ?? 0;
    const ourTerm = this.#log.lastTerm();
    const ourIndex = this.#log.lastIndex();
    if (theirTerm !== ourTerm) return theirTerm > ourTerm;
    if (theirIndex !== ourIndex) return theirIndex > ourIndex;
    return m.from < this.id;
  }

  // ---------------------------------------------------------------- per-role message handling

  #stepFollower(m: Message): void {
    switch (m.type) {
      case 'append':
        this.#electionElapsed = 0;
        this.#leader = m.from;
        this.#handleAppend(m);
        return;
      case 'heartbeat':
        this.#electionElapsed = 0;
        this.#leader = m.from;
        this.#handleHeartbeat(m);
        return;
      case 'timeoutNow':
        this.#startCampaign(false, true);
        return;
      case 'readIndexResp':
        if (m.context !== undefined) this.#readStates.push({ index: m.index ?? 0, context: m.context });
        return;
      default:
    }
  }

  #stepCandidate(m: Message, from: number): void {
    switch (m.type) {
      case 'append':
        this.#becomeFollower(m.term, m.from);
        this.#handleAppend(m);
        return;
      case 'heartbeat':
        this.#becomeFollower(m.term, m.from);
        this.#handleHeartbeat(m);
        return;
      case 'preVoteResp':
        // A grant must answer this round (term + 1); a rejection with a higher term already made us follower.
        if (this.#role === 'preCandidate' && (m.reject === true || m.term === this.#term + 1)) this.#poll(from, m.reject !== true);
        return;
      case 'voteResp':
        if (this.#role === 'candidate') this.#poll(from, m.reject !== true);
        return;
      default:
    }
  }

  #stepLeader(m: Message, from: number): void {
    const pr = this.#tracker.at(from);
    switch (m.type) {
      case 'appendResp':
        pr.recentActive = true;
        this.#handleAppendResp(m, from, pr);
        return;
      case 'heartbeatResp':
        pr.recentActive = true;
        this.#handleHeartbeatResp(m, from, pr);
        return;
      default:
    }
  }

  // ---------------------------------------------------------------- replication: follower side

  #handleAppend(m: Message): void {
    const prev = m.index ?? 0;
    const committed = this.#log.committed;
    if (prev < committed) {
      // Stale: everything up to our commit already matches any leader's log.
      this.#send({ type: 'appendResp', from: this.id, to: m.from, term: this.#term, index: committed });
      return;
    }
    const prevTerm = m.logTerm ?? 0;
    const last = this.#log.maybeAppend(prev, prevTerm, m.entries ?? NO_ENTRIES);
    const truncatedFrom = this.#log.takeTruncatedFrom();
    if (truncatedFrom !== Infinity) this.#dropStaleMessages(truncatedFrom);
    if (last >= 0) {
      this.#log.commitTo(Math.min(m.commit ?? 0, last));
      this.#send({ type: 'appendResp', from: this.id, to: m.from, term: this.#term, index: last });
      return;
    }
    const hint = this.#log.findConflictByTerm(Math.min(prev, this.#log.lastIndex()), prevTerm);
    this.#send({
      type: 'appendResp',
      from: this.id,
      to: m.from,
      term: this.#term,
      index: prev,
      reject: true,
      rejectHint: hint,
      hintTerm: this.#log.term(hint),
    });
  }

  /**
   * A conflicting append removed entries that messages still waiting in the outbox vouch for:
   * acknowledgements of them, or appends this node sent while it led an older term. They were
   * true when made, but they would leave only after the next Ready is persisted, and that Ready no
   * longer holds those entries: a message must never claim what the disk will not have. Only a
   * stale leader (an older term) needs them, so nothing is lost by dropping them.
   */
  #dropStaleMessages(from: number): void {
    this.#msgs = this.#msgs.filter((m) => {
      if (m.type === 'appendResp') return m.reject === true || (m.index ?? 0) < from;
      if (m.type === 'append') return (m.index ?? 0) + (m.entries?.length ?? 0) < from;
      return true;
    });
  }

  #handleHeartbeat(m: Message): void {
    // The leader sends min(match, commit), so this never commits an unverified entry.
    this.#log.commitTo(m.commit ?? 0);
    this.#send(
      m.context === undefined
        ? { type: 'heartbeatResp', from: this.id, to: m.from, term: this.#term }
        : { type: 'heartbeatResp', from: this.id, to: m.from, term: this.#term, context: m.context },
    );
  }

  // ---------------------------------------------------------------- replication: leader side

  #tickLeader(): void {
    this.#heartbeatElapsed++;
    this.#electionElapsed++;
    if (this.#electionElapsed >= this.#electionTimeout) {
      this.#electionElapsed = 0;
      if (this.#checkQuorum && !this.#tracker.quorumActive()) {
        this.#becomeFollower(this.#term, null);
        return;
      }
      // A transfer that did not finish within an election timeout is abandoned.
      this.#leadTransferee = null;
    }
    if (this.#heartbeatElapsed >= this.#heartbeatTimeout) {
      this.#heartbeatElapsed = 0;
      this.#bcastHeartbeat(this.#readOnly.lastContext());
    }
  }

  #appendData(data: readonly Uint8Array[]): void {
    const term = this.#term;
    let index = this.#log.lastIndex();
    for (let i = 0; i < data.length; i++) this.#log.append({ index: ++index, term, kind: 0, data: data[i] as Uint8Array });
    this.#afterLeaderAppend(index);
  }

  #appendEntries(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const term = this.#term;
    let index = this.#log.lastIndex();
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i] as Entry;
      this.#log.append({ index: ++index, term, kind: e.kind, data: e.data });
    }
    this.#afterLeaderAppend(index);
  }

  #afterLeaderAppend(last: number): void {
    const self = this.#tracker.at(this.#tracker.self);
    self.match = last;
    self.next = last + 1;
    if (this.#maybeCommit()) this.#onCommit();
    this.#bcastAppend();
  }

  /** Commits the highest index a quorum holds, but only by counting entries of the current term (Raft §5.4.2). */
  #maybeCommit(): boolean {
    const index = this.#tracker.committed();
    if (index <= this.#log.committed || this.#log.term(index) !== this.#term) return false;
    this.#log.commitTo(index);
    return true;
  }

  #onCommit(): void {
    if (this.#deferredReads.length === 0) return;
    const reads = this.#deferredReads;
    this.#deferredReads = [];
    for (const r of reads) this.#handleReadIndex(r.context, r.from);
  }

  #bcastAppend(): void {
    for (let i = 0; i < this.#tracker.voters.length; i++) {
      if (i !== this.#tracker.self) this.#sendAppends(i);
    }
  }

  /** Sends as many appends as the follower's flow control allows (at least one, to carry the commit). */
  #sendAppends(pos: number): void {
    if (!this.#sendAppend(pos, true)) return;
    const pr = this.#tracker.at(pos);
    const last = this.#log.lastIndex();
    while (pr.state === 'replicate' && pr.next <= last && this.#sendAppend(pos, false)) {
      // keep streaming within the inflight window
    }
  }

  #sendAppend(pos: number, sendIfEmpty: boolean): boolean {
    const pr = this.#tracker.at(pos);
    if (pr.isPaused()) return false;
    const next = pr.next;
    const hi = Math.min(this.#log.lastIndex() + 1, next + this.#maxEntriesPerMsg);
    if (hi <= next && !sendIfEmpty) return false;
    let entries = NO_ENTRIES;
    if (hi > next) {
      // A leader's entries never change, so followers at the same position can share one array.
      if (next !== this.#sliceLo || hi !== this.#sliceHi) {
        this.#slice = this.#log.slice(next, hi);
        this.#sliceLo = next;
        this.#sliceHi = hi;
      }
      entries = this.#slice;
    }
    const prev = next - 1;
    this.#send({
      type: 'append',
      from: this.id,
      to: this.#tracker.voters[pos] as NodeId,
      term: this.#term,
      index: prev,
      logTerm: this.#log.term(prev),
      entries,
      commit: this.#log.committed,
    });
    if (entries.length > 0) pr.sent(hi - 1);
    else if (pr.state === 'probe') pr.probeSent = true;
    return true;
  }

  #bcastHeartbeat(context: string | undefined): void {
    const committed = this.#log.committed;
    for (let i = 0; i < this.#tracker.voters.length; i++) {
      if (i === this.#tracker.self) continue;
      const to = this.#tracker.voters[i] as NodeId;
      const commit = Math.min(this.#tracker.at(i).match, committed);
      this.#send(
        context === undefined
          ? { type: 'heartbeat', from: this.id, to, term: this.#term, commit }
          : { type: 'heartbeat', from: this.id, to, term: this.#term, commit, context },
      );
    }
  }

  #handleAppendResp(m: Message, pos: number, pr: Progress): void {
    const index = m.index ?? 0;
    if (m.reject === true) {
      let hint = m.rejectHint ?? 0;
      const hintTerm = m.hintTerm ?? 0;
      if (hintTerm > 0) hint = this.#log.findConflictByTerm(hint, hintTerm);
      if (pr.maybeDecrTo(index, hint)) {
        if (pr.state === 'replicate') pr.becomeProbe();
        this.#sendAppend(pos, true);
      }
      return;
    }
    if (!pr.maybeUpdate(index)) return;
    if (pr.state === 'probe') pr.becomeReplicate();
    else if (pr.state === 'replicate') pr.freeLE(index);
    if (this.#maybeCommit()) {
      this.#onCommit();
      this.#bcastAppend();
    } else {
      this.#sendAppends(pos);
    }
    const to = this.#tracker.voters[pos] as NodeId;
    if (to === this.#leadTransferee && pr.match === this.#log.lastIndex()) this.#sendTimeoutNow(to);
  }

  #handleHeartbeatResp(m: Message, pos: number, pr: Progress): void {
    pr.probeSent = false;
    if (pr.state === 'replicate' && pr.isPaused()) pr.freeFirstOne();
    if (pr.match < this.#log.lastIndex()) this.#sendAppend(pos, true);
    if (m.context === undefined) return;
    const released = this.#readOnly.ack(m.context, pos, this.#tracker.quorum);
    if (released === undefined) return;
    for (const r of released) this.#answerRead(r.context, r.index, r.from);
  }

  #sendTimeoutNow(to: NodeId): void {
    this.#send({ type: 'timeoutNow', from: this.id, to, term: this.#term });
  }

  // ---------------------------------------------------------------- read index

  #handleReadIndex(context: string, from: NodeId): void {
    // Until the no-op of this term commits, the leader's commit index may lag the cluster's.
    if (this.#log.term(this.#log.committed) !== this.#term) {
      this.#deferredReads.push({ context, from });
      return;
    }
    if (this.#tracker.quorum === 1) {
      this.#answerRead(context, this.#log.committed, from);
      return;
    }
    if (this.#readOnly.add(context, this.#log.committed, from, this.#tracker.self)) this.#bcastHeartbeat(context);
  }

  #answerRead(context: string, index: number, from: NodeId): void {
    if (from === this.id) this.#readStates.push({ index, context });
    else this.#send({ type: 'readIndexResp', from: this.id, to: from, term: this.#term, index, context });
  }

  // ---------------------------------------------------------------- plumbing

  #send(m: Message): void {
    this.#msgs.push(m);
  }

  #hardChanged(): boolean {
    const p = this.#prevHard;
    return p.term !== this.#term || p.vote !== this.#vote || p.commit !== this.#log.committed;
  }
}
