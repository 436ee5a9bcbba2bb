import { test } from 'node:test';
import assert from 'node:assert/strict';
import { envelopeHeader, wrapEnvelope } from '../../src/raft/envelope.js';
import { ProposalTracker } from '../../src/raft/proposals.js';
import type { Entry } from '../../src/raft/types.js';
import { ByteArena } from '../../src/util/byte-arena.js';
import { ManualClock } from '../../src/util/manual-clock.js';

const header = envelopeHeader('a', 1, 2);
const arena = new ByteArena();

function at(index: number, data: Uint8Array): Entry {
  return { index, term: 1, kind: 0, data };
}

test('a rewrite that removes only the second copy of a proposal does not give it up: the first copy still applies', () => {
  const tracker = new ProposalTracker(new ManualClock(), 10_000);
  const outcomes: string[] = [];
  tracker.add(
    1,
    (v) => outcomes.push(`resolved ${String(v)}`),
    (e) => outcomes.push(`rejected ${(e as Error).message}`),
  );
  tracker.handedOver([1], 1);
  assert.equal(tracker.floor(2), 1);
  const mine = wrapEnvelope(header, 1, 1, 0, Uint8Array.of(42), arena);
  const other = wrapEnvelope(envelopeHeader('b', 1, 2), 1, 1, 0, Uint8Array.of(43), arena);
  // A duplicated forward: the leader appended it at 5 and again at 7.
  tracker.trackOwnEntries([at(5, mine), at(6, other), at(7, mine)], header);
  // A new leader overwrites 7 onwards, keeping 5.
  tracker.trackOwnEntries([at(7, other)], header);
  assert.deepEqual(outcomes, []);
  tracker.settle(1, 'ok', false);
  assert.deepEqual(outcomes, ['resolved ok']);
  assert.equal(tracker.floor(2), 2);
});
