/**
 * Majority arithmetic, as etcd-io/raft's `quorum` package: which index a set of voters has
 * committed, and how an election stands. Pure functions over plain arrays, so that joint
 * configurations (membership changes) can later combine two of them.
 * @internal
 */

/** How a vote stands once some voters answered. */
export type VoteResult = 'won' | 'lost' | 'pending';

/** A vote not received yet, in the array {@link voteResult} reads. */
export const VOTE_UNKNOWN = -1;
/** A vote refused. */
export const VOTE_REJECTED = 0;
/** A vote granted. */
export const VOTE_GRANTED = 1;

/** The smallest number of voters that forms a majority of `voters`. */
export function majority(voters: number): number {
  return Math.floor(voters / 2) + 1;
}

/**
 * The highest index that a majority of voters hold, given each voter's match index in `matches`.
 * Sorts `matches` in place (pass a reused scratch array): this runs on every acknowledgement, so
 * it allocates nothing.
 */
export function committedIndex(matches: number[]): number {
  const n = matches.length;
  const scratch = matches;
  // Insertion sort, descending: clusters are small, and sorting a handful of numbers in place beats any allocation.
  for (let i = 1; i < n; i++) {
    const v = scratch[i] as number;
    let j = i - 1;
    while (j >= 0 && (scratch[j] as number) < v) {
      scratch[j + 1] = scratch[j] as number;
      j--;
    }
    scratch[j + 1] = v;
  }
  return scratch[majority(n) - 1] as number;
}

/**
 * The outcome of an election whose answers so far are `votes` (one of {@link VOTE_UNKNOWN},
 * {@link VOTE_REJECTED}, {@link VOTE_GRANTED} per voter): won once a majority granted, lost once
 * a majority can no longer be reached, pending otherwise.
 */
export function voteResult(votes: ArrayLike<number>): VoteResult {
  let yes = 0;
  let no = 0;
  for (let i = 0; i < votes.length; i++) {
    const v = votes[i];
    if (v === VOTE_GRANTED) yes++;
    else if (v === VOTE_REJECTED) no++;
  }
  const q = majority(votes.length);
  if (yes >= q) return 'won';
  if (no > votes.length - q) return 'lost';
  return 'pending';
}
