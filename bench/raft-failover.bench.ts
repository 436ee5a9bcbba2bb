/**
 * Failover in simulated time: a cluster runs with clients proposing every 10 ms, the leader
 * crashes at a random moment and stays down; we measure the time from the crash to the first
 * commit of a proposal made after it. Deterministic (one seed per run), so the numbers measure
 * the protocol and its timing profile, not the machine. Network: 1–5 ms per message; disk: 0–3 ms
 * per write, no stalls; production core settings.
 *
 * Run alone: `node --import tsx bench/raft-failover.bench.ts` (or `npm run bench -- failover`).
 */
import { pathToFileURL } from 'node:url';
import { DEFAULT_TIMING, FAST_TIMING, type RaftTiming } from '../src/raft/timing.js';
import { runSimulation } from '../src/testing/index.js';

const SEEDS = Number(process.env.FAILOVER_BENCH_SEEDS ?? 200);

interface Profile {
  readonly name: string;
  readonly timing: RaftTiming;
  readonly aimMs: number;
}

const PROFILES: readonly Profile[] = [
  { name: 'DEFAULT_TIMING', timing: DEFAULT_TIMING, aimMs: 1500 },
  { name: 'FAST_TIMING', timing: FAST_TIMING, aimMs: 500 },
];

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
}

/** Measures one profile on one cluster size over `SEEDS` seeds; returns sorted failover times. */
function measure(timing: RaftTiming, nodes: number): number[] {
  const times: number[] = [];
  for (let seed = 1; seed <= SEEDS; seed++) {
    const r = runSimulation({
      seed,
      nodes,
      timing,
      failover: { warmupMs: 3000 },
      proposalIntervalMs: 10,
      diskStalls: false,
      maxInflightMsgs: 256,
      maxEntriesPerMsg: 4096,
    });
    if (r.violation !== null) throw new Error(`seed ${seed}: ${r.violation}`);
    times.push(r.failoverMs);
  }
  return times.sort((a, b) => a - b);
}

/** Prints one markdown table row per (profile, cluster size). */
export async function run(): Promise<void> {
  console.log(`Leader crash → first commit of a new proposal, simulated time, ${SEEDS} seeds per row.\n`);
  console.log('| profile | tick | election timeout | heartbeat | nodes | p50 | p99 | max | aim |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const p of PROFILES) {
    const t = p.timing;
    for (const nodes of [3, 5]) {
      const xs = measure(t, nodes);
      const p99 = percentile(xs, 0.99);
      console.log(
        `| ${p.name} | ${t.tickMs} ms | ${t.electionTicks * t.tickMs}–${2 * t.electionTicks * t.tickMs} ms | ${t.heartbeatTicks * t.tickMs} ms | ${nodes} | ` +
          `${percentile(xs, 0.5)} ms | ${p99} ms | ${xs[xs.length - 1]} ms | ≤ ${p.aimMs} ms ${p99 <= p.aimMs ? '(p99 met)' : '(p99 MISSED)'} |`,
      );
    }
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
