import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { committedIndex, majority, VOTE_GRANTED, VOTE_REJECTED, VOTE_UNKNOWN, voteResult } from '../../src/raft/quorum.js';

describe('quorum', () => {
  it('a majority of n voters', () => {
    assert.deepEqual([1, 2, 3, 4, 5].map(majority), [1, 2, 2, 3, 3]);
  });

  it('the committed index is the highest one a majority holds', () => {
    assert.equal(committedIndex([5]), 5);
    assert.equal(committedIndex([3, 9, 5]), 5);
    assert.equal(committedIndex([1, 2, 3, 4]), 2);
    assert.equal(committedIndex([7, 7, 0, 0, 7]), 7);
  });

  it('a vote is won by a majority of grants and lost once a majority cannot be reached', () => {
    const U = VOTE_UNKNOWN;
    const G = VOTE_GRANTED;
    const R = VOTE_REJECTED;
    assert.equal(voteResult([G]), 'won');
    assert.equal(voteResult([G, U, U]), 'pending');
    assert.equal(voteResult([G, G, U]), 'won');
    assert.equal(voteResult([G, R, U]), 'pending');
    assert.equal(voteResult([G, R, R]), 'lost');
    assert.equal(voteResult([G, R, U, U]), 'pending');
    assert.equal(voteResult([G, R, R, U]), 'lost');
  });
});
