import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FAST_TIMING } from '../../../src/raft/timing.js';
import { runSimulation, type SimulationOptions } from '../../../src/testing/index.js';

/**
 * Every seed that ever failed, with what it found. They run on every `npm test`, whatever the
 * random seed ranges elsewhere cover. Add a row whenever `npm run sim` finds a new failure.
 */
const REGRESSIONS: readonly { readonly options: SimulationOptions; readonly found: string }[] = [
  {
    options: { seed: 1671 },
    found: 'a follower sent an ack for entries that a conflicting append had truncated before the ack left (ack must imply persisted)',
  },
  {
    options: { seed: 10001, timing: FAST_TIMING },
    found: 'a leader that stepped down and truncated still sent appends (queued while it led) carrying entries its disk no longer held',
  },
  {
    options: { seed: 961, timing: FAST_TIMING },
    found: 'simulator: a 300 ms disk stall after the faults ended outlasted the fast election timeout (stalls are faults now)',
  },
  {
    options: { seed: 927 },
    found: 'checker: a vote granted in term T is durable once a later term is persisted (false positive in the vote-persistence check)',
  },
  {
    options: { seed: 13 },
    found: 'checker: a duplicated readIndex request may be answered twice (false positive in the read check)',
  },
];

for (const { options, found } of REGRESSIONS) {
  test(`seed ${options.seed}: ${found}`, () => {
    const r = runSimulation(options);
    assert.equal(r.violation, null, `${r.violation}\n${r.trace.slice(-40).join('\n')}`);
    assert.ok(r.converged);
  });
}
