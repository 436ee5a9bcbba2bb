/**
 * What a node tracks about its cluster, as etcd-io/raft's `tracker` package: the voters, the
 * leader's progress of each one, who was recently heard from, and the votes of an election.
 * Positions (the index of a voter in `voters`) stand for voters everywhere, so nothing here
 * allocates per message.
 * @internal
 */
import { Progress } from './progress.js';
import { committedIndex, majority, VOTE_GRANTED, VOTE_REJECTED, VOTE_UNKNOWN, voteResult, type VoteResult } from './quorum.js';
import type { NodeId } from './types.js';

/** Per-voter progress, activity and votes of one node's cluster configuration. */
export class ProgressTracker {
  /** The voters, in configuration order; a voter's position is its index here. */
  readonly voters: readonly NodeId[];
  /** Position of this node in {@link ProgressTracker.voters}. */
  readonly self: number;
  /** Voters that form a majority. */
  readonly quorum: number;
  /** The leader's view of each voter, by position (this node's own entry included). */
  readonly progress: readonly Progress[];

  readonly #position = new Map<NodeId, number>();
  readonly #votes: Int8Array;
  readonly #matchScratch: number[];

  /**
   * @param voters - the configuration, without duplicates.
   * @param self - this node's position in `voters`.
   * @param maxInflight - appends allowed in flight per follower while replicating.
   */
  constructor(voters: readonly NodeId[], self: number, maxInflight: number) {
    this.voters = voters;
    this.self = self;
    this.quorum = majority(voters.length);
    voters.forEach((v, i) => this.#position.set(v, i));
    this.progress = voters.map(() => new Progress(maxInflight));
    this.#votes = new Int8Array(voters.length);
    this.#matchScratch = voters.map(() => 0);
  }

  /** Position of `id`, or undefined when it is not a voter. */
  positionOf(id: NodeId): number | undefined {
    return this.#position.get(id);
  }

  /** Progress of the voter at `position`. */
  at(position: number): Progress {
    return this.progress[position] as Progress;
  }

  /**
   * A new leadership with a log ending at `lastIndex`: every follower is probed from its end; this
   * node matches it and, as in etcd-io/raft, counts as replicating (nothing is ever sent to it).
   */
  resetForLeadership(lastIndex: number): void {
    for (const pr of this.progress) pr.reset(lastIndex + 1);
    const self = this.at(this.self);
    self.recentActive = true;
    self.match = lastIndex;
    self.becomeReplicate();
  }

  /** The highest index a majority of voters hold. */
  committed(): number {
    const s = this.#matchScratch;
    for (let i = 0; i < s.length; i++) s[i] = (this.progress[i] as Progress).match;
    return committedIndex(s);
  }

  /**
   * Whether a majority (this node counted) was heard from since the last call; clears the
   * followers' `recentActive` for the next round, as a leader's check-quorum does once per
   * election timeout.
   */
  quorumActive(): boolean {
    let active = 0;
    for (let i = 0; i < this.progress.length; i++) {
      const pr = this.progress[i] as Progress;
      if (i === this.self || pr.recentActive) active++;
      if (i !== this.self) pr.recentActive = false;
    }
    return active >= this.quorum;
  }

  /** Forgets the votes of the last election. */
  resetVotes(): void {
    this.#votes.fill(VOTE_UNKNOWN);
  }

  /** Records the first answer of the voter at `position` (later ones are ignored) and returns how the election stands. */
  recordVote(position: number, granted: boolean): VoteResult {
    if (this.#votes[position] === VOTE_UNKNOWN) this.#votes[position] = granted ? VOTE_GRANTED : VOTE_REJECTED;
    return voteResult(this.#votes);
  }
}
