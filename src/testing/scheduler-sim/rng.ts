/**
 * Seeded draws for the firing-path simulator: one {@link Rng} per concern (workload, faults,
 * network, each node), all derived from the run's seed, so that adding a draw to one concern does
 * not reshuffle the others.
 * @internal
 */
import { createRandom } from '../sim/random.js';

/** A seeded generator with the few shapes of draw the simulator needs. */
export class Rng {
  /** The underlying uniform [0, 1) source (what schedulers and networks take). */
  readonly next: () => number;

  /**
   * @param seed - the run's seed.
   * @param stream - which concern this generator serves (mixed into the seed).
   */
  constructor(seed: number, stream: number) {
    this.next = createRandom(mix(seed, stream));
  }

  /** A whole number in `[min, max]`. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of `items` (non-empty). */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** An exponentially distributed delay with the given mean, in whole ms (at least 1). */
  exp(mean: number): number {
    return Math.max(1, Math.round(-Math.log(1 - this.next()) * mean));
  }
}

/** Mixes a seed and a stream number into one 32-bit seed (splitmix-style). */
export function mix(seed: number, stream: number): number {
  let z = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(stream + 1, 0x85ebca6b)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x7feb352d);
  z = Math.imul(z ^ (z >>> 15), 0x846ca68b);
  return (z ^ (z >>> 16)) >>> 0;
}

/** A uniform [0, 1) value from a string and the seed (FNV-1a): stable whatever the order of calls. */
export function hashUnit(seed: number, text: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 13;
  h = Math.imul(h, 0x5bd1e995);
  h ^= h >>> 15;
  return (h >>> 0) / 0x1_0000_0000;
}
