/**
 * The simulated network: every message gets a delay drawn per link (so messages reorder), and a
 * link may drop or duplicate messages; a partition splits nodes into groups that cannot talk.
 * @internal
 */
export interface LinkFaults {
  /** Probability that a message is lost. */
  readonly drop: number;
  /** Probability that a message is delivered twice. */
  readonly duplicate: number;
  /** Delay range in ms; a wide range reorders messages. */
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
}

/** @internal */
export class SimNetwork {
  readonly #n: number;
  readonly #clean: LinkFaults;
  readonly #links: (LinkFaults | null)[];
  readonly #groups: Int32Array;
  readonly #random: () => number;
  /** Bumped on every partition change so that a scheduled heal only undoes its own partition. */
  partitionId = 0;

  constructor(n: number, clean: LinkFaults, random: () => number) {
    this.#n = n;
    this.#clean = clean;
    this.#links = new Array<LinkFaults | null>(n * n).fill(null);
    this.#groups = new Int32Array(n);
    this.#random = random;
  }

  /** Is any partition in force? */
  get partitioned(): boolean {
    for (let i = 1; i < this.#n; i++) if (this.#groups[i] !== this.#groups[0]) return true;
    return false;
  }

  setLink(from: number, to: number, faults: LinkFaults | null): void {
    this.#links[from * this.#n + to] = faults;
  }

  /** Splits the nodes: `group[i]` is node i's side. */
  partition(group: readonly number[]): number {
    for (let i = 0; i < this.#n; i++) this.#groups[i] = group[i] ?? 0;
    return ++this.partitionId;
  }

  heal(): void {
    this.#groups.fill(0);
    this.partitionId++;
  }

  clearLinks(): void {
    this.#links.fill(null);
  }

  /**
   * Decides the fate of one message: calls `deliverAt(delay)` zero (lost), one or two
   * (duplicated) times.
   */
  route(from: number, to: number, deliverAt: (delayMs: number) => void): void {
    if (this.#groups[from] !== this.#groups[to]) return;
    const link = this.#links[from * this.#n + to] ?? this.#clean;
    const r = this.#random;
    if (link.drop > 0 && r() < link.drop) return;
    const span = link.maxDelayMs - link.minDelayMs;
    deliverAt(link.minDelayMs + Math.floor(r() * (span + 1)));
    if (link.duplicate > 0 && r() < link.duplicate) deliverAt(link.minDelayMs + Math.floor(r() * (span + 1)));
  }
}
