/**
 * Regressions found by the firing-path simulator with `--updates` (scripts/sched-sim.ts): an
 * update merged into a lagging replica lost an earlier acknowledged update, and an update applied
 * just after an occurrence started rewound the schedule onto it (stuck on DUPLICATE_EXECUTION).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_TIMING } from '../../../src/raft/timing.js';
import { createScheduler, type Scheduler } from '../../../src/scheduler/scheduler.js';
import { SchedulerState, type DecideContext } from '../../../src/scheduler/state/index.js';
import type { JobDefinition } from '../../../src/scheduler/state/commands.js';
import { createRandom } from '../../../src/testing/sim/random.js';
import { MemoryNetwork } from '../../../src/transport/memory-network.js';
import { ManualClock } from '../../../src/util/manual-clock.js';
import { settle, until } from '../../fixtures/sim-time.js';

/** A state with node `n1` (life `i1`, handler `work`) registered: starts are for it. */
function registered(): SchedulerState {
  const state = new SchedulerState();
  state.apply({ type: 'registerNode', now: 0, nodeId: 'n1', incarnation: 'i1', handlers: ['work'], registration: 1 });
  return state;
}

const T0 = Date.UTC(2030, 0, 1);
const SEC = 1000;
const HOUR = 3_600_000;

// scripts/sched-sim.ts --updates, 3 nodes, at commit 0c42d17: 123 violations in seeds 1..200,
// e.g. `--seed 4 --updates`: "acknowledged update of once-15 (op 81) is lost: timeout is 517, not 925" — op 81
// went through the leader n3, op 82 right after it through follower n1, whose replica had not
// applied op 81 yet. `Scheduler.update` merges the patch into this node's replica of the job
// (`getDefinition`, no readIndex) and proposes the whole merged definition, so it writes back the
// stale values of every field it did not touch. The same happens between concurrent clients
// through any nodes. Fix: merge the patch in `apply` (propose the patch, not the definition), or
// at least read through the leader first (readIndex) and make the replace conditional on the
// version read (e.g. `updatedAt`), rejecting a stale one.
test('an update through a follower right after one through the leader keeps both', async () => {
  const clock = new ManualClock(T0);
  const net = new MemoryNetwork({ clock, random: createRandom(7) });
  const ids = ['a', 'b', 'c'];
  const nodes = await Promise.all(
    ids.map((id, i) =>
      createScheduler({
        nodeId: id,
        voters: ids,
        transport: net.connect(id),
        clock,
        random: createRandom(i + 1),
        raft: { timing: DEFAULT_TIMING },
      }),
    ),
  );
  try {
    for (const s of nodes) s.handle('work', () => {});
    await until(clock, () => nodes.filter((s) => s.isLeader).length === 1);
    const leader = nodes.find((s) => s.isLeader) as Scheduler;
    const follower = nodes.find((s) => !s.isLeader) as Scheduler;
    await settle(clock, leader.schedule({ id: 'j', at: T0 + HOUR, handler: 'work', payload: { v: 0 }, timeout: 1000 }));
    await until(clock, () => nodes.every((s) => s.stateHash() === leader.stateHash()));
    // The leader's messages reach this follower 300 ms late (a slow link): it learns of commits late.
    net.setLink(leader.nodeId, follower.nodeId, { delayMs: [300, 300] });
    await settle(clock, leader.update('j', { payload: { v: 1 } }));
    // The same client, next call, through that follower: its replica has not applied the first yet.
    await settle(clock, follower.update('j', { timeout: 2000 }));
    const job = await settle(clock, leader.get('j', { consistent: true }));
    assert.deepEqual({ payload: job?.payload, timeoutMs: job?.timeoutMs }, { payload: { v: 1 }, timeoutMs: 2000 });
  } finally {
    await settle(clock, Promise.all(nodes.map((s) => s.close())));
  }
});

const ctx: DecideContext = {
  nodeId: 'n1',
  term: 1,
  missedThresholdMs: SEC,
};

function cronDefinition(cron: string): JobDefinition {
  return {
    id: 'c',
    kind: 'cron',
    cron,
    timezone: 'UTC',
    handler: 'work',
    maxAttempts: 1,
    backoff: { initialMs: 1000, factor: 2, maxMs: 300_000, jitter: 0 },
    timeoutMs: HOUR,
    overlap: 'allow',
    catchUp: 'fire-once',
    catchUpWindowMs: HOUR,
  };
}

// `scripts/sched-sim.ts --seed 66 --updates` (3 nodes, same build): cron-10 (every second) never ran again after 00:00:05
// ("42 occurrences neither started nor recorded; nextRunAt 00:00:05 overdue by 85 s"). An update
// proposed at 4.919 s (its command's `now`) was applied at 5.178 s, after the 5 s occurrence had
// started; `applyUpdate` moves a cron job's cursor to `firstOccurrence(cron, cmd.now)` = 5 s, an
// occurrence that already has its attempt 1, so every start the leader proposes for it is rejected
// as DUPLICATE_EXECUTION: the job is stuck for good, and the leader loop re-proposes the doomed
// start every second for ever (one log entry per second per stuck job). The stale update above
// does the same to a one-shot whose old `at` already ran (seeds 13, 117, 121, 151, 154, 178:
// "one-shot ... still pending at the end (attempts 0, nextRunAt <past>)"). Fix: never move the
// cursor to an occurrence at or before the latest one started (`run.latestAt`) — and `decide`
// could skip a cursor whose attempt 1 exists rather than propose it for ever.
// Verified together (in a scratch copy): guarding the cursor in applyUpdate (cron: from
// max(now, latestAt + 1); one-shot: no cursor on an occurrence whose attempt 1 exists) plus a
// readIndex before `update` reads its replica make both tests here, the state, runtime and
// findings tests, and `--updates` seeds 1..200 pass.
test('an update applied after the occurrence it was stamped before has started does not rewind the schedule to it', () => {
  const state = registered();
  assert.ok(
    state.apply({ type: 'createJobs', now: T0 + 4500, jobs: [cronDefinition('* * * * * *')], limits: { maxJobs: 10, maxMemoryBytes: 1e9 } })
      .ok,
  );
  // The 5 s occurrence starts...
  const started = state.apply({
    type: 'startExecution',
    now: T0 + 5 * SEC,
    jobId: 'c',
    scheduledAt: T0 + 5 * SEC,
    attempt: 1,
    nodeId: 'n1',
    term: 1,
    missedThresholdMs: SEC,
    incarnation: 'i1',
  });
  assert.ok(started.ok && started.type === 'startExecution' && started.outcome === 'started', JSON.stringify(started));
  // ...then an update stamped at 4.9 s (proposed before it, committed after it) is applied.
  assert.ok(
    state.apply({ type: 'updateJob', now: T0 + 4900, jobId: 'c', definition: { ...cronDefinition('* * * * * *'), payload: { v: 1 } } }).ok,
  );
  assert.equal(state.getJob('c')?.nextRunAt, T0 + 6 * SEC, 'the next occurrence is 6 s, not the 5 s one that already ran');
  const commands = state.decide('c', T0 + 6 * SEC, ctx);
  assert.deepEqual(
    commands.map((c) => (c.type === 'startExecution' ? c.scheduledAt - T0 : c.type)),
    [6 * SEC],
  );
});
