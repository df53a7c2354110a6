import type { CgroupUsage } from "./cgroup-stats.js";

/** A cgroup's usage and the wall-clock time (ns) it was read at. */
export type TimedUsage = CgroupUsage & { readonly readAtNs: bigint };

export interface RecentUsageOptions {
  readonly read: (cgroup: string) => CgroupUsage | undefined;
  /** How long one reading answers for; 0 reads every time. */
  readonly windowMs: number;
  /** Wall-clock now in ms (tests set it). */
  readonly nowMs?: () => number;
}

/**
 * Cgroup usage readings shared by the stats calls that arrive together. The kubelet asks
 * ListContainerStats and ListPodSandboxStats in the same instant every 10 s and both read the same
 * container cgroups: a reading taken less than windowMs ago answers again, carrying the time it
 * was taken, so an answer's timestamps stay true. Readings are kept for one window only: the first
 * read after it has passed drops them all, so nothing is older than windowMs and nothing piles up.
 */
export class RecentUsage {
  readonly #opts: RecentUsageOptions;
  readonly #now: () => number;
  #readings = new Map<string, TimedUsage | undefined>();
  #since = -Infinity;

  constructor(opts: RecentUsageOptions) {
    this.#opts = opts;
    this.#now = opts.nowMs ?? Date.now;
  }

  read(cgroup: string): TimedUsage | undefined {
    const now = this.#now();
    if (now - this.#since >= this.#opts.windowMs || now < this.#since) {
      this.#readings = new Map();
      this.#since = now;
    }
    if (this.#readings.has(cgroup)) return this.#readings.get(cgroup);
    const usage = this.#opts.read(cgroup);
    const reading = usage === undefined ? undefined : { ...usage, readAtNs: BigInt(now) * 1_000_000n };
    this.#readings.set(cgroup, reading);
    return reading;
  }

  /** Readings held now (for tests and the footprint). */
  get size(): number {
    return this.#readings.size;
  }
}
