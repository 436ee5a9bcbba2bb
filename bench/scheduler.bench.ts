/**
 * Scheduler benchmark (real clock, one in-memory node). For each size N of pending one-shot jobs:
 * scheduling throughput through `scheduleMany`, heap per pending job, and the lateness of jobs
 * that fall due while the N others wait far in the future; then dispatch throughput with 100k
 * jobs due at once. Run with `npm run bench -- scheduler` (`--expose-gc` is set there).
 */
import { performance } from 'node:perf_hooks';
import { createScheduler, type Scheduler } from '../src/scheduler/scheduler.js';
import type { JobSpec } from '../src/scheduler/model.js';

const BATCH = 10_000;
const PROBES = 2000;
const PROBE_SPREAD_MS = 2000;
const DISPATCH_N = 100_000;

/** Wall time in fractional epoch ms: Date.now() has 1 ms steps, too coarse for lateness. */
const preciseNow = (): number => performance.timeOrigin + performance.now();

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

function fmt(n: number, digits = 0): string {
  return Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : 'n/a';
}

async function open(): Promise<Scheduler> {
  return createScheduler({ maxJobs: 10_000_000, maxMemory: '64GB', historyLimit: 10 });
}

interface SizeResult {
  readonly n: number;
  readonly scheduledPerSec: number;
  readonly heapPerJob: number;
  readonly externalPerJob: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

async function measureSize(n: number): Promise<SizeResult> {
  gc();
  const baseline = process.memoryUsage();
  const scheduler = await open();
  scheduler.handle('noop', () => {});
  const lateness: number[] = [];
  scheduler.handle('probe', (ctx) => {
    lateness.push(preciseNow() - ctx.execution.scheduledAt);
  });

  const far = Date.now() + 86_400_000;
  const started = performance.now();
  for (let done = 0; done < n; done += BATCH) {
    const size = Math.min(BATCH, n - done);
    const specs = new Array<JobSpec>(size);
    for (let i = 0; i < size; i++) specs[i] = { id: `p-${done + i}`, at: far + ((done + i) % 3_600_000), handler: 'noop' };
    await scheduler.scheduleMany(specs);
  }
  const scheduledPerSec = n / ((performance.now() - started) / 1000);
  gc();
  const loaded = process.memoryUsage();

  // Probes: PROBES one-shots spread over the next seconds, while the N wait.
  const start = Date.now() + 500;
  const probes: JobSpec[] = [];
  for (let i = 0; i < PROBES; i++)
    probes.push({ id: `probe-${i}`, at: start + Math.floor((i * PROBE_SPREAD_MS) / PROBES), handler: 'probe' });
  await scheduler.scheduleMany(probes);
  while (lateness.length < PROBES) await new Promise((resolve) => setTimeout(resolve, 50));
  lateness.sort((a, b) => a - b);
  await scheduler.close();
  return {
    n,
    scheduledPerSec,
    heapPerJob: (loaded.heapUsed - baseline.heapUsed) / n,
    externalPerJob: (loaded.external + loaded.arrayBuffers - baseline.external - baseline.arrayBuffers) / n,
    p50: percentile(lateness, 50),
    p99: percentile(lateness, 99),
    max: lateness[lateness.length - 1] ?? NaN,
  };
}

interface DispatchResult {
  readonly perSec: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

async function measureDispatch(n: number): Promise<DispatchResult> {
  gc();
  const scheduler = await open();
  const lateness = new Float64Array(n);
  let started = 0;
  scheduler.handle('noop', (ctx) => {
    lateness[started++] = preciseNow() - ctx.execution.scheduledAt;
  });
  let completed = 0;
  let firstStart = 0;
  let lastEnd = 0;
  scheduler.on('execution:started', () => {
    if (firstStart === 0) firstStart = performance.now();
  });
  scheduler.on('execution:completed', (execution) => {
    if (execution.nodeId === scheduler.nodeId && ++completed === n) lastEnd = performance.now();
  });
  // Generous lead time: all n must be scheduled before they fall due at once.
  const at = Date.now() + 3000 + Math.ceil(n / 10);
  for (let done = 0; done < n; done += BATCH) {
    const size = Math.min(BATCH, n - done);
    const specs = new Array<JobSpec>(size);
    for (let i = 0; i < size; i++) specs[i] = { id: `d-${done + i}`, at, handler: 'noop' };
    await scheduler.scheduleMany(specs);
  }
  if (Date.now() >= at) throw new Error('dispatch bench: scheduling took longer than the lead time');
  while (completed < n) await new Promise((resolve) => setTimeout(resolve, 50));
  await scheduler.close();
  const sorted = Array.from(lateness.subarray(0, started)).sort((a, b) => a - b);
  return {
    perSec: n / ((lastEnd - firstStart) / 1000),
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? NaN,
  };
}

/** Runs the scheduler benchmark for each pending-job count in `sizes` and prints markdown tables. */
export async function run(options: { sizes: number[] }): Promise<void> {
  if ((globalThis as { gc?: unknown }).gc === undefined) console.log('_(run with --expose-gc for meaningful memory numbers)_\n');
  console.log('| pending jobs | scheduled/s (scheduleMany ×10k) | heap B/job | external B/job | lateness p50 ms | p99 ms | max ms |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|');
  for (const n of options.sizes) {
    const r = await measureSize(n);
    console.log(
      `| ${fmt(r.n)} | ${fmt(r.scheduledPerSec)} | ${fmt(r.heapPerJob)} | ${fmt(r.externalPerJob)} | ${fmt(r.p50, 2)} | ${fmt(r.p99, 2)} | ${fmt(r.max, 2)} |`,
    );
  }
  console.log(
    `\nLateness: ${PROBES} one-shot jobs spread over ${PROBE_SPREAD_MS / 1000}s, measured from the job's time to the handler's first line.\n`,
  );
  const d = await measureDispatch(DISPATCH_N);
  console.log('| dispatch: jobs due at once | executions completed/s | start lateness p50 ms | p99 ms | max ms |');
  console.log('|---:|---:|---:|---:|---:|');
  console.log(`| ${fmt(DISPATCH_N)} | ${fmt(d.perSec)} | ${fmt(d.p50, 1)} | ${fmt(d.p99, 1)} | ${fmt(d.max, 1)} |`);
}

// Allow `node --expose-gc --import tsx bench/scheduler.bench.ts [sizes]` directly.
if (import.meta.url === `file://${process.argv[1]}`) {
  const sizes = (process.argv[2] ?? '10000,100000').split(',').map(Number);
  await run({ sizes });
}
