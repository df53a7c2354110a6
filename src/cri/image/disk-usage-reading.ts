import type { DockerDiskUsage } from "../../docker/index.js";
import { CriError, toCriError } from "../../errors/index.js";
import { SerialRefresh } from "./serial-refresh.js";

/** One `/system/df` reading and when it was taken. */
export interface DiskUsageReading {
  readonly usage: DockerDiskUsage;
  /** Wall clock (ms since the epoch) when the read started: ImageFsInfo's timestamp. */
  readonly timestampMs: number;
}

export interface DiskUsageCacheOptions {
  /** Docker's `/system/df` (ImagesApi.diskUsage). */
  read(signal: AbortSignal): Promise<DockerDiskUsage>;
  /** Ends reads in flight when docker-cri stops. */
  readonly signal: AbortSignal;
  /** A reading older than this is answered once more while a new one is taken (default 10 s). */
  readonly refreshPeriodMs?: number;
  /** A reading older than this is never answered: the call waits for a new one (default 30 s). */
  readonly maxAgeMs?: number;
  /** Monotonic milliseconds (default performance.now); tests move it by hand. */
  readonly now?: () => number;
  readonly onError: (err: unknown) => void;
}

export const defaultDiskRefreshPeriodMs = 10_000;
export const defaultDiskMaxAgeMs = 30_000;

/**
 * ImageFsInfo's `/system/df`, which costs Docker a walk of every container's writable layer (and on
 * API < 1.42 of every volume): read on demand and answered from memory, stale-while-revalidate.
 *
 * - No reading yet, or the event stream that reports changes is down (`current` false): the call
 *   waits for a read, as it always did.
 * - The reading is older than the refresh period (10 s), or a change was reported after it started
 *   (an image event, a container created, removed or committed: markChanged): the call answers it
 *   and a new read starts in the background, for the calls after it.
 * - Older than the maximum age (30 s, a node nobody asked for a while): the call waits for a read.
 *
 * So an answer is never older than 30 s, and a change Docker reports shows from the second call
 * after it (the first starts the read); the kubelet asks every 10 s or so. Container layers grow
 * with no event: their figures are at most one refresh period behind on a node asked that often.
 * Nothing runs between calls.
 */
export class DiskUsageCache {
  readonly #opts: DiskUsageCacheOptions;
  readonly #refresh: SerialRefresh;
  readonly #now: () => number;
  #reading: (DiskUsageReading & { readonly takenAt: number; readonly mark: number }) | undefined;
  /** Changes noticed so far; a reading taken before the last one is dirty. */
  #marks = 0;
  #lastError: unknown;

  constructor(opts: DiskUsageCacheOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? (() => performance.now());
    this.#refresh = new SerialRefresh(
      () => this.#read(),
      (err) => {
        this.#lastError = err;
        opts.onError(err);
      },
    );
  }

  /** Something that changes Docker's disk usage happened (an event, a pull or removal of ours). */
  markChanged(): void {
    this.#marks++;
  }

  /** The reading to answer with; `current` says whether changes are being reported (the event stream is up). */
  async get(current: boolean, signal: AbortSignal): Promise<DiskUsageReading> {
    const r = this.#reading;
    const age = r === undefined ? Infinity : this.#now() - r.takenAt;
    if (!current || r === undefined || age > (this.#opts.maxAgeMs ?? defaultDiskMaxAgeMs)) return this.#fresh(signal);
    if ((r.mark < this.#marks || age > (this.#opts.refreshPeriodMs ?? defaultDiskRefreshPeriodMs)) && !this.#refresh.running) this.#refresh.request();
    return r;
  }

  async #fresh(signal: AbortSignal): Promise<DiskUsageReading> {
    // A read already under way started moments ago: as good as one of our own (and Docker 20.10
    // runs one /system/df at a time anyway).
    const seq = this.#refresh.inFlight ?? this.#refresh.request();
    if (await this.#refresh.settled(seq, signal)) {
      if (this.#reading !== undefined) return this.#reading;
    }
    throw this.#lastError === undefined ? new CriError("Unavailable", "Cannot read Docker's disk usage") : toCriError(this.#lastError);
  }

  async #read(): Promise<void> {
    const takenAt = this.#now();
    const timestampMs = Date.now();
    const mark = this.#marks;
    const usage = await this.#opts.read(this.#opts.signal);
    this.#reading = { usage, timestampMs, takenAt, mark };
  }
}
