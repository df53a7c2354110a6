import type { CgroupUsage } from "./cgroup-stats.js";

/** A cgroup's usage and the wall-clock time (ns) it was read at. */
export type TimedUsage = CgroupUsage & { readonly readAtNs: bigint };

export interface RecentUsageOptions {
  readonly read: (cgroup: string) => CgroupUsage | undefined;
  /** Many cgroups at once, off the event loop (CgroupReader.readUsageMany): what prefetch reads with. */
  readonly readMany?: (cgroups: readonly string[]) => Promise<ReadonlyMap<string, CgroupUsage | undefined>>;
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
 *
 * A stats call first prefetches the cgroups it will read, in one batch read off the event loop, then
 * builds its answer from the readings with read. A cgroup a batch already out is reading is waited
 * for, not read again, so the two calls arriving together read each container once between them.
 */
export class RecentUsage {
  readonly #opts: RecentUsageOptions;
  readonly #now: () => number;
  #readings = new Map<string, TimedUsage | undefined>();
  #since = -Infinity;
  /** Cgroups being read by a batch now, and that batch. */
  readonly #pending = new Map<string, Promise<void>>();

  constructor(opts: RecentUsageOptions) {
    this.#opts = opts;
    this.#now = opts.nowMs ?? Date.now;
  }

  read(cgroup: string): TimedUsage | undefined {
    const now = this.#roll();
    if (this.#readings.has(cgroup)) return this.#readings.get(cgroup);
    const usage = this.#opts.read(cgroup);
    const reading = usage === undefined ? undefined : { ...usage, readAtNs: BigInt(now) * 1_000_000n };
    this.#readings.set(cgroup, reading);
    return reading;
  }

  /**
   * Reads the cgroups not read in this window yet, in one batch (readMany), so that read then answers
   * from memory. Without readMany, or when the batch fails, read reads them itself.
   */
  async prefetch(cgroups: Iterable<string>): Promise<void> {
    const readMany = this.#opts.readMany;
    if (readMany === undefined) return;
    this.#roll();
    const waits = new Set<Promise<void>>();
    const missing: string[] = [];
    for (const cgroup of new Set(cgroups)) {
      if (this.#readings.has(cgroup)) continue;
      const pending = this.#pending.get(cgroup);
      if (pending !== undefined) waits.add(pending);
      else missing.push(cgroup);
    }
    if (missing.length > 0) {
      const batch = this.#readBatch(readMany, missing);
      for (const cgroup of missing) this.#pending.set(cgroup, batch);
      waits.add(batch);
    }
    await Promise.all(waits);
  }

  async #readBatch(readMany: NonNullable<RecentUsageOptions["readMany"]>, cgroups: readonly string[]): Promise<void> {
    try {
      const usages = await readMany(cgroups);
      const readAtNs = BigInt(this.#roll()) * 1_000_000n;
      for (const [cgroup, usage] of usages) {
        if (!this.#readings.has(cgroup)) this.#readings.set(cgroup, usage === undefined ? undefined : { ...usage, readAtNs });
      }
    } catch {
      // Nothing stored: read reads these cgroups one by one.
    } finally {
      for (const cgroup of cgroups) this.#pending.delete(cgroup);
    }
  }

  /** Starts a new window when this one has passed; now in ms. */
  #roll(): number {
    const now = this.#now();
    if (now - this.#since >= this.#opts.windowMs || now < this.#since) {
      this.#readings = new Map();
      this.#since = now;
    }
    return now;
  }

  /** Readings held now (for tests and the footprint). */
  get size(): number {
    return this.#readings.size;
  }
}
