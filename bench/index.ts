/**
 * `npm run bench [-- <name>...]` runs every benchmark (or those named: scheduler, raft, failover)
 * and prints markdown tables to paste into bench/README.md. Speed lives here, never in tests.
 */
import os from 'node:os';

interface Bench {
  readonly name: string;
  readonly load: () => Promise<{ run: (options: { sizes: number[] }) => Promise<void> }>;
}

const benches: Bench[] = [
  { name: 'scheduler', load: () => import('./scheduler.bench.js') },
  { name: 'raft', load: () => import('./raft.bench.js') },
  { name: 'failover', load: () => import('./raft-failover.bench.js') },
];

const args = process.argv.slice(2);
const sizesArg = args.find((a) => a.startsWith('--sizes='));
const sizes = sizesArg ? sizesArg.slice('--sizes='.length).split(',').map(Number) : [10_000, 100_000, 1_000_000];
const wanted = args.filter((a) => !a.startsWith('--'));

console.log(
  `# scheduled-db bench — ${new Date().toISOString().slice(0, 10)}, node ${process.version}, ${os.cpus().length} cpu, ${os.cpus()[0]?.model ?? ''}`,
);
for (const bench of benches) {
  if (wanted.length > 0 && !wanted.includes(bench.name)) continue;
  console.log(`\n## ${bench.name}\n`);
  const mod = await bench.load();
  await mod.run({ sizes });
}
