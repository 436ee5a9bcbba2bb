/**
 * Deterministic cluster simulation from the command line.
 *
 *   npm run sim -- --seeds 500 --from 1        run seeds 1..500, stop at the first violation
 *   npm run sim -- --seed 42 --verbose         replay one seed, printing every event
 *   options: --nodes N (default 3 or 5 by seed), --fault-ms MS (default 20000), --fast (FAST_TIMING)
 *
 * Exits non-zero on the first violated invariant, printing the seed, the violation and the last
 * 200 events of its trace (replay it with --seed X --verbose).
 */
import { DEFAULT_TIMING, FAST_TIMING } from '../src/raft/timing.js';
import { runSimulation, type SimulationOptions, type SimulationResult } from '../src/testing/index.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
function num(name: string, fallback: number): number {
  const v = arg(name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n)) {
    console.error(`--${name} must be an integer, got "${v}"`);
    process.exit(2);
  }
  return n;
}

const single = arg('seed');
const verbose = process.argv.includes('--verbose');
const from = single !== undefined ? num('seed', 1) : num('from', 1);
const count = single !== undefined ? 1 : num('seeds', 100);
const timing = process.argv.includes('--fast') ? FAST_TIMING : DEFAULT_TIMING;
const nodes = arg('nodes') === undefined ? undefined : num('nodes', 3);
const faultMs = arg('fault-ms') === undefined ? undefined : num('fault-ms', 20_000);

const started = process.hrtime.bigint();
let events = 0;
let checks = 0;
let maxConvergence = 0;
let bound = 0;
let failed: SimulationResult | null = null;
for (let seed = from; seed < from + count; seed++) {
  const options: SimulationOptions = {
    seed,
    timing,
    ...(nodes === undefined ? {} : { nodes }),
    ...(faultMs === undefined ? {} : { faultMs }),
    ...(verbose ? { onTrace: (line: string) => console.log(line) } : {}),
  };
  const r = runSimulation(options);
  events += r.events;
  checks += r.checks;
  bound = r.convergenceBoundMs;
  if (r.convergenceMs > maxConvergence) maxConvergence = r.convergenceMs;
  if (verbose) {
    console.log(
      `seed ${seed}: ${r.nodes} nodes, ${r.events} events, commit ${r.commitIndex}, ${r.elections} elections, ${r.crashes} crashes, converged in ${r.convergenceMs} ms, trace ${r.traceHash}`,
    );
  }
  if (r.violation !== null) {
    failed = r;
    break;
  }
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const ran = failed === null ? count : failed.seed - from + 1;
console.log(
  `seeds ${from}..${from + ran - 1}: ${ran} run, ${events} events checked (${checks} node-state checks) in ${seconds.toFixed(1)} s`,
);
if (failed === null) {
  console.log(`all converged after faults; slowest ${maxConvergence} ms of simulated time (bound ${bound} ms)`);
} else {
  console.log(`\nFIRST FAILING SEED: ${failed.seed} (${failed.nodes} nodes)`);
  console.log(`VIOLATION: ${failed.violation}`);
  console.log(`\nlast ${failed.trace.length} events (replay: npm run sim -- --seed ${failed.seed} --verbose):`);
  for (const line of failed.trace) console.log(line);
  process.exitCode = 1;
}
