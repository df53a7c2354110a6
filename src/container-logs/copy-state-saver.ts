import { writeCopyState, type CopyState } from "./copy-state.js";

/**
 * Saves one container's copy state: batched (once per `delayMs` at most while copying) or at once.
 * Each save writes a snapshot taken when its turn comes, and saves never overtake each other, so an
 * older snapshot cannot land after a newer one (a reopen's save after a batched one, for instance).
 */
export class CopyStateSaver {
  readonly #stateDir: string;
  readonly #delayMs: number;
  readonly #snapshot: () => CopyState;
  readonly #onError: (err: unknown) => void;
  #timer: NodeJS.Timeout | undefined;
  #chain: Promise<void> = Promise.resolve();
  #cancelled = false;

  constructor(stateDir: string, delayMs: number, snapshot: () => CopyState, onError: (err: unknown) => void) {
    this.#stateDir = stateDir;
    this.#delayMs = delayMs;
    this.#snapshot = snapshot;
    this.#onError = onError;
  }

  /** A save within the delay, unless one is already due. */
  soon(): void {
    if (this.#cancelled || this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.now(false).catch(this.#onError);
    }, this.#delayMs);
    this.#timer.unref();
  }

  /** A save after those already started; `durable` fsyncs it. */
  now(durable: boolean): Promise<void> {
    const run = this.#chain.then(() => writeCopyState(this.#stateDir, this.#snapshot(), durable));
    this.#chain = run.catch(() => undefined);
    return run;
  }

  /** No more batched saves (the last one is made with `now`). */
  cancel(): void {
    this.#cancelled = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
