import { raceAbort } from "../../util/race-abort.js";

interface Waiter {
  readonly seq: number;
  readonly resolve: (ok: boolean) => void;
}

/**
 * Re-reads of one piece of Docker state (the image list, `/system/df`), one at a time, merged: a
 * request made while a read runs is covered by the next read, which starts when the running one
 * ends; requests made meanwhile share it. Each request gets a number, and a read covers every
 * request numbered before it started, so a caller that asks after a change it knows of (an event, a
 * pull of its own) and waits for that number gets a reading taken after the change. Reads never
 * overlap, so their results are applied in the order they started: an older reading never replaces
 * a newer one.
 *
 *   request() ─► n ──► [read covering ≤ n] ──► settled(n) resolves true
 *                          └─ fails ─► every waiting request resolves false (the caller asks Docker itself)
 *
 * A failed read does not retry on its own: the next request does. Nothing runs between requests, so
 * an idle cache costs nothing.
 */
export class SerialRefresh {
  readonly #read: () => Promise<void>;
  readonly #onError: (err: unknown) => void;
  #requested = 0;
  #succeeded = 0;
  #running = false;
  /** The request number the running read covers. */
  #cover = 0;
  #waiters: Waiter[] = [];

  /** `read` does one re-read and applies it; `onError` hears why one failed. */
  constructor(read: () => Promise<void>, onError: (err: unknown) => void) {
    this.#read = read;
    this.#onError = onError;
  }

  /** Asks for a read that starts after now; returns the request's number (for settled). */
  request(): number {
    const seq = ++this.#requested;
    this.#kick();
    return seq;
  }

  /** The newest request's number. */
  get requested(): number {
    return this.#requested;
  }

  /** True when a successful read covers every request so far. */
  get current(): boolean {
    return this.#succeeded >= this.#requested;
  }

  /** True once a successful read covers request `seq`. */
  covers(seq: number): boolean {
    return this.#succeeded >= seq;
  }

  /** True while a read runs. */
  get running(): boolean {
    return this.#running;
  }

  /** The request the running read covers (for a caller content with a read already under way), else undefined. */
  get inFlight(): number | undefined {
    return this.#running ? this.#cover : undefined;
  }

  /**
   * Resolves true once a successful read covers request `seq`, false when the read covering it
   * failed; rejects with the abort reason if `signal` fires first (the read carries on).
   */
  settled(seq: number, signal: AbortSignal): Promise<boolean> {
    if (this.#succeeded >= seq) return Promise.resolve(true);
    const done = new Promise<boolean>((resolve) => {
      this.#waiters.push({ seq, resolve });
    });
    this.#kick();
    return raceAbort(done, signal);
  }

  #kick(): void {
    if (this.#running || this.#succeeded >= this.#requested) return;
    this.#running = true;
    void this.#loop();
  }

  async #loop(): Promise<void> {
    try {
      while (this.#succeeded < this.#requested) {
        const cover = this.#requested;
        this.#cover = cover;
        try {
          await this.#read();
        } catch (err) {
          this.#onError(err);
          // Everything asked for so far failed with it: the waiters go to Docker themselves, and
          // the next request tries again.
          this.#release(this.#requested, false);
          return;
        }
        this.#succeeded = cover;
        this.#release(cover, true);
      }
    } finally {
      this.#running = false;
    }
  }

  #release(upTo: number, ok: boolean): void {
    const keep: Waiter[] = [];
    for (const w of this.#waiters) {
      if (w.seq <= upTo) w.resolve(ok);
      else keep.push(w);
    }
    this.#waiters = keep;
  }
}
