import { CriError } from "../../errors/index.js";

/**
 * An append-only log of the last `capacity` items with sequence numbers, read by any number of
 * cursors. Appending never waits for a reader: a reader that falls more than `capacity` items behind
 * has lost items and is told so (ResourceExhausted), so one slow subscriber costs the others nothing
 * and memory stays bounded.
 */
export class EventLog<T> {
  readonly #capacity: number;
  readonly #ring: ({ item: T; atMs: number } | undefined)[];
  #next = 0;
  #closed = false;
  #wake: (() => void)[] = [];

  constructor(capacity: number) {
    this.#capacity = capacity;
    this.#ring = new Array<{ item: T; atMs: number } | undefined>(capacity);
  }

  /** Sequence number the next item will get. */
  get next(): number {
    return this.#next;
  }

  /** The oldest sequence number still held. */
  get oldest(): number {
    return Math.max(0, this.#next - this.#capacity);
  }

  append(item: T): void {
    if (this.#closed) return;
    this.#ring[this.#next % this.#capacity] = { item, atMs: Date.now() };
    this.#next++;
    this.#notify();
  }

  /** The first held sequence number appended at or after `sinceMs` (the start of a replay). */
  firstSince(sinceMs: number): number {
    for (let seq = this.oldest; seq < this.#next; seq++) {
      const slot = this.#ring[seq % this.#capacity];
      if (slot !== undefined && slot.atMs >= sinceMs) return seq;
    }
    return this.#next;
  }

  /** Ends every reader (daemon shutdown). */
  close(): void {
    this.#closed = true;
    this.#notify();
  }

  /**
   * Items from `from` on, then each new one as it is appended, until the log closes or `signal`
   * aborts (both end the iteration normally).
   */
  async *read(from: number, signal: AbortSignal, what: string): AsyncGenerator<T, void, undefined> {
    let cursor = from;
    for (;;) {
      if (this.#closed || signal.aborted) return;
      if (cursor < this.oldest) {
        throw new CriError("ResourceExhausted", `${what} fell ${this.#next - cursor} events behind (more than ${this.#capacity} unread) and missed some; subscribe again to resume`);
      }
      if (cursor < this.#next) {
        const slot = this.#ring[cursor % this.#capacity];
        cursor++;
        if (slot !== undefined) yield slot.item;
        continue;
      }
      await this.#waitForMore(signal);
    }
  }

  #waitForMore(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        signal.removeEventListener("abort", done);
        resolve();
      };
      signal.addEventListener("abort", done, { once: true });
      this.#wake.push(done);
    });
  }

  #notify(): void {
    const waiting = this.#wake;
    this.#wake = [];
    for (const wake of waiting) wake();
  }
}
