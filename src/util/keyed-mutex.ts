import { CriError } from "../errors/index.js";

/** Gives the lock back; calling it more than once does nothing. */
export type Unlock = () => void;

interface Waiter {
  readonly grant: (unlock: Unlock) => void;
}

/**
 * One lock per key (a pod sandbox's name, a sandbox id), so that work on one pod is serialized while
 * work on different pods runs in parallel. Waiters are served in arrival order. A key with no holder
 * and no waiter takes no memory.
 */
export class KeyedMutex {
  /** Keys currently held, each with its queue of waiters. */
  readonly #queues = new Map<string, Waiter[]>();

  /**
   * Waits for `key` and returns the function that gives it back. A `signal` that aborts while
   * waiting rejects with its reason (a CriError from the gRPC boundary: Canceled or
   * DeadlineExceeded) and leaves the queue as if this caller had never come.
   */
  lock(key: string, signal?: AbortSignal): Promise<Unlock> {
    if (signal?.aborted === true) return Promise.reject(abortReason(signal));
    const queue = this.#queues.get(key);
    if (queue === undefined) {
      this.#queues.set(key, []);
      return Promise.resolve(this.#unlocker(key));
    }
    return new Promise<Unlock>((resolve, reject) => {
      const onAbort = (): void => {
        const i = queue.indexOf(waiter);
        if (i >= 0) queue.splice(i, 1);
        reject(abortReason(signal));
      };
      const waiter: Waiter = {
        grant: (unlock) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(unlock);
        },
      };
      queue.push(waiter);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Runs `fn` holding `key`; the lock is given back however `fn` ends. */
  async run<T>(key: string, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const unlock = await this.lock(key, signal);
    try {
      return await fn();
    } finally {
      unlock();
    }
  }

  /** True while someone holds `key`. */
  isLocked(key: string): boolean {
    return this.#queues.has(key);
  }

  #unlocker(key: string): Unlock {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const queue = this.#queues.get(key);
      const next = queue?.shift();
      if (next === undefined) {
        this.#queues.delete(key);
        return;
      }
      next.grant(this.#unlocker(key));
    };
  }
}

function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new CriError("Canceled", "Waiting for a lock was canceled");
}
