import type { NodeId } from './types.js';

/** One linearizable read waiting for a heartbeat round to confirm the leader is still the leader. */
interface PendingRead {
  readonly context: string;
  /** Commit index when the read arrived: the read is safe once applied reaches it. */
  readonly index: number;
  /** Who asked: this node (local ReadState) or a follower (readIndexResp). */
  readonly from: NodeId;
  /** One flag per voter position. */
  readonly acks: Uint8Array;
  ackCount: number;
}

/**
 * The leader's queue of ReadIndex requests (Raft thesis §6.4). Requests are confirmed in arrival
 * order: a quorum of heartbeat answers to a later request proves leadership at a moment after
 * every earlier request arrived, so all of them are released together.
 * @internal
 */
export class ReadOnlyQueue {
  readonly #queue: PendingRead[] = [];
  readonly #byContext = new Map<string, PendingRead>();
  readonly #voters: number;

  constructor(voters: number) {
    this.#voters = voters;
  }

  get size(): number {
    return this.#queue.length;
  }

  /** Adds a request; returns false for a context already pending (the first one stands). */
  add(context: string, index: number, from: NodeId, selfPosition: number): boolean {
    if (this.#byContext.has(context)) return false;
    const acks = new Uint8Array(this.#voters);
    acks[selfPosition] = 1;
    const read: PendingRead = { context, index, from, acks, ackCount: 1 };
    this.#queue.push(read);
    this.#byContext.set(context, read);
    return true;
  }

  /** The newest pending context, carried by regular heartbeats so that they confirm reads too. */
  lastContext(): string | undefined {
    const n = this.#queue.length;
    return n === 0 ? undefined : (this.#queue[n - 1] as PendingRead).context;
  }

  /**
   * Records a heartbeat answer for `context` from the voter at `position`; when that reaches
   * `quorum`, removes and returns every request up to and including it, else returns undefined.
   */
  ack(context: string, position: number, quorum: number): PendingRead[] | undefined {
    const read = this.#byContext.get(context);
    if (read === undefined) return undefined;
    if (read.acks[position] === 0) {
      read.acks[position] = 1;
      read.ackCount++;
    }
    if (read.ackCount < quorum) return undefined;
    const at = this.#queue.indexOf(read);
    const released = this.#queue.splice(0, at + 1);
    for (const r of released) this.#byContext.delete(r.context);
    return released;
  }

  clear(): void {
    this.#queue.length = 0;
    this.#byContext.clear();
  }
}
