import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { FAST_TIMING } from '../../../src/raft/timing.js';
import { runSimulation, type SimulationOptions } from '../../../src/testing/index.js';

/** Runs `count` seeds from `from`; fails with the seed, violation and trace tail of the first bad run. */
function runSeeds(from: number, count: number, extra: Omit<SimulationOptions, 'seed'> = {}): { events: number; maxConvergenceMs: number } {
  let events = 0;
  let maxConvergenceMs = 0;
  for (let seed = from; seed < from + count; seed++) {
    const r = runSimulation({ ...extra, seed });
    events += r.events;
    if (r.violation !== null || !r.converged) {
      assert.fail(
        `seed ${seed}: ${r.violation ?? 'did not converge'}\n${r.trace.slice(-40).join('\n')}\nreplay: npm run sim -- --seed ${seed} --verbose`,
      );
    }
    assert.ok(r.convergenceMs <= r.convergenceBoundMs);
    assert.ok(r.commitIndex > 0, `seed ${seed} committed nothing`);
    maxConvergenceMs = Math.max(maxConvergenceMs, r.convergenceMs);
  }
  return { events, maxConvergenceMs };
}

describe('randomized cluster simulation: safety after every event, convergence after faults', () => {
  test('seeds 1..150 (3 and 5 nodes, default timing)', () => {
    const { events } = runSeeds(1, 150);
    assert.ok(events > 150 * 1000);
  });

  test('seeds 10001..10060, fast timing', () => {
    runSeeds(10_001, 60, { timing: FAST_TIMING });
  });

  test('seeds 20001..20040 without pre-vote and check-quorum (safety must not depend on them)', () => {
    runSeeds(20_001, 40, { preVote: false, checkQuorum: false });
  });

  test('seeds 30001..30040 with a hostile network: long faults, heavy loss and reordering', () => {
    runSeeds(30_001, 40, { faultMs: 40_000, faultIntervalMs: 250, networkDelayMs: [1, 40] });
  });

  test('seeds 40001..40040 with a 20-entry session window: re-sent proposals outlive their sessions and are refused as stale', () => {
    runSeeds(40_001, 40, { sessionWindowEntries: 20 });
  });

  test('happy path without faults: every run converges quickly and commits', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const r = runSimulation({ seed, faults: false });
      assert.equal(r.violation, null);
      assert.equal(r.crashes, 0);
      assert.ok(r.converged);
    }
  });
});

describe('determinism', () => {
  test('the same seed gives the same trace; different seeds differ', () => {
    const a = runSimulation({ seed: 77 });
    const b = runSimulation({ seed: 77 });
    const c = runSimulation({ seed: 78 });
    assert.equal(a.traceHash, b.traceHash);
    assert.equal(a.events, b.events);
    assert.deepEqual(a.trace, b.trace);
    assert.notEqual(a.traceHash, c.traceHash);
  });

  test('a verbose replay sees exactly the recorded trace', () => {
    const lines: string[] = [];
    const r = runSimulation({ seed: 5, traceSize: 1_000_000, onTrace: (l) => lines.push(l) });
    assert.deepEqual(lines, r.trace);
  });
});
