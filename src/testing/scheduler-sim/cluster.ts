/**
 * The simulated cluster: one `MemoryLevel` per node (its disk, which survives crashes), one
 * `MemoryNetwork` and one `ManualClock` for all, and for each node the current process — a
 * {@link Scheduler} created by `createScheduler` on a {@link ProcessClock}, a fenced view of the
 * node's disk and a fresh network endpoint. A crash kills the process (see `process.ts`); a
 * restart creates a new scheduler on the same disk, which replays what the dead one made durable.
 * @internal
 */
import { MemoryLevel } from 'memory-level';
import { DEFAULT_TIMING } from '../../raft/timing.js';
import type { OccurrenceEvent } from '../../scheduler/events.js';
import type { Execution } from '../../scheduler/model.js';
import { createScheduler, type Scheduler } from '../../scheduler/scheduler.js';
import type { MemoryNetwork } from '../../transport/memory-network.js';
import type { ManualClock } from '../../util/manual-clock.js';
import { simHandler } from './handlers.js';
import type { Ledger } from './ledger.js';
import { Fence, ProcessClock, fencedLevel, type DiskModel } from './process.js';
import { Rng, mix } from './rng.js';
import { createRandom } from '../sim/random.js';
import { fnv1a } from '../../util/hash.js';

/** Timeouts every node of the simulated cluster runs with. */
export interface ClusterTimeouts {
  /** An attempt without a result for this long is presumed dead. */
  readonly inProgressTimeoutMs: number;
  /** Default per-attempt timeout. */
  readonly executionTimeoutMs: number;
  /** An occurrence starting later than this after its time is late. */
  readonly missedThresholdMs: number;
  /** A proposal not applied after this long is given up by the node that made it. */
  readonly proposalTimeoutMs: number;
  /** Wall clocks of the nodes differ by up to this much (each runs ahead of simulated time by 0..this). */
  readonly clockSkewMs: number;
}

/** One node: its disk, and its process while it runs. */
export interface NodeSlot {
  readonly id: string;
  readonly disk: MemoryLevel<string, string>;
  /** Lives so far (1 after the first start). */
  incarnation: number;
  /** The running process; undefined while the node is down (or still starting). */
  scheduler: Scheduler | undefined;
  /** The current process's fence; undefined while down. */
  fence: Fence | undefined;
  /** Whether a restart is under way. */
  starting: boolean;
  /** Whether a graceful close is under way. */
  stopping: boolean;
  /** The disk's own draws (write delays, torn writes); it outlives processes. */
  readonly diskRng: Rng;
  /** Until when (simulated ms) the disk is slow; writes then take up to `stallMaxMs`. */
  stallUntil: number;
  stallMaxMs: number;
  /** How far this machine's wall clock runs ahead of simulated time (skew), in ms. */
  readonly clockOffsetMs: number;
}

/** What the cluster reports to the run. */
export interface ClusterSink {
  /** A line of the run's trace. */
  trace(line: string): void;
  /** A broken promise (a restart that failed, a close that rejected). */
  violation(text: string): void;
  /** A scheduler error event (unexpected internal error, reported, not thrown). */
  error(node: string, error: Error): void;
}

/** The nodes of one simulation run. */
export class SimCluster {
  /** The node ids (the voters), in order. */
  readonly ids: readonly string[];
  readonly #slots = new Map<string, NodeSlot>();
  readonly #clock: ManualClock;
  readonly #net: MemoryNetwork;
  readonly #seed: number;
  readonly #ledger: Ledger;
  readonly #sink: ClusterSink;
  readonly #timeouts: ClusterTimeouts;
  /** Delays of late handler registrations. */
  readonly #deployRng: Rng;
  /** Outcomes already traced (each is applied once per replica). */
  readonly #traced = new Set<string>();
  /** Leadership changes (a node becoming leader) seen so far. */
  elections = 0;

  /**
   * @param ids - node ids (the voters).
   * @param clock - the simulation's clock.
   * @param net - the simulation's network.
   * @param seed - the run's seed (node randomness derives from it).
   * @param ledger - records starts and handler calls.
   * @param sink - trace, violations, errors.
   * @param timeouts - scheduler timeouts.
   */
  constructor(
    ids: readonly string[],
    clock: ManualClock,
    net: MemoryNetwork,
    seed: number,
    ledger: Ledger,
    sink: ClusterSink,
    timeouts: ClusterTimeouts,
  ) {
    this.ids = ids;
    this.#clock = clock;
    this.#net = net;
    this.#seed = seed;
    this.#ledger = ledger;
    this.#sink = sink;
    this.#timeouts = timeouts;
    this.#deployRng = new Rng(seed, 300);
    ids.forEach((id, i) => {
      this.#slots.set(id, {
        id,
        disk: new MemoryLevel<string, string>(),
        incarnation: 0,
        scheduler: undefined,
        fence: undefined,
        starting: false,
        stopping: false,
        diskRng: new Rng(seed, 100 + i),
        stallUntil: 0,
        stallMaxMs: 0,
        clockOffsetMs: timeouts.clockSkewMs > 0 ? new Rng(seed, 200 + i).int(0, timeouts.clockSkewMs) : 0,
      });
    });
  }

  /** The slot of `id`. */
  slot(id: string): NodeSlot {
    return this.#slots.get(id) as NodeSlot;
  }

  /** Nodes whose process runs. */
  up(): NodeSlot[] {
    return this.ids.map((id) => this.slot(id)).filter((s) => s.scheduler !== undefined);
  }

  /** Nodes down and not restarting. */
  down(): NodeSlot[] {
    return this.ids.map((id) => this.slot(id)).filter((s) => s.scheduler === undefined && !s.starting);
  }

  /** The one running node that believes it leads, when exactly one does. */
  leader(): NodeSlot | undefined {
    let found: NodeSlot | undefined;
    for (const s of this.up()) {
      if (!(s.scheduler as Scheduler).isLeader) continue;
      if (found !== undefined) return undefined;
      found = s;
    }
    return found;
  }

  /** Whether every node runs, exactly one leads, and every node knows it. */
  settled(): boolean {
    const leader = this.leader();
    if (leader === undefined) return false;
    for (const id of this.ids) {
      const slot = this.slot(id);
      const s = slot.scheduler;
      if (s === undefined || slot.stopping || s.leader !== leader.id) return false;
    }
    return true;
  }

  /** Starts (or restarts) node `id` on its disk. Resolves once it has replayed its log, or once it crashed trying. */
  async start(id: string): Promise<void> {
    const slot = this.slot(id);
    if (slot.scheduler !== undefined || slot.starting) return;
    slot.starting = true;
    const incarnation = ++slot.incarnation;
    const fence = new Fence();
    slot.fence = fence;
    const clock = new ProcessClock(this.#clock, fence, slot.clockOffsetMs);
    const transport = this.#net.connect(id);
    fence.onKill(() => void transport.close());
    this.#sink.trace(`${id}#${incarnation} starting`);
    let scheduler: Scheduler;
    const concurrency = this.#concurrency(id);
    try {
      const created = createScheduler({
        nodeId: id,
        voters: this.ids,
        transport,
        clock,
        random: createRandomFor(this.#seed, id, incarnation),
        storage: { level: fencedLevel(slot.disk, fence, clock, this.#diskModel(slot)) },
        inProgressTimeout: this.#timeouts.inProgressTimeoutMs,
        executionTimeout: this.#timeouts.executionTimeoutMs,
        missedThreshold: this.#timeouts.missedThresholdMs,
        maxMemory: '256MB',
        closeGrace: 2000,
        ...(concurrency !== undefined && { concurrency }),
        raft: { timing: DEFAULT_TIMING, proposalTimeoutMs: this.#timeouts.proposalTimeoutMs },
      });
      const died = new Promise<undefined>((resolve) => fence.onKill(() => resolve(undefined)));
      const result = await Promise.race([created, died]);
      if (result === undefined) {
        slot.starting = false;
        return;
      }
      scheduler = result;
    } catch (error) {
      slot.starting = false;
      fence.kill();
      slot.fence = undefined;
      this.#sink.violation(
        `${id}#${incarnation} failed to restart from its disk: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
      return;
    }
    const handler = simHandler({
      seed: this.#seed,
      node: id,
      incarnation,
      fence,
      clock,
      ledger: this.#ledger,
      inContact: () => scheduler.inContact,
    });
    const deploy = this.#deploy(id, incarnation);
    // The application registers its handler at once, a while after the scheduler is up (a restart
    // must not fire overdue jobs before), or — in a rolling deploy — this build lacks it.
    if (deploy === 'now') scheduler.handle('work', handler);
    else if (deploy === 'later') clock.setTimeout(() => scheduler.handle('work', handler), this.#deployRng.int(0, 2000));
    this.#listen(scheduler, id, incarnation, fence);
    slot.scheduler = scheduler;
    slot.starting = false;
    this.#sink.trace(`${id}#${incarnation} up`);
  }

  /**
   * Closes node `id` gracefully (`scheduler.close()`: leadership handed over, handlers drained),
   * then lets its process exit. Resolves true once it is down; false when it was not running, or
   * crashed while closing.
   */
  async stop(id: string): Promise<boolean> {
    const slot = this.slot(id);
    const scheduler = slot.scheduler;
    const fence = slot.fence;
    if (scheduler === undefined || fence === undefined || slot.stopping) return false;
    slot.stopping = true;
    this.#sink.trace(`${id}#${slot.incarnation} CLOSE (graceful)`);
    const died = new Promise<void>((resolve) => fence.onKill(resolve));
    try {
      await Promise.race([scheduler.close(), died]);
    } catch (error) {
      this.#sink.violation(`${id}#${slot.incarnation} close() rejected: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      slot.stopping = false;
    }
    if (!fence.alive) return false;
    this.#sink.trace(`${id}#${slot.incarnation} closed`);
    // The process exits after a graceful close: whatever its handlers still do dies with it.
    this.crash(id, 'exit');
    return true;
  }

  /** Kills node `id`'s process at once (no close, no hand-over, no flush). */
  crash(id: string, how: 'CRASH' | 'exit' = 'CRASH'): void {
    const slot = this.slot(id);
    const fence = slot.fence;
    if (fence === undefined) return;
    slot.fence = undefined;
    slot.scheduler = undefined;
    fence.kill();
    this.#sink.trace(`${id}#${slot.incarnation} ${how}`);
  }

  /** Makes `id`'s disk slow until `until`: each write then takes up to `maxMs`. */
  stallDisk(id: string, until: number, maxMs: number): void {
    const slot = this.slot(id);
    slot.stallUntil = until;
    slot.stallMaxMs = maxMs;
  }

  /** Ends every disk stall. */
  unstallDisks(): void {
    for (const id of this.ids) this.slot(id).stallUntil = 0;
  }

  /** Nodes that run with a concurrency limit. */
  limited(): Set<string> {
    return new Set(this.ids.filter((id) => this.#concurrency(id) !== undefined));
  }

  /** A concurrency limit of 1–3 on one node in half of the runs (seeded): attempts then queue for a slot. */
  #concurrency(id: string): number | undefined {
    if (this.#seed % 2 === 0 || id !== this.ids[Math.floor(this.#seed / 2) % this.ids.length]) return undefined;
    return 1 + (Math.floor(this.#seed / 6) % 3);
  }

  /**
   * When incarnation `incarnation` of `id` registers its handler: at once; a while after start
   * (one run in three: every node); or never (one run in four, a rolling deploy: the first node's
   * odd lives run a build without it).
   */
  #deploy(id: string, incarnation: number): 'now' | 'later' | 'never' {
    const mode = this.#seed % 12;
    if (mode % 4 === 1 && id === this.ids[0] && incarnation % 2 === 1) return 'never';
    return mode % 3 === 2 ? 'later' : 'now';
  }

  #diskModel(slot: NodeSlot): DiskModel {
    return {
      writeDelayMs: () => (this.#clock.now() < slot.stallUntil ? slot.diskRng.int(1, slot.stallMaxMs) : 0),
      landsOnCrash: () => slot.diskRng.chance(0.5),
    };
  }

  /** Kills every process (end of run: frees their timers). */
  crashAll(): void {
    for (const id of this.ids) this.crash(id);
  }

  #listen(scheduler: Scheduler, id: string, incarnation: number, fence: Fence): void {
    const ledger = this.#ledger;
    const sink = this.#sink;
    const live = (): boolean => fence.alive;
    scheduler.on('execution:started', (e) => {
      if (live()) ledger.started(id, incarnation, e);
    });
    // Outcomes as the first replica applies them: one trace line each, not one per node.
    const outcome = (e: Execution, extra = ''): void => {
      if (!live() || this.#traced.has(`${e.id}/${e.status}`)) return;
      this.#traced.add(`${e.id}/${e.status}`);
      sink.trace(`end ${e.id} ${e.status}${e.errorType !== undefined ? ` (${e.errorType})` : ''}${extra}`);
    };
    scheduler.on('execution:completed', (e) => outcome(e));
    scheduler.on('execution:timeout', (e) => {
      if (live()) ledger.finished(e);
    });
    scheduler.on('execution:failed', (e, o) => outcome(e, o.retryAt !== undefined ? `, retry at ${o.retryAt}` : ''));
    scheduler.on('execution:timeout', (e, o) => outcome(e, o.retryAt !== undefined ? `, retry at ${o.retryAt}` : ''));
    scheduler.on('execution:cancelled', (e) => outcome(e));
    const occurrence = (o: OccurrenceEvent, what: string): void => {
      const key = `${o.jobId}@${o.scheduledAt}/${what}`;
      if (!live() || this.#traced.has(key)) return;
      this.#traced.add(key);
      sink.trace(`${what} ${o.jobId}@${o.scheduledAt} (${o.reason}${o.count > 1 ? ` x${o.count}` : ''})`);
    };
    scheduler.on('occurrence:skipped', (o) => occurrence(o, 'skipped'));
    scheduler.on('occurrence:missed', (o) => occurrence(o, 'missed'));
    scheduler.on('job:cancelled', (job) => {
      if (live()) ledger.ended(id, job.id);
    });
    scheduler.on('job:deleted', (d) => {
      if (live()) ledger.ended(id, d.jobId);
    });
    scheduler.on('leader:changed', (change) => {
      if (!live() || !change.isLeader) return;
      this.elections++;
      sink.trace(`${id}#${incarnation} leads term ${change.term}`);
    });
    scheduler.on('error', (error) => {
      if (live()) sink.error(id, error);
    });
  }
}

/** A node incarnation's own generator (election jitter, retry jitter, proposal nonces). */
function createRandomFor(seed: number, id: string, incarnation: number): () => number {
  return createRandom(mix(seed, (fnv1a(id) ^ Math.imul(incarnation, 0x10001)) >>> 0));
}
