/**
 * The simulation trace: every event is hashed (so two runs can be compared by one value) and the
 * last few are kept as text to show what led to a violation.
 * @internal
 */
export class Trace {
  readonly #ring: string[];
  #count = 0;
  #h1 = 0x811c9dc5;
  #h2 = 0x9e3779b1;
  readonly #onLine: ((line: string) => void) | undefined;

  constructor(size: number, onLine?: (line: string) => void) {
    this.#ring = new Array<string>(Math.max(1, size));
    this.#onLine = onLine;
  }

  /** Number of lines recorded. */
  get count(): number {
    return this.#count;
  }

  add(line: string): void {
    this.#ring[this.#count % this.#ring.length] = line;
    this.#count++;
    let h1 = this.#h1;
    let h2 = this.#h2;
    for (let i = 0; i < line.length; i++) {
      const c = line.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x85ebca77) ^ (h2 >>> 15);
    }
    h1 = Math.imul(h1 ^ 10, 0x01000193);
    this.#h1 = h1;
    this.#h2 = h2;
    this.#onLine?.(line);
  }

  /** The hash of every line so far, as 16 hex digits. */
  hash(): string {
    return (this.#h1 >>> 0).toString(16).padStart(8, '0') + (this.#h2 >>> 0).toString(16).padStart(8, '0');
  }

  /** The last lines recorded, oldest first. */
  tail(): string[] {
    const n = Math.min(this.#count, this.#ring.length);
    const out: string[] = [];
    for (let i = this.#count - n; i < this.#count; i++) out.push(this.#ring[i % this.#ring.length] as string);
    return out;
  }
}
