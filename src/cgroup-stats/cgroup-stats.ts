import type { CounterFile, Counters } from "./counter-files.js";

/**
 * One cgroup's counters, the same shape for cgroup v1 and v2. A field is undefined when this kernel or
 * hierarchy does not expose it (no swap accounting, no pids controller, an older kernel without
 * memory.peak); the CRI and metrics layers then leave the matching field out rather than report 0.
 */
export interface CgroupStats {
  readonly cpu: CpuCounters | undefined;
  readonly memory: MemoryCounters | undefined;
  readonly pids: PidCounters | undefined;
}

export interface CpuCounters {
  /** Cumulative CPU time of every task in the cgroup, all cores, in nanoseconds. */
  readonly usageNs: bigint;
  readonly userNs: bigint | undefined;
  readonly systemNs: bigint | undefined;
  /** CFS bandwidth control: elapsed periods, periods in which the quota ran out, time spent throttled. */
  readonly periods: bigint;
  readonly throttledPeriods: bigint;
  readonly throttledNs: bigint;
}

export interface MemoryCounters {
  /** memory.usage_in_bytes (v1) / memory.current (v2): everything charged, page cache included. */
  readonly usage: bigint;
  /**
   * Usage minus inactive file pages, floored at 0: what the kubelet evicts on and what cAdvisor and
   * containerd report as the working set.
   */
  readonly workingSet: bigint;
  /** v1 max_usage_in_bytes, v2 memory.peak (kernel 5.19+). */
  readonly maxUsage: bigint | undefined;
  /** undefined when unlimited. */
  readonly limit: bigint | undefined;
  /** Anonymous memory and swap cache: v1 total_rss, v2 anon (as cAdvisor takes them). */
  readonly rss: bigint;
  /** Page cache: v1 total_cache, v2 file. */
  readonly cache: bigint;
  readonly mappedFile: bigint;
  readonly activeFile: bigint;
  readonly inactiveFile: bigint;
  readonly pageFaults: bigint;
  readonly majorPageFaults: bigint;
  /** v1 memory.failcnt, v2 the "max" count of memory.events. */
  readonly failcnt: bigint | undefined;
  /** Swap in use; undefined without swap accounting. */
  readonly swapUsage: bigint | undefined;
  /** Swap allowed on top of memory; undefined when unlimited or not accounted. */
  readonly swapLimit: bigint | undefined;
  /** Processes of the cgroup the OOM killer killed (oom_kill of memory.oom_control / memory.events). */
  readonly oomKills: bigint | undefined;
}

export interface PidCounters {
  /** Tasks (threads included) in the cgroup: pids.current. */
  readonly current: bigint;
  /** pids.max; undefined when unlimited. */
  readonly limit: bigint | undefined;
}

/**
 * What CRI's stats RPCs carry of a cgroup, a projection of CgroupStats read from fewer files (see
 * CgroupReader.readUsage): cumulative CPU time, the memory figures ContainerStats and
 * PodSandboxStats report, and the task count. A CgroupStats is a CgroupUsage.
 */
export interface CgroupUsage {
  readonly cpu: Pick<CpuCounters, "usageNs"> | undefined;
  readonly memory: MemoryUsage | undefined;
  readonly pids: Pick<PidCounters, "current"> | undefined;
  /** When it was read (wall clock, ns), if it may be older than the answer it goes into (RecentUsage). */
  readonly readAtNs?: bigint;
}

/**
 * A usage read (CgroupUsage) as the files it reads and what it makes of their values, which may come
 * from the texts (textCounters) or from a batch parsed off the event loop (slotCounters).
 */
export interface UsagePlan {
  readonly files: readonly CounterFile[];
  usage(counters: Counters): CgroupUsage;
}

/** The cumulative CPU time alone (the CPU sampler's read), from one file. */
export interface CpuPlan {
  readonly files: readonly CounterFile[];
  cpu(counters: Counters): bigint | undefined;
}

/** The memory.stat values a usage read takes (rss is v1's total_rss, v2's anon). */
export interface MemoryStatValues {
  readonly inactiveFile: bigint | undefined;
  readonly rss: bigint | undefined;
  readonly pageFaults: bigint | undefined;
  readonly majorPageFaults: bigint | undefined;
}

/** One value of a "key value" file such as memory.stat, by key: a parsed map's get, or keyValue on the text. */
export type StatOf = (key: string) => bigint | undefined;

export type MemoryUsage = Pick<MemoryCounters, "usage" | "workingSet" | "limit" | "rss" | "pageFaults" | "majorPageFaults" | "swapUsage" | "swapLimit">;

/**
 * Limits at or above this are the kernel's "unlimited" (v1 reports PAGE_COUNTER_MAX rounded to pages,
 * 9223372036854771712, not a round number); containerd and cAdvisor use the same 2^62 cut.
 */
export const unlimitedFrom = 1n << 62n;

/** Working set as cAdvisor defines it: usage minus inactive file pages, never negative. */
export function workingSetOf(usage: bigint, inactiveFile: bigint): bigint {
  return inactiveFile < usage ? usage - inactiveFile : 0n;
}
