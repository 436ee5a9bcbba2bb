/**
 * Consensus throughput: a 3-node in-process cluster (MemoryNetwork, memory-level storage, the real
 * clock). N proposers on the leader each await their proposal and propose again; we count
 * committed-and-applied entries per second and the propose→resolve latency.
 *
 * Run alone: `node --import tsx bench/raft.bench.ts` (or `npm run bench -- raft`).
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { RaftNode } from '../src/raft/node.js';
import { FAST_TIMING } from '../src/raft/timing.js';
import type { StateMachine } from '../src/raft/types.js';
import { openMemoryStorage } from '../src/storage/index.js';
import { MemoryNetwork } from '../src/transport/index.js';

const IDS = ['n1', 'n2', 'n3'];
const CONCURRENCY = [1, 16, 256];
const WARMUP_MS = 500;
const MEASURE_MS = Number(process.env.RAFT_BENCH_MS ?? 3_000);
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

interface Row {
  readonly proposers: number;
  readonly perSecond: number;
  /** Process CPU time (all threads, GC included) per committed entry: steadier than wall time on a shared machine. */
  readonly cpuMicros: number;
  readonly p50: number;
  readonly p99: number;
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
  const deadline = Date.now() + 10_000;
  for (;;) {
    const leader = nodes.find((n) => n.isLeader());
    if (leader !== undefined) return { nodes, leader };
    if (Date.now() > deadline) throw new Error('raft bench: no leader within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function measure(proposers: number): Promise<Row> {
  const { nodes, leader } = await startCluster();
  let recording = false;
  let stop = false;
  let count = 0;
  const latencies: number[] = [];
  const worker = async (): Promise<void> => {
    while (!stop) {
      const t0 = performance.now();
      await leader.propose(PAYLOAD);
      if (recording) {
        latencies.push(performance.now() - t0);
        count++;
      }
    }
  };
  const workers = Array.from({ length: proposers }, worker);
  await new Promise((resolve) => setTimeout(resolve, WARMUP_MS));
  recording = true;
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  await new Promise((resolve) => setTimeout(resolve, MEASURE_MS));
  recording = false;
  const elapsed = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  stop = true;
  await Promise.all(workers);
  for (const n of nodes) await n.close();
  latencies.sort((a, b) => a - b);
  const pct = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
  return { proposers, perSecond: (count / elapsed) * 1000, cpuMicros: (cpu.user + cpu.system) / count, p50: pct(0.5), p99: pct(0.99) };
}

/** Prints one markdown row per proposer count. */
export async function run(): Promise<void> {
  console.log(`3 nodes, MemoryNetwork, memory-level, ${PAYLOAD.length}-byte payloads, ${MEASURE_MS} ms per row\n`);
  console.log('| proposers | committed entries/s | p50 latency (ms) | p99 latency (ms) | CPU µs/entry |');
  console.log('|---:|---:|---:|---:|---:|');
  for (const proposers of CONCURRENCY) {
    const row = await measure(proposers);
    console.log(
      `| ${row.proposers} | ${Math.round(row.perSecond).toLocaleString('en-US')} | ${row.p50.toFixed(2)} | ${row.p99.toFixed(2)} | ${row.cpuMicros.toFixed(1)} |`,
    );
    (globalThis as { gc?: () => void }).gc?.();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
