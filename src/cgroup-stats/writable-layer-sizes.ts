import type { Logger } from "../logger/index.js";

/** A container's writable layer size as last measured. */
export interface LayerSize {
  readonly bytes: bigint;
  /** Wall-clock nanoseconds of the measurement. */
  readonly atNs: bigint;
}

export interface WritableLayerSizesOptions {
  /** Measures every container's writable layer (Docker walks each layer's files: slow, so rarely). */
  readonly load: (signal: AbortSignal) => Promise<ReadonlyMap<string, bigint>>;
  /** Regular refresh period. */
  readonly intervalMs: number;
  /** A container seen without a size triggers an early refresh, at most this often. */
  readonly minIntervalMs: number;
  /** Bound on one refresh. */
  readonly timeoutMs: number;
  readonly log: Logger;
}

/**
 * Writable layer sizes, refreshed in the background: measuring them means walking every container's
 * upper directory, which is exactly what makes cri-dockerd's stats slow when done per call. Stats
 * report the last measurement with its own timestamp; a container created since is measured on the
 * next (early) refresh and has no size until then.
 */
export class WritableLayerSizes {
  readonly #opts: WritableLayerSizesOptions;
  #sizes: ReadonlyMap<string, bigint> = new Map();
  #atNs = 0n;
  #lastStart = 0;
  #running: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  readonly #abort = new AbortController();

  constructor(opts: WritableLayerSizesOptions) {
    this.#opts = opts;
  }

  start(): void {
    this.#stopped = false;
    this.#kick();
    this.#timer ??= setInterval(() => {
      this.#kick();
    }, this.#opts.intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#abort.abort();
    await this.#running;
  }

  /** The last measurement of `id`; a miss schedules an early refresh. */
  get(id: string): LayerSize | undefined {
    const bytes = this.#sizes.get(id);
    if (bytes === undefined) {
      if (Date.now() - this.#lastStart >= this.#opts.minIntervalMs) this.#kick();
      return undefined;
    }
    return { bytes, atNs: this.#atNs };
  }

  /** Runs a refresh now (or joins the one in flight) and waits for it; for tests and start-up. */
  async refresh(): Promise<void> {
    this.#kick();
    await this.#running;
  }

  #kick(): void {
    if (this.#running !== undefined || this.#stopped) return;
    this.#lastStart = Date.now();
    const signal = AbortSignal.any([this.#abort.signal, AbortSignal.timeout(this.#opts.timeoutMs)]);
    this.#running = this.#opts
      .load(signal)
      .then(
        (sizes) => {
          this.#sizes = sizes;
          this.#atNs = BigInt(Date.now()) * 1_000_000n;
        },
        (err: unknown) => {
          if (!this.#stopped) this.#opts.log.warn({ err }, "Cannot measure containers' writable layers; keeping the last sizes");
        },
      )
      .finally(() => {
        this.#running = undefined;
      });
  }
}
