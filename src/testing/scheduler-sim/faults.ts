/**
 * The fault injector of the firing-path simulator: crashes (often of the leader) followed by a
 * restart on the same disk, partitions, isolation of the leader, slow disks, lossy/slow/
 * duplicating/reordering links, and heals. Every decision comes from the fault stream of the run's seed.
 * @internal
 */
import { ANY_NODE, type LinkFaults, type MemoryNetwork } from '../../transport/memory-network.js';
import type { SimCluster } from './cluster.js';
import type { Rng } from './rng.js';

/** Counts of what was injected. */
export interface FaultCounts {
  crashes: number;
  leaderCrashes: number;
  partitions: number;
  linkFaults: number;
  diskStalls: number;
  gracefulRestarts: number;
  heals: number;
}

/** Schedules an action at an absolute simulated time. */
export type At = (time: number, what: string, action: () => void | Promise<void>) => void;

/** Injects one fault per call of {@link FaultInjector.inject}. */
export class FaultInjector {
  readonly counts: FaultCounts = {
    crashes: 0,
    leaderCrashes: 0,
    partitions: 0,
    linkFaults: 0,
    diskStalls: 0,
    gracefulRestarts: 0,
    heals: 0,
  };
  readonly #cluster: SimCluster;
  readonly #net: MemoryNetwork;
  readonly #rng: Rng;
  readonly #trace: (line: string) => void;
  readonly #now: () => number;
  /** Bumped per partition or isolation, so a stale heal leaves a newer one alone. */
  #partition = 0;
  /** Link key → generation of its current fault. */
  readonly #links = new Map<string, number>();

  /**
   * @param cluster - the nodes.
   * @param net - their network.
   * @param rng - the fault stream.
   * @param trace - receives a line per fault.
   * @param now - the simulation's time (a graceful close ends whenever it ends).
   */
  constructor(cluster: SimCluster, net: MemoryNetwork, rng: Rng, trace: (line: string) => void, now: () => number) {
    this.#cluster = cluster;
    this.#now = now;
    this.#net = net;
    this.#rng = rng;
    this.#trace = trace;
  }

  /** Injects one random fault at `now`; restarts are scheduled through `at`. */
  inject(now: number, at: At): void {
    const rng = this.#rng;
    const ids = this.#cluster.ids;
    const u = rng.next();
    if (u < 0.05) {
      // A rolling restart: close gracefully (often the leader), come back on the same disk.
      const leader = this.#cluster.leader();
      const up = this.#cluster.up().filter((s) => !s.stopping);
      if (up.length === 0) return;
      const victim = leader !== undefined && !leader.stopping && rng.chance(0.6) ? leader : rng.pick(up);
      const downFor = rng.int(100, 3000);
      this.counts.gracefulRestarts++;
      void this.#cluster.stop(victim.id).then((down) => {
        if (down) at(this.#now() + downFor, `restart ${victim.id}`, () => this.#cluster.start(victim.id));
      });
      return;
    }
    if (u < 0.3) {
      const leader = this.#cluster.leader();
      // Not a node in the middle of a graceful close: close() holds a real interval until it ends,
      // which a frozen process would leak (a real one would take it along when it dies).
      const up = this.#cluster.up().filter((s) => !s.stopping);
      if (up.length === 0) return;
      const victim = leader !== undefined && !leader.stopping && rng.chance(0.6) ? leader : rng.pick(up);
      if (victim === leader) this.counts.leaderCrashes++;
      this.counts.crashes++;
      this.#cluster.crash(victim.id);
      // Mostly quick restarts; sometimes a node stays down for a long stretch.
      const downFor = rng.chance(0.8) ? rng.int(200, 4000) : rng.int(4000, 15_000);
      at(now + downFor, `restart ${victim.id}`, () => this.#cluster.start(victim.id));
      return;
    }
    if (u < 0.48) {
      const shuffled = [...ids];
      for (let i = shuffled.length - 1; i > 0; i--) {
        const j = rng.int(0, i);
        [shuffled[i], shuffled[j]] = [shuffled[j] as string, shuffled[i] as string];
      }
      const cut = rng.int(1, ids.length - 1);
      const a = shuffled.slice(0, cut);
      const b = shuffled.slice(cut);
      // One topology at a time: partitions that pile up would mostly leave no majority at all.
      this.#net.heal();
      this.#net.partition(a, b);
      this.counts.partitions++;
      this.#trace(`PARTITION [${a.join(',')}] | [${b.join(',')}]`);
      this.#healLater(now, at);
      return;
    }
    if (u < 0.58) {
      const leader = this.#cluster.leader();
      const id = leader?.id ?? rng.pick(ids);
      this.#net.heal();
      this.#net.isolate(id);
      this.counts.partitions++;
      this.#trace(`ISOLATE ${id}${leader !== undefined ? ' (leader)' : ''}`);
      this.#healLater(now, at);
      return;
    }
    if (u < 0.68) {
      // A slow disk (often the leader's): writes take up to a few hundred ms for a while.
      const leader = this.#cluster.leader();
      const id = leader !== undefined && rng.chance(0.5) ? leader.id : rng.pick(ids);
      const maxMs = rng.int(20, 500);
      this.#cluster.stallDisk(id, now + rng.int(500, 6000), maxMs);
      this.counts.diskStalls++;
      this.#trace(`DISK STALL ${id} writes up to ${maxMs} ms`);
      return;
    }
    if (u < 0.92) {
      const from = rng.chance(0.3) ? ANY_NODE : rng.pick(ids);
      const to = rng.chance(0.3) ? ANY_NODE : rng.pick(ids);
      const max = rng.int(0, 300);
      const faults: LinkFaults = {
        drop: rng.chance(0.7) ? rng.next() * 0.3 : 0,
        delayMs: [0, max],
        duplicate: rng.chance(0.5) ? rng.next() * 0.2 : 0,
        reorder: rng.chance(0.3),
      };
      this.#net.setLink(from, to, faults);
      this.counts.linkFaults++;
      const key = `${from}>${to}`;
      const generation = (this.#links.get(key) ?? 0) + 1;
      this.#links.set(key, generation);
      this.#trace(
        `LINK ${from}->${to} drop ${faults.drop?.toFixed(2)} delay 0..${max} dup ${faults.duplicate?.toFixed(2)} reorder ${String(faults.reorder)}`,
      );
      at(now + rng.int(300, 8000), 'link repair', () => {
        if (this.#links.get(key) !== generation) return;
        this.#net.setLink(from, to, null);
        this.#trace(`LINK ${from}->${to} repaired`);
      });
      return;
    }
    this.heal();
  }

  /** Heals the current partition after a while, unless another replaced it meanwhile. */
  #healLater(now: number, at: At): void {
    const generation = ++this.#partition;
    at(now + this.#rng.int(300, 6000), 'heal partition', () => {
      if (this.#partition !== generation) return;
      this.#net.heal();
      this.#trace('PARTITION healed');
    });
  }

  /** Removes every partition, isolation, link fault and disk stall. */
  heal(): void {
    this.#cluster.unstallDisks();
    this.#net.heal();
    this.#net.clearLinks();
    this.#partition++;
    this.#links.clear();
    this.counts.heals++;
    this.#trace('HEAL');
  }
}
