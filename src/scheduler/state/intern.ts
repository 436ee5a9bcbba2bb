/**
 * Sharing of values that many jobs repeat, so a million jobs do not hold a million copies:
 * option sets (with their backoff) and short strings such as handler names. Interning changes
 * only memory, never what the state means, so it plays no part in hashing.
 */
import type { JobDefinition } from './commands.js';
import { JobOptions } from './records.js';

/** Option sets by value, reference-counted so a combination no job uses any more is dropped. */
export class OptionsTable {
  readonly #byKey = new Map<string, JobOptions>();
  /** Most jobs in a batch share options: comparing with the last one avoids building a key. */
  #last: JobOptions | undefined;

  /** Distinct option sets held. */
  get size(): number {
    return this.#byKey.size;
  }

  /** The shared options equal to `def`'s; the caller now holds one reference. */
  acquire(def: JobDefinition): JobOptions {
    const last = this.#last;
    if (last !== undefined && last.refs > 0 && sameOptions(last, def)) {
      last.refs++;
      return last;
    }
    const b = def.backoff;
    const key = `${def.maxAttempts}|${b.initialMs}|${b.factor}|${b.maxMs}|${b.jitter}|${def.timeoutMs}|${def.overlap}|${def.catchUp}|${def.catchUpWindowMs}`;
    let opts = this.#byKey.get(key);
    if (opts === undefined) {
      const backoff = Object.freeze({ initialMs: b.initialMs, factor: b.factor, maxMs: b.maxMs, jitter: b.jitter });
      opts = new JobOptions(key, def.maxAttempts, backoff, def.timeoutMs, def.overlap, def.catchUp, def.catchUpWindowMs);
      this.#byKey.set(key, opts);
    }
    opts.refs++;
    this.#last = opts;
    return opts;
  }

  /** Gives back one reference. */
  release(opts: JobOptions): void {
    if (--opts.refs > 0) return;
    this.#byKey.delete(opts.key);
    if (this.#last === opts) this.#last = undefined;
  }
}

/** Whether `opts` holds exactly the options of `def`. */
export function sameOptions(opts: JobOptions, def: JobDefinition): boolean {
  const a = opts.backoff;
  const b = def.backoff;
  return (
    opts.maxAttempts === def.maxAttempts &&
    opts.timeoutMs === def.timeoutMs &&
    opts.overlap === def.overlap &&
    opts.catchUp === def.catchUp &&
    opts.catchUpWindowMs === def.catchUpWindowMs &&
    a.initialMs === b.initialMs &&
    a.factor === b.factor &&
    a.maxMs === b.maxMs &&
    a.jitter === b.jitter
  );
}

/**
 * Returns one shared instance per distinct string. Strings decoded from the log are fresh
 * copies per command; handler names, node ids and zones repeat endlessly. The table stops
 * growing at `limit` entries (strings past it are kept as given), which bounds what unique
 * values such as per-job webhook URLs can pin.
 */
export class StringInterner {
  readonly #table = new Map<string, string>();
  readonly #limit: number;

  constructor(limit = 4096) {
    this.#limit = limit;
  }

  /** The shared instance equal to `value`. */
  intern<T extends string | undefined>(value: T): T {
    if (value === undefined) return value;
    const known = this.#table.get(value);
    if (known !== undefined) return known as T;
    if (this.#table.size < this.#limit) this.#table.set(value, value);
    return value;
  }
}
