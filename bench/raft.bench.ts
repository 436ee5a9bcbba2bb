/**
 * Consensus throughput: a 3-node in-process cluster (MemoryNetwork, in-memory storage, the real
 * clock). N proposers on the leader each await their proposal and propose again; we count
 * committed-and-applied entries per second, the propose→resolve latency and the process CPU time
 * per entry.
 *
 * Each row: a fresh cluster, a warm-up (JIT, heap sizing), then `RAFT_BENCH_REPS` back-to-back
 * windows of `RAFT_BENCH_MS`; every column is the median over the windows. On a shared machine
 * entries/s and latency follow the load; CPU µs/entry is the steadier figure to compare. The log
 * is kept in memory until snapshots exist (~150 bytes an entry per node), so later windows of a
 * row pay a little more for a bigger heap: the last column shows each window.
 *
 * Run alone: `node --expose-gc --import tsx bench/raft.bench.ts` (or `npm run bench -- raft`).
 * Environment: RAFT_BENCH_MS (default 3000), RAFT_BENCH_WARMUP_MS (default 1000), RAFT_BENCH_REPS
 * (default 3), RAFT_BENCH_PROPOSERS (default `1,16,256`).
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { RaftNode } from '../src/raft/node.js';
import { FAST_TIMING } from '../src/raft/timing.js';
import type { StateMachine } from '../src/raft/types.js';
import { openMemoryStorage } from '../src/storage/index.js';
import { MemoryNetwork } from '../src/transport/index.js';

const IDS = ['n1', 'n2', 'n3'];
const CONCURRENCY = (process.env.RAFT_BENCH_PROPOSERS ?? '1,16,256').split(',').map(Number);
const WARMUP_MS = Number(process.env.RAFT_BENCH_WARMUP_MS ?? 1_000);
const MEASURE_MS = Number(process.env.RAFT_BENCH_MS ?? 3_000);
const REPS = Number(process.env.RAFT_BENCH_REPS ?? 3);
/** A typical small command: ~100 bytes. */
const PAYLOAD = new Uint8Array(100).fill(42);

/** Counts applied bytes so the work cannot be optimised away. */
class CountingMachine implements StateMachine {
  applied = 0;
  bytes = 0;
  apply(data: Uint8Array): unknown {
    this.applied++;
    this.bytes += data.length;
    return this.applied;
  }
}

/** One measurement window. */
interface Sample {
  readonly perSecond: number;
  /** Process CPU time (all threads, GC included) per committed entry: steadier than wall time on a shared machine. */
  readonly cpuMicros: number;
  /** The kernel's part of it (page faults of a growing heap, event-loop polls). */
  readonly sysMicros: number;
  readonly p50: number;
  readonly p99: number;
}

/** Latencies in a preallocated, growable buffer: the bench's own bookkeeping stays out of the CPU figure. */
class Latencies {
  #values = new Float64Array(1 << 20);
  #count = 0;
  get count(): number {
    return this.#count;
  }
  add(ms: number): void {
    if (this.#count === this.#values.length) {
      const bigger = new Float64Array(this.#values.length * 2);
      bigger.set(this.#values);
      this.#values = bigger;
    }
    this.#values[this.#count++] = ms;
  }
  reset(): void {
    this.#count = 0;
  }
  percentile(p: number): number {
    if (this.#count === 0) return NaN;
    const sorted = this.#values.subarray(0, this.#count).sort();
    return sorted[Math.min(this.#count - 1, Math.floor(p * this.#count))]!;
  }
}

async function startCluster(): Promise<{ nodes: RaftNode[]; leader: RaftNode }> {
  const net = new MemoryNetwork();
  const nodes: RaftNode[] = [];
  for (const id of IDS) {
    const node = new RaftNode({
      id,
      voters: IDS,
      storage: await openMemoryStorage(),
      transport: net.connect(id),
      stateMachine: new CountingMachine(),
      timing: FAST_TIMING,
    });
    await node.start();
    nodes.push(node);
  }
  const deadline = performance.now() + 10_000;
  for (;;) {
    const leader = nodes.find((n) => n.isLeader());
    if (leader !== undefined) return { nodes, leader };
    if (performance.now() > deadline) throw new Error('raft bench: no leader within 10 s');
    await sleep(10);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

/** Measures `proposers` closed-loop clients on one fresh cluster: warm-up, then `REPS` windows. */
async function measure(proposers: number): Promise<Sample[]> {
  const { nodes, leader } = await startCluster();
  let recording = false;
  let stop = false;
  const latencies = new Latencies();
  const worker = async (): Promise<void> => {
    while (!stop) {
      const t0 = performance.now();
      await leader.propose(PAYLOAD);
      if (recording) latencies.add(performance.now() - t0);
    }
  };
  const workers = Array.from({ length: proposers }, worker);
  await sleep(WARMUP_MS);
  const samples: Sample[] = [];
  for (let rep = 0; rep < REPS; rep++) {
    latencies.reset();
    recording = true;
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    await sleep(MEASURE_MS);
    recording = false;
    const elapsed = performance.now() - start;
    const cpu = process.cpuUsage(cpuStart);
    const count = latencies.count;
    samples.push({
      perSecond: (count / elapsed) * 1000,
      cpuMicros: (cpu.user + cpu.system) / count,
      sysMicros: cpu.system / count,
      p50: latencies.percentile(0.5),
      p99: latencies.percentile(0.99),
    });
  }
  stop = true;
  await Promise.all(workers);
  for (const n of nodes) await n.close();
  return samples;
}

/** Prints one markdown row per proposer count (medians over the repetitions). */
export async function run(): Promise<void> {
  console.log(
    `3 nodes, MemoryNetwork, openMemoryStorage (memory-level), ${PAYLOAD.length}-byte payloads; per row: fresh cluster, ${WARMUP_MS} ms warm-up, median of ${REPS} × ${MEASURE_MS} ms\n`,
  );
  console.log(
    '| proposers | committed entries/s | p50 latency (ms) | p99 latency (ms) | CPU µs/entry (of which sys) | entries/s of each window |',
  );
  console.log('|---:|---:|---:|---:|---:|---|');
  for (const proposers of CONCURRENCY) {
    const samples = await measure(proposers);
    const pick = (f: (s: Sample) => number): number => median(samples.map(f));
    const each = samples.map((s) => Math.round(s.perSecond).toLocaleString('en-US')).join(' / ');
    console.log(
      `| ${proposers} | ${Math.round(pick((s) => s.perSecond)).toLocaleString('en-US')} | ${pick((s) => s.p50).toFixed(2)} | ${pick((s) => s.p99).toFixed(2)} | ${pick((s) => s.cpuMicros).toFixed(1)} (sys ${pick((s) => s.sysMicros).toFixed(1)}) | ${each} |`,
    );
    (globalThis as { gc?: () => void }).gc?.();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
