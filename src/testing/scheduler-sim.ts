/**
 * The firing-path simulator: a seeded fault test of a whole cluster of schedulers. Real
 * `createScheduler` nodes (Raft log, state machine, leader loop, executor) run on one simulated
 * clock over a `MemoryNetwork`, each on its own `MemoryLevel` disk. Simulated clients schedule,
 * cancel, pause, resume, trigger and delete (with `updates`, also update) jobs on random nodes
 * while nodes crash and restart
 * (the leader often), the network partitions and links drop, delay, duplicate and reorder; then
 * the network heals, every node restarts, and a quiet phase follows. Throughout and at the end the
 * run checks the product's promises:
 *
 * 1. once per occurrence — each execution id is invoked at most once in the whole cluster, only
 *    on the node the log assigned it to and after that node applied its start; attempts of one
 *    occurrence are consecutive, share one idempotency key, and never overlap before the previous
 *    one is presumed dead;
 * 2. nothing lost — every acknowledged job, cancel, delete, pause/resume and trigger holds on every
 *    node after convergence (equal state hashes); due one-shots reach a final status; no attempt
 *    stays in progress past its deadline;
 * 3. cron progress — in the quiet phase every occurrence of a running cron job is started, or
 *    recorded as skipped or missed;
 * 4. determinism — the same seed gives the same trace hash.
 *
 * A crash is a `kill -9`: the node's timers stop, its disk answers nothing more (writes already
 * handed to the store landed) and its endpoint leaves the network; a restart is a new
 * `createScheduler` on the same disk. See `scheduler-sim/process.ts`.
 * @internal
 */
import { MemoryNetwork } from '../transport/memory-network.js';
import { ManualClock } from '../util/manual-clock.js';
import { SimCluster, type ClusterTimeouts } from './scheduler-sim/cluster.js';
import { FaultInjector } from './scheduler-sim/faults.js';
import { finalChecks, type FinalCounts } from './scheduler-sim/final-checks.js';
import { Ledger } from './scheduler-sim/ledger.js';
import { Rng } from './scheduler-sim/rng.js';
import { Workload } from './scheduler-sim/workload.js';
import { Trace } from './sim/trace.js';

/** Options of one firing-path simulation; everything but `seed` has a default. */
export interface SchedulerSimOptions {
  /** The seed: the same seed and options replay the same run. */
  readonly seed: number;
  /** Number of schedulers (default 3). */
  readonly nodes?: number;
  /** Simulated ms of client operations and faults (default 30 000). */
  readonly faultMs?: number;
  /** Simulated ms after the faults, with neither operations nor faults (default 60 000). */
  readonly quietMs?: number;
  /** Mean simulated ms between client operations (default 300). */
  readonly opIntervalMs?: number;
  /** Mean simulated ms between faults (default: 800, 1500 or 3000, chosen by the seed). */
  readonly faultIntervalMs?: number;
  /** Each node's wall clock runs ahead of simulated time by a seeded 0..this many ms (default 0). */
  readonly clockSkewMs?: number;
  /**
   * Clients also update jobs, often twice in a row through different nodes (default false while
   * the duplicated-proposal finding is open: see test/scheduler/cluster-sim-findings.pending.ts).
   */
  readonly updates?: boolean;
  /** Inject faults at all (default true). */
  readonly faults?: boolean;
  /** Trailing trace lines kept for a report (default 400). */
  readonly traceSize?: number;
  /** Receives every trace line as it happens (verbose replay). */
  readonly onTrace?: (line: string) => void;
}

/** The outcome of one firing-path simulation. */
export interface SchedulerSimResult {
  /** The seed that was run. */
  readonly seed: number;
  /** Cluster size. */
  readonly nodes: number;
  /** Client operations issued. */
  readonly operations: number;
  /** Client operations acknowledged. */
  readonly acknowledged: number;
  /** Handler invocations checked. */
  readonly invocations: number;
  /** Distinct attempts started through the log. */
  readonly starts: number;
  /** What the final checks covered. */
  readonly checked: Readonly<FinalCounts>;
  /** Crashes injected (kill -9, then a restart on the same disk). */
  readonly crashes: number;
  /** Of which, crashes of the leader. */
  readonly leaderCrashes: number;
  /** Partitions and isolations. */
  readonly partitions: number;
  /** Periods of slow writes on one node's disk. */
  readonly diskStalls: number;
  /** Graceful closes (then restarts) of a node. */
  readonly gracefulRestarts: number;
  /** Times a node became leader. */
  readonly elections: number;
  /** Simulated ms covered. */
  readonly simulatedMs: number;
  /** Whether the cluster converged after the quiet phase (one leader, equal state hashes). */
  readonly converged: boolean;
  /** Hash of the whole trace: equal for equal runs. */
  readonly traceHash: string;
  /** Broken promises, empty when the run passed. */
  readonly violations: readonly string[];
  /** Observations that break no promise (scheduler error events, unhelpful retries). */
  readonly notes: readonly string[];
  /** The last trace lines, oldest first. */
  readonly trace: readonly string[];
}

/**
 * Scheduler timeouts of the simulated cluster: short, so a minute of quiet covers most retries.
 * The in-progress timeout is 2, 4 or 6 s by seed (job timeouts are mostly shorter, sometimes longer).
 */
const SIM_TIMEOUTS: Omit<ClusterTimeouts, 'clockSkewMs'> = {
  inProgressTimeoutMs: 4000,
  executionTimeoutMs: 2000,
  missedThresholdMs: 1000,
  proposalTimeoutMs: 5000,
};

/** Simulated start: 2030-01-01T00:00:00Z. */
const T0 = Date.UTC(2030, 0, 1);
/** After the faults, by when every uncertain operation has landed and a leader is stable. */
const SETTLE_MS = 15_000;
const CONVERGE_MS = 30_000;
const MAX_VIOLATIONS = 50;

interface Scheduled {
  readonly at: number;
  readonly seq: number;
  readonly action: () => void | Promise<void>;
}

/** Runs one seeded firing-path simulation. */
export async function runSchedulerSimulation(options: SchedulerSimOptions): Promise<SchedulerSimResult> {
  const seed = options.seed;
  const n = options.nodes ?? 3;
  const faultMs = options.faultMs ?? 30_000;
  const quietMs = options.quietMs ?? 60_000;
  const opInterval = options.opIntervalMs ?? 300;
  const faultInterval = options.faultIntervalMs ?? (seed % 3 === 0 ? 800 : seed % 3 === 1 ? 1500 : 3000);
  const clock = new ManualClock(T0);
  const net = new MemoryNetwork({ clock, random: new Rng(seed, 1).next });
  const trace = new Trace(options.traceSize ?? 400, options.onTrace);
  const violations: string[] = [];
  const notes: string[] = [];
  const stamp = (): string => ((clock.now() - T0) / 1000).toFixed(3);
  const log = (line: string): void => trace.add(`${stamp()} ${line}`);
  const violation = (text: string): void => {
    if (violations.length < MAX_VIOLATIONS) violations.push(`t=${stamp()}s ${text}`);
    log(`VIOLATION ${text}`);
  };
  const note = (text: string): void => {
    if (notes.length < MAX_VIOLATIONS) notes.push(`t=${stamp()}s ${text}`);
    log(`NOTE ${text}`);
  };

  const ids = Array.from({ length: n }, (_, i) => `n${i + 1}`);
  const skew = options.clockSkewMs ?? 0;
  const timeouts: ClusterTimeouts = { ...SIM_TIMEOUTS, inProgressTimeoutMs: 2000 * (1 + (Math.floor(seed / 3) % 3)), clockSkewMs: skew };
  const ledger = new Ledger({ violation, trace: log });
  const sink = { trace: log, violation, error: (node: string, e: Error) => note(`error event on ${node}: ${e.message}`) };
  const cluster = new SimCluster(ids, clock, net, seed, ledger, sink, timeouts);
  const workload = new Workload(cluster, clock, new Rng(seed, 2), { trace: log, violation }, options.updates === true);
  const injector = new FaultInjector(cluster, net, new Rng(seed, 3), log, () => clock.now());
  const timing = new Rng(seed, 4);

  const agenda: Scheduled[] = [];
  let seq = 0;
  const at = (time: number, _what: string, action: () => void | Promise<void>): void => {
    const item = { at: time, seq: ++seq, action };
    let i = agenda.length;
    while (i > 0 && (agenda[i - 1] as Scheduled).at > time) i--;
    agenda.splice(i, 0, item);
  };

  try {
    await Promise.all(ids.map((id) => cluster.start(id)));
    await until(clock, () => cluster.settled(), 20_000);
    const faultStart = clock.now();
    const faultEnd = faultStart + faultMs;
    const end = faultEnd + quietMs;
    log(`cluster of ${n} up; faults until ${((faultEnd - T0) / 1000).toFixed(3)}, quiet until ${((end - T0) / 1000).toFixed(3)}`);

    const opStep = (): void => {
      workload.issue();
      const next = clock.now() + timing.exp(opInterval);
      if (next < faultEnd) at(next, 'op', opStep);
    };
    at(faultStart + timing.exp(opInterval), 'op', opStep);
    if (options.faults !== false) {
      const faultStep = (): void => {
        injector.inject(clock.now(), at);
        const next = clock.now() + timing.exp(faultInterval);
        if (next < faultEnd) at(next, 'fault', faultStep);
      };
      at(faultStart + timing.exp(faultInterval), 'fault', faultStep);
    }
    at(faultEnd, 'end of faults', async () => {
      injector.heal();
      log('quiet phase: every node restarts');
      await Promise.all(cluster.down().map((s) => cluster.start(s.id)));
    });

    while (agenda.length > 0 && (agenda[0] as Scheduled).at <= end) {
      const next = agenda.shift() as Scheduled;
      await clock.advanceTo(next.at);
      await next.action();
    }
    await clock.advanceTo(end);
    const converged = await converge(clock, cluster);
    if (!converged) {
      const states = cluster.ids.map((id) => {
        const s = cluster.slot(id).scheduler;
        return s === undefined
          ? `${id}: down`
          : `${id}: leader=${s.leader ?? 'none'} isLeader=${String(s.isLeader)} hash=${s.stateHash().slice(0, 12)}`;
      });
      violation(`the cluster did not converge within ${CONVERGE_MS} ms after the quiet phase: ${states.join('; ')}`);
    }
    let checked: FinalCounts = { jobs: 0, executions: 0, oneShotsFinal: 0, oneShotsUnjudged: 0, cronJobs: 0, cronOccurrences: 0 };
    if (converged) {
      checked = await finalChecks({
        seed,
        nodes: cluster.ids.map((id) => cluster.slot(id).scheduler).filter((s) => s !== undefined),
        ledger,
        workload,
        faultEnd,
        end: clock.now(),
        inProgressTimeoutMs: timeouts.inProgressTimeoutMs,
        missedThresholdMs: timeouts.missedThresholdMs,
        settleMs: SETTLE_MS,
        limited: cluster.limited(),
        violation,
        note,
      });
    }
    log(`end: ${workload.ops.length} ops, ${ledger.invocations.length} invocations, ${violations.length} violations`);
    return {
      seed,
      nodes: n,
      operations: workload.ops.length,
      acknowledged: workload.ops.filter((op) => op.outcome === 'acked').length,
      invocations: ledger.invocations.length,
      starts: ledger.startCount,
      checked,
      crashes: injector.counts.crashes,
      leaderCrashes: injector.counts.leaderCrashes,
      partitions: injector.counts.partitions,
      diskStalls: injector.counts.diskStalls,
      gracefulRestarts: injector.counts.gracefulRestarts,
      elections: cluster.elections,
      simulatedMs: clock.now() - T0,
      converged,
      traceHash: trace.hash(),
      violations,
      notes,
      trace: trace.tail(),
    };
  } finally {
    cluster.crashAll();
  }
}

/** Moves time in 100 ms steps until `cond` holds; false after `maxMs`. */
async function until(clock: ManualClock, cond: () => boolean, maxMs: number): Promise<boolean> {
  const stop = clock.now() + maxMs;
  while (!cond()) {
    if (clock.now() >= stop) return false;
    await clock.advance(100);
  }
  return true;
}

/**
 * Every node up, one leader known to all, and equal state hashes. Nodes still down (one whose
 * graceful close ended late) are started first.
 */
async function converge(clock: ManualClock, cluster: SimCluster): Promise<boolean> {
  const stop = clock.now() + CONVERGE_MS;
  for (;;) {
    await Promise.all(cluster.down().map((s) => cluster.start(s.id)));
    if (converged(cluster)) return true;
    if (clock.now() >= stop) return false;
    await clock.advance(100);
  }
}

/** One leader known to every running node, none closing, and one state hash among them all. */
function converged(cluster: SimCluster): boolean {
  if (!cluster.settled()) return false;
  let hash: string | undefined;
  for (const id of cluster.ids) {
    const h = cluster.slot(id).scheduler?.stateHash();
    if (hash === undefined) hash = h;
    else if (h !== hash) return false;
  }
  return true;
}
