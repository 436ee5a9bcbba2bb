/**
 * An in-process network for tests, the simulator and benchmarks. Delivery is always asynchronous
 * (a handler never runs inside its sender's `send`), every delivered message is a private copy,
 * and each directed link can drop, delay, duplicate or reorder messages. Delays use the injected
 * clock and every coin flip the injected random, so a seeded run replays exactly.
 */
import type { Message, NodeId, Transport } from '../raft/types.js';
import { completeClock, systemClock, type Clock, type CompleteClock } from '../util/clock.js';
import { SoonScheduler } from '../util/soon.js';
import { cloneMessage } from './clone.js';
import { ByteArena } from '../util/byte-arena.js';
import { systemRandom } from '../util/random.js';

/** Faults of one directed link. Absent fields mean a perfect link. */
export interface LinkFaults {
  /** Probability in [0, 1] that a message is lost. */
  readonly drop?: number;
  /** Each message is delivered after a uniformly random delay in `[min, max]` ms (per the network's clock). */
  readonly delayMs?: readonly [min: number, max: number];
  /** Probability in [0, 1] that a message is delivered twice (each copy independently delayed). */
  readonly duplicate?: number;
  /** Deliver messages of this link in a random order relative to the other messages in flight. */
  readonly reorder?: boolean;
}

/** Options of {@link MemoryNetwork}. */
export interface MemoryNetworkOptions {
  /** Times link delays. Default {@link systemClock}. */
  readonly clock?: Clock;
  /** Uniform [0, 1) source for every fault decision. Default `Math.random`. */
  readonly random?: () => number;
}

/** Counters of what the network did, for tests and debugging. */
export interface MemoryNetworkStats {
  /** Messages handed to `send` by open endpoints. */
  readonly sent: number;
  /** Messages handed to a receiver's handler (duplicates count twice). */
  readonly delivered: number;
  /** Messages lost: by a `drop` fault, a partition, isolation, or an absent/closed receiver. */
  readonly dropped: number;
  /** Extra copies created by a `duplicate` fault. */
  readonly duplicated: number;
}

/** Use in {@link MemoryNetwork.setLink} to mean "every node". */
export const ANY_NODE = '*';

interface Pending {
  readonly from: NodeId;
  readonly message: Message;
}

/** A process-local network; `connect(id)` hands each node its {@link Transport}. */
export class MemoryNetwork {
  readonly #clock: CompleteClock;
  readonly #random: () => number;
  readonly #endpoints = new Map<NodeId, MemoryEndpoint>();
  /** Keys `from\0to`; may use {@link ANY_NODE} on either side. */
  readonly #links = new Map<string, LinkFaults>();
  /** Directed pairs `from\0to` cut by `partition`. */
  readonly #cut = new Set<string>();
  readonly #isolated = new Set<NodeId>();
  /** One arena per receiving node: copies are cheap, and no two nodes ever share a buffer. */
  readonly #arenas = new Map<NodeId, ByteArena>();
  /** Messages due for delivery; one scheduled drain delivers them all. */
  #queue: Pending[] = [];
  /** Delivery waits for the sender's synchronous work and microtasks, not a whole turn; see {@link SoonScheduler}. */
  readonly #soon: SoonScheduler;
  #sent = 0;
  #delivered = 0;
  #dropped = 0;
  #duplicated = 0;

  /** @param options - clock and random source for faults. */
  constructor(options: MemoryNetworkOptions = {}) {
    this.#clock = completeClock(options.clock ?? systemClock);
    this.#soon = new SoonScheduler(() => this.#flush(), 8, this.#clock);
    this.#random = options.random ?? systemRandom;
  }

  /** The transport of node `id`. A closed node may connect again (a restart); two open endpoints may not share an id. */
  connect(id: NodeId): Transport {
    if (id === ANY_NODE) throw new Error(`memory network: '${ANY_NODE}' is reserved`);
    if (this.#endpoints.has(id)) throw new Error(`memory network: node ${id} is already connected`);
    const endpoint = new MemoryEndpoint(id, this.#route, this.#detach);
    this.#endpoints.set(id, endpoint);
    return endpoint;
  }

  /**
   * Sets the faults of the directed link `from → to` (either may be {@link ANY_NODE}); `null`
   * restores a perfect link. An exact link wins over `from → *`, then `* → to`, then `* → *`.
   */
  setLink(from: NodeId, to: NodeId, faults: LinkFaults | null): void {
    if (faults === null) {
      this.#links.delete(linkKey(from, to));
      return;
    }
    validateFaults(faults);
    this.#links.set(linkKey(from, to), faults);
  }

  /** Removes every link fault set with {@link setLink}. */
  clearLinks(): void {
    this.#links.clear();
  }

  /** Cuts every link between a node of `groupA` and a node of `groupB`, both ways; adds to earlier cuts. */
  partition(groupA: readonly NodeId[], groupB: readonly NodeId[]): void {
    for (const a of groupA) {
      for (const b of groupB) {
        if (a === b) continue;
        this.#cut.add(linkKey(a, b));
        this.#cut.add(linkKey(b, a));
      }
    }
  }

  /** Cuts `id` off from every other node (also ones that connect later) until {@link heal}. */
  isolate(id: NodeId): void {
    this.#isolated.add(id);
  }

  /** Removes every partition and isolation; link faults stay (see {@link clearLinks}). Messages already lost stay lost. */
  heal(): void {
    this.#cut.clear();
    this.#isolated.clear();
  }

  /** A snapshot of the counters. */
  stats(): MemoryNetworkStats {
    return { sent: this.#sent, delivered: this.#delivered, dropped: this.#dropped, duplicated: this.#duplicated };
  }

  readonly #route = (from: NodeId, messages: readonly Message[]): void => {
    const plain = this.#links.size === 0;
    for (let i = 0; i < messages.length; i++) {
      const message = messages[i]!;
      this.#sent++;
      if (this.#isCut(from, message.to)) {
        this.#dropped++;
        continue;
      }
      if (plain) {
        this.#enqueue({ from, message: this.#clone(message) }, false);
        continue;
      }
      const faults = this.#faultsOf(from, message.to);
      if (faults === undefined) {
        this.#enqueue({ from, message: this.#clone(message) }, false);
        continue;
      }
      if (faults.drop !== undefined && this.#random() < faults.drop) {
        this.#dropped++;
        continue;
      }
      this.#dispatch(from, message, faults);
      if (faults.duplicate !== undefined && this.#random() < faults.duplicate) {
        this.#duplicated++;
        this.#dispatch(from, message, faults);
      }
    }
  };

  readonly #detach = (endpoint: MemoryEndpoint): void => {
    if (this.#endpoints.get(endpoint.id) === endpoint) this.#endpoints.delete(endpoint.id);
  };

  #dispatch(from: NodeId, message: Message, faults: LinkFaults): void {
    const pending = { from, message: this.#clone(message) };
    const delay = faults.delayMs;
    if (delay === undefined) {
      this.#enqueue(pending, faults.reorder === true);
      return;
    }
    const ms = delay[0] + this.#random() * (delay[1] - delay[0]);
    this.#clock.setTimeout(() => this.#enqueue(pending, faults.reorder === true), ms);
  }

  #clone(message: Message): Message {
    if (message.entries === undefined) return { ...message };
    let arena = this.#arenas.get(message.to);
    if (arena === undefined) {
      arena = new ByteArena();
      this.#arenas.set(message.to, arena);
    }
    return cloneMessage(message, arena);
  }

  #enqueue(pending: Pending, reorder: boolean): void {
    if (reorder && this.#queue.length > 0) {
      this.#queue.splice(Math.floor(this.#random() * (this.#queue.length + 1)), 0, pending);
    } else {
      this.#queue.push(pending);
    }
    this.#soon.schedule();
  }

  readonly #flush = (): void => {
    const batch = this.#queue;
    this.#queue = [];
    let failure: unknown;
    let failed = false;
    for (let i = 0; i < batch.length; i++) {
      const { from, message } = batch[i]!;
      // Checked again on arrival: a partition that began while the message was in flight loses it.
      const endpoint = this.#endpoints.get(message.to);
      if (endpoint === undefined || this.#isCut(from, message.to)) {
        this.#dropped++;
        continue;
      }
      this.#delivered++;
      try {
        endpoint.deliver(message);
      } catch (err) {
        if (!failed) failure = err;
        failed = true;
      }
    }
    // A throwing handler is a bug in the receiver; surface it, but only after the rest arrived.
    if (failed) throw failure;
  };

  #isCut(from: NodeId, to: NodeId): boolean {
    if (this.#cut.size === 0 && this.#isolated.size === 0) return false;
    return this.#isolated.has(from) || this.#isolated.has(to) || this.#cut.has(linkKey(from, to));
  }

  #faultsOf(from: NodeId, to: NodeId): LinkFaults | undefined {
    return (
      this.#links.get(linkKey(from, to)) ??
      this.#links.get(linkKey(from, ANY_NODE)) ??
      this.#links.get(linkKey(ANY_NODE, to)) ??
      this.#links.get(linkKey(ANY_NODE, ANY_NODE))
    );
  }
}

/** One node's view of a {@link MemoryNetwork}. */
class MemoryEndpoint implements Transport {
  readonly id: NodeId;
  readonly #route: (from: NodeId, messages: readonly Message[]) => void;
  readonly #detach: (endpoint: MemoryEndpoint) => void;
  #handler: ((message: Message) => void) | undefined;
  #closed = false;

  constructor(id: NodeId, route: (from: NodeId, messages: readonly Message[]) => void, detach: (endpoint: MemoryEndpoint) => void) {
    this.id = id;
    this.#route = route;
    this.#detach = detach;
  }

  send(messages: readonly Message[]): void {
    if (this.#closed || messages.length === 0) return;
    this.#route(this.id, messages);
  }

  onMessage(handler: (message: Message) => void): void {
    this.#handler = handler;
  }

  deliver(message: Message): void {
    if (this.#closed) return;
    this.#handler?.(message);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#handler = undefined;
    this.#detach(this);
  }
}

function linkKey(from: NodeId, to: NodeId): string {
  return `${from}\u0000${to}`;
}

function validateFaults(faults: LinkFaults): void {
  for (const name of ['drop', 'duplicate'] as const) {
    const p = faults[name];
    if (p !== undefined && !(p >= 0 && p <= 1)) throw new RangeError(`memory network: ${name} must be a probability in [0, 1], got ${p}`);
  }
  const delay = faults.delayMs;
  if (delay !== undefined && !(delay[0] >= 0 && delay[1] >= delay[0])) {
    throw new RangeError(`memory network: delayMs must be [min, max] with 0 <= min <= max, got [${delay[0]}, ${delay[1]}]`);
  }
}
