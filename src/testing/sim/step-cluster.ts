/**
 * A hand-driven cluster of {@link RaftCore}s for scripted, step-by-step tests (the shape of
 * etcd-io/raft's test network): messages queue up until a test delivers them, links can be cut,
 * nodes crashed and restarted from what they persisted. Every Ready is handled synchronously in
 * the driver's order: persist, then send, then apply, then advance.
 * @internal
 */
import { RaftCore, type RaftCoreOptions } from '../../raft/core.js';
import type { Entry, HardState, Message, MessageType, NodeId, ReadState, SoftState } from '../../raft/types.js';
import { createRandom } from './random.js';

/** Options of a {@link StepCluster}. */
export interface StepClusterOptions {
  /** Node ids (default `n1..n3`). */
  readonly ids?: readonly NodeId[];
  /** Seed for every node's election jitter (default 1). */
  readonly seed?: number;
  /** Core options applied to every node. */
  readonly core?: Partial<Omit<RaftCoreOptions, 'id' | 'voters' | 'random'>>;
}

/** What one node has durably stored. */
export interface StepStorage {
  hardState: HardState;
  entries: Entry[];
}

/** A cluster of cores driven by hand. */
export class StepCluster {
  /** Node ids, in configuration order. */
  readonly ids: readonly NodeId[];
  /** Messages sent and not yet delivered, oldest first. */
  queue: Message[] = [];
  /** Every entry each node applied, in order. */
  readonly applied = new Map<NodeId, Entry[]>();
  /** Read states each node produced. */
  readonly readStates = new Map<NodeId, ReadState[]>();
  /** Last soft state each node reported. */
  readonly softStates = new Map<NodeId, SoftState>();
  /** Durable state per node. */
  readonly storage = new Map<NodeId, StepStorage>();
  /** Every message ever sent, for assertions. */
  readonly sent: Message[] = [];

  readonly #cores = new Map<NodeId, RaftCore>();
  readonly #options: StepClusterOptions;
  readonly #cut = new Set<string>();
  readonly #ignored = new Set<MessageType>();
  readonly #down = new Set<NodeId>();
  #restarts = 0;

  constructor(options: StepClusterOptions = {}) {
    this.#options = options;
    this.ids = options.ids ?? ['n1', 'n2', 'n3'];
    for (const id of this.ids) {
      this.storage.set(id, { hardState: { term: 0, vote: null, commit: 0 }, entries: [] });
      this.applied.set(id, []);
      this.readStates.set(id, []);
      this.#start(id);
    }
  }

  /** The live core of `id` (throws when crashed). */
  core(id: NodeId): RaftCore {
    const c = this.#cores.get(id);
    if (c === undefined || this.#down.has(id)) throw new Error(`node ${id} is down`);
    return c;
  }

  /** Ticks `id` `n` times, handling Readies after each tick. */
  tick(id: NodeId, n = 1): void {
    for (let i = 0; i < n; i++) {
      this.core(id).tick();
      this.process(id);
    }
  }

  /** Ticks every live node `n` times. */
  tickAll(n = 1): void {
    for (let i = 0; i < n; i++) for (const id of this.ids) if (!this.#down.has(id)) this.tick(id);
  }

  /** Makes `id` campaign and delivers messages until the network is quiet. */
  elect(id: NodeId): void {
    this.core(id).campaign();
    this.process(id);
    this.deliverAll();
  }

  /** Proposes on `id` (returns the core's answer) and handles the Ready. */
  propose(id: NodeId, ...data: string[]): boolean {
    const ok = this.core(id).propose(data.map((d) => new TextEncoder().encode(d)));
    this.process(id);
    return ok;
  }

  /** Handles every pending Ready of `id`: persist, queue messages, record applied entries, advance. */
  process(id: NodeId): void {
    const core = this.core(id);
    const store = this.storage.get(id) as StepStorage;
    while (core.hasReady()) {
      const rd = core.ready();
      if (rd.softState) this.softStates.set(id, rd.softState);
      if (rd.hardState) store.hardState = rd.hardState;
      if (rd.entries.length > 0) {
        const first = (rd.entries[0] as Entry).index;
        store.entries.length = first - 1;
        for (const e of rd.entries) store.entries.push(e);
      }
      for (const m of rd.messages) {
        this.sent.push(m);
        this.queue.push(m);
      }
      (this.applied.get(id) as Entry[]).push(...rd.committedEntries);
      (this.readStates.get(id) as ReadState[]).push(...rd.readStates);
      core.advance(rd);
    }
  }

  /** Delivers the oldest queued message (subject to cuts, ignores and crashes); false when the queue is empty. */
  deliverOne(): boolean {
    const m = this.queue.shift();
    if (m === undefined) return false;
    if (this.#blocked(m)) return true;
    this.core(m.to).step(m);
    this.process(m.to);
    return true;
  }

  /** Delivers until no message is left (bounded, so a livelock fails loudly). */
  deliverAll(limit = 100_000): void {
    for (let i = 0; i < limit; i++) if (!this.deliverOne()) return;
    throw new Error('deliverAll: network did not quiesce');
  }

  /** Removes and returns queued messages matching `filter`, so a test can deliver them later or never. */
  take(filter: (m: Message) => boolean): Message[] {
    const taken = this.queue.filter(filter);
    this.queue = this.queue.filter((m) => !filter(m));
    return taken;
  }

  /** Delivers one specific message now. */
  deliver(m: Message): void {
    if (this.#blocked(m)) return;
    this.core(m.to).step(m);
    this.process(m.to);
  }

  /** Drops every message between `a` and `b`, both ways. */
  cut(a: NodeId, b: NodeId): void {
    this.#cut.add(`${a}>${b}`);
    this.#cut.add(`${b}>${a}`);
  }

  /** Cuts `id` from every other node. */
  isolate(id: NodeId): void {
    for (const other of this.ids) if (other !== id) this.cut(id, other);
  }

  /** Drops every message of `type`. */
  ignore(type: MessageType): void {
    this.#ignored.add(type);
  }

  /** Restores every link and stops ignoring message types. */
  heal(): void {
    this.#cut.clear();
    this.#ignored.clear();
  }

  /** Stops `id`; what it did not persist is lost (here: nothing, Readies are handled synchronously). */
  crash(id: NodeId): void {
    this.#down.add(id);
  }

  /** Restarts `id` from its storage, replaying the committed prefix into `applied`. */
  restart(id: NodeId): void {
    this.#down.delete(id);
    const store = this.storage.get(id) as StepStorage;
    this.applied.set(id, store.entries.slice(0, store.hardState.commit));
    this.#start(id);
  }

  /** The leader of the highest term among live nodes, or null. */
  leader(): NodeId | null {
    let best: NodeId | null = null;
    let bestTerm = -1;
    for (const id of this.ids) {
      if (this.#down.has(id)) continue;
      const s = this.core(id).status();
      if (s.role === 'leader' && s.term > bestTerm) {
        best = id;
        bestTerm = s.term;
      }
    }
    return best;
  }

  /** Applied entries of `id` with non-empty data, decoded as text. */
  appliedData(id: NodeId): string[] {
    const out: string[] = [];
    for (const e of this.applied.get(id) as Entry[]) if (e.data.length > 0) out.push(new TextDecoder().decode(e.data));
    return out;
  }

  #blocked(m: Message): boolean {
    return this.#down.has(m.to) || this.#down.has(m.from) || this.#ignored.has(m.type) || this.#cut.has(`${m.from}>${m.to}`);
  }

  #start(id: NodeId): void {
    const store = this.storage.get(id) as StepStorage;
    const index = this.ids.indexOf(id);
    const random = createRandom((this.#options.seed ?? 1) * 1000 + index * 31 + this.#restarts++);
    const core = new RaftCore(
      { ...this.#options.core, id, voters: this.ids, random },
      { hardState: store.hardState, entries: store.entries.slice() },
    );
    this.#cores.set(id, core);
  }
}
