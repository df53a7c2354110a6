import { clampTimerMs } from "../util/timer-limit.js";

/**
 * One call's abort signal: the caller's signal and our timeout combined, remembering which fired
 * first so a timeout is never reported as a cancellation or the other way round.
 *
 * Not AbortSignal.any + AbortSignal.timeout: on Node 20 every AbortSignal.any([long-lived]) stays
 * registered on the long-lived signal (nodejs/node#55351), so a process-wide shutdown signal passed
 * to every Docker call would grow without bound, and each AbortSignal.timeout keeps its timer until
 * it fires. Here both the listener and the timer go away in `dispose()`.
 */
export class CallDeadline {
  readonly signal: AbortSignal;
  readonly #controller = new AbortController();
  readonly #caller: AbortSignal | undefined;
  readonly #timer: NodeJS.Timeout | undefined;
  #firedBy: "caller" | "timeout" | undefined;

  constructor(caller: AbortSignal | undefined, timeoutMs: number) {
    this.signal = this.#controller.signal;
    this.#caller = caller;
    if (caller?.aborted === true) {
      this.#fire("caller", caller.reason);
      return;
    }
    caller?.addEventListener("abort", this.#onCallerAbort, { once: true });
    if (timeoutMs > 0) {
      this.#timer = setTimeout(() => {
        this.#fire("timeout", new DOMException(`The operation timed out after ${timeoutMs} ms`, "TimeoutError"));
      }, clampTimerMs(timeoutMs));
      // An idle timer must not keep a finished process alive; pending sockets already do while busy.
      this.#timer.unref();
    }
  }

  /** Which side aborted the call first, if any. */
  get firedBy(): "caller" | "timeout" | undefined {
    return this.#firedBy;
  }

  /** The caller's abort reason, when the caller aborted. */
  get callerReason(): unknown {
    const reason: unknown = this.#caller?.reason;
    return reason;
  }

  /** Stops the timer and unhooks from the caller's signal; safe to call more than once. */
  dispose(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#caller?.removeEventListener("abort", this.#onCallerAbort);
  }

  readonly #onCallerAbort = (): void => {
    this.#fire("caller", this.#caller?.reason);
  };

  #fire(by: "caller" | "timeout", reason: unknown): void {
    if (this.#firedBy !== undefined) return;
    this.#firedBy = by;
    this.dispose();
    this.#controller.abort(reason);
  }
}
