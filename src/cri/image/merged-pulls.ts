import { CriError } from "../../errors/index.js";

interface Running<T> {
  readonly promise: Promise<T>;
  readonly controller: AbortController;
  waiters: number;
}

/**
 * Merges concurrent operations with the same key into one (CRI-O's pull merging): the first caller
 * starts it, later callers with the same key wait on the same promise. Each caller's own signal only
 * detaches that caller; the operation is aborted when the last waiting caller has gone, so a
 * cancelled RPC never cancels work another RPC still waits for. A finished operation is forgotten at
 * once: the next call starts afresh (a pull after a pull re-checks the registry).
 */
export class SharedOperations<T> {
  readonly #running = new Map<string, Running<T>>();

  /** Keys with an operation in flight. */
  get size(): number {
    return this.#running.size;
  }

  has(key: string): boolean {
    return this.#running.has(key);
  }

  /**
   * Joins the operation running under `key`, or starts it with `start`, which receives a signal that
   * aborts when every caller has gone. Rejects with the caller's abort reason if `signal` fires first.
   */
  run(key: string, signal: AbortSignal, start: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (signal.aborted) return Promise.reject(abortReason(signal));
    const op = this.#running.get(key) ?? this.#start(key, start);
    op.waiters++;
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const onAbort = (): void => {
        if (settled) return;
        settled = true;
        op.waiters--;
        if (op.waiters === 0) {
          this.#forget(key, op);
          op.controller.abort(new CriError("Canceled", "Every caller waiting for this operation went away"));
        }
        reject(abortReason(signal));
      };
      signal.addEventListener("abort", onAbort, { once: true });
      op.promise.then(
        (value) => {
          if (settled) return;
          settled = true;
          signal.removeEventListener("abort", onAbort);
          resolve(value);
        },
        (err: unknown) => {
          if (settled) return;
          settled = true;
          signal.removeEventListener("abort", onAbort);
          reject(err instanceof Error ? err : new CriError("Internal", String(err)));
        },
      );
    });
  }

  #start(key: string, start: (signal: AbortSignal) => Promise<T>): Running<T> {
    const controller = new AbortController();
    // Through a then so that a synchronous throw in `start` becomes a rejection like any other.
    const promise = Promise.resolve().then(() => start(controller.signal));
    const op: Running<T> = { promise, controller, waiters: 0 };
    this.#running.set(key, op);
    const forget = (): void => { this.#forget(key, op); };
    // This branch handles the rejection too; each waiter gets it through its own handler.
    void promise.then(forget, forget);
    return op;
  }

  #forget(key: string, op: Running<T>): void {
    if (this.#running.get(key) === op) this.#running.delete(key);
  }
}

function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new CriError("Canceled", "The request was canceled");
}
