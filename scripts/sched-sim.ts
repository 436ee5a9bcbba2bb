/**
 * The firing-path simulator from the command line (see src/testing/scheduler-sim.ts).
 *
 *   node --import tsx scripts/sched-sim.ts --seeds 100 --from 1      run seeds 1..100
 *   node --import tsx scripts/sched-sim.ts --seed 42 --verbose       replay one seed, printing its trace
 *   options: --nodes N (default 3), --fault-ms MS (30000), --quiet-ms MS (60000), --skew MS (0: clocks
 *   agree; else each node's clock runs 0..MS ahead), --updates (clients also update jobs), --keep-going
 *   (run every seed even after a failure)
 *
 * Prints the seeds run, operations, invocations and occurrences checked; on a violation prints the
 * seed, the violations and the end of the trace, and exits non-zero (after the first failing seed
 * unless --keep-going).
 */
import { runSchedulerSimulation, type SchedulerSimOptions, type SchedulerSimResult } from '../src/testing/scheduler-sim.js';

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
const keepGoing = process.argv.includes('--keep-going');
const from = single !== undefined ? num('seed', 1) : num('from', 1);
const count = single !== undefined ? 1 : num('seeds', 20);
const nodes = num('nodes', 3);
const faultMs = arg('fault-ms') === undefined ? undefined : num('fault-ms', 30_000);
const quietMs = arg('quiet-ms') === undefined ? undefined : num('quiet-ms', 60_000);
const skew = num('skew', 0);
const updates = process.argv.includes('--updates');

const started = process.hrtime.bigint();
const totals = {
  ops: 0,
  acked: 0,
  invocations: 0,
  starts: 0,
  executions: 0,
  oneShots: 0,
  cronOccurrences: 0,
  crashes: 0,
  leaderCrashes: 0,
  notes: 0,
};
const failed: SchedulerSimResult[] = [];
let ran = 0;
for (let seed = from; seed < from + count; seed++) {
  const options: SchedulerSimOptions = {
    seed,
    nodes,
    ...(faultMs === undefined ? {} : { faultMs }),
    ...(quietMs === undefined ? {} : { quietMs }),
    ...(skew > 0 ? { clockSkewMs: skew } : {}),
    ...(updates ? { updates } : {}),
    ...(verbose ? { onTrace: (line: string) => console.log(line) } : {}),
  };
  const r = await runSchedulerSimulation(options);
  ran++;
  totals.ops += r.operations;
  totals.acked += r.acknowledged;
  totals.invocations += r.invocations;
  totals.starts += r.starts;
  totals.executions += r.checked.executions;
  totals.oneShots += r.checked.oneShotsFinal;
  totals.cronOccurrences += r.checked.cronOccurrences;
  totals.crashes += r.crashes;
  totals.leaderCrashes += r.leaderCrashes;
  totals.notes += r.notes.length;
  const line =
    `seed ${seed}: ${r.nodes} nodes, ${r.operations} ops (${r.acknowledged} acked), ${r.invocations} invocations, ` +
    `${r.checked.executions} executions, ${r.checked.cronOccurrences} cron occurrences, ${r.crashes} crashes (${r.leaderCrashes} leader), ` +
    `${r.elections} elections, trace ${r.traceHash}${r.violations.length > 0 ? `, ${r.violations.length} VIOLATIONS` : ''}`;
  if (verbose || r.violations.length > 0 || count <= 50) console.log(line);
  if (verbose) for (const note of r.notes) console.log(`  note: ${note}`);
  if (r.violations.length > 0) {
    failed.push(r);
    console.log(`\nFAILING SEED: ${seed} (${r.nodes} nodes)`);
    for (const v of r.violations) console.log(`VIOLATION: ${v}`);
    if (!verbose) {
      console.log(
        `\nlast ${r.trace.length} trace lines (replay: node --import tsx scripts/sched-sim.ts --seed ${seed} --nodes ${r.nodes}${skew > 0 ? ` --skew ${skew}` : ''}${updates ? ' --updates' : ''} --verbose):`,
      );
      for (const l of r.trace) console.log(`  ${l}`);
    }
    if (!keepGoing) break;
  }
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
console.log(
  `\nseeds ${from}..${from + ran - 1} (${nodes} nodes${skew > 0 ? `, clock skew up to ${skew} ms` : ''}${updates ? ', with updates' : ''}): ${ran} run in ${seconds.toFixed(1)} s; ${totals.ops} operations (${totals.acked} acknowledged), ` +
    `${totals.invocations} invocations of ${totals.starts} started attempts checked, ${totals.executions} executions, ${totals.oneShots} due one-shots, ` +
    `${totals.cronOccurrences} cron occurrences; ${totals.crashes} crashes (${totals.leaderCrashes} of the leader); ${totals.notes} notes`,
);
if (failed.length > 0) {
  console.log(`FAILING SEEDS: ${failed.map((r) => r.seed).join(', ')}`);
  process.exitCode = 1;
} else {
  console.log('no violation');
}
