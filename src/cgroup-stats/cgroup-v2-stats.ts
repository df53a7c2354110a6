import { countLines, readKeyValues, readPseudoFile, readUint, type ReadPseudoFile } from "./cgroup-files.js";
import { unlimitedFrom, workingSetOf, type CgroupStats, type CpuCounters, type MemoryCounters, type MemoryStatValues, type MemoryUsage, type PidCounters, type CpuPlan, type StatOf, type UsagePlan } from "./cgroup-stats.js";
import type { CounterFile } from "./counter-files.js";

/**
 * cgroup v2 (unified) counters of one cgroup directory. cpu.stat is in microseconds; memory.stat is
 * hierarchical already. A controller not enabled for the cgroup (its files absent) reads as undefined.
 */
export function readV2Stats(dir: string, withProcesses = false, read: ReadPseudoFile = readPseudoFile): CgroupStats & { processes: number | undefined } {
  return {
    cpu: readV2Cpu(dir, read),
    memory: readV2Memory(dir, read),
    pids: readV2Pids(dir, read),
    processes: withProcesses ? countLines(`${dir}/cgroup.procs`, read) : undefined,
  };
}

/** The cumulative CPU time alone (the sampler's read): cpu.stat's usage_usec, in nanoseconds. */
export function v2CpuPlan(dir: string): CpuPlan {
  return {
    files: [{ path: `${dir}/cpu.stat`, keys: ["usage_usec"] }],
    cpu(c) {
      const usec = c.value(0, 0);
      return usec === undefined ? undefined : usec * 1000n;
    },
  };
}

/** memory.stat's keys that CRI's stats carry. */
const v2StatKeys = ["inactive_file", "anon", "pgfault", "pgmajfault"] as const;

/**
 * What CRI's stats carry (CgroupUsage), from 7 files: cpu.stat and memory.stat (keys looked up, not
 * parsed whole), memory.current, memory.max, memory.swap.current, memory.swap.max and pids.current;
 * equal to the matching fields of readV2Stats. As the files and what it makes of their values (as v1UsagePlan).
 */
export function v2UsagePlan(dir: string): UsagePlan {
  const files: CounterFile[] = [
    { path: `${dir}/cpu.stat`, keys: ["usage_usec"] },
    { path: `${dir}/pids.current` },
    { path: `${dir}/memory.current` },
    { path: `${dir}/memory.stat`, keys: v2StatKeys },
    { path: `${dir}/memory.max` },
    { path: `${dir}/memory.swap.max` },
    { path: `${dir}/memory.swap.current` },
  ];
  return {
    files,
    usage(c) {
      const usec = c.value(0, 0);
      const current = c.value(1);
      const usage = c.value(2);
      // In v2StatKeys' order.
      const stat = { inactiveFile: c.value(3, 0), rss: c.value(3, 1), pageFaults: c.value(3, 2), majorPageFaults: c.value(3, 3) };
      return {
        cpu: usec === undefined ? undefined : { usageNs: usec * 1000n },
        memory: usage === undefined || !c.readable(3) ? undefined : v2MemoryFigures(usage, c.value(4), c.value(5), c.value(6), stat),
        pids: current === undefined ? undefined : { current },
      };
    },
  };
}

function v2MemoryUsage(dir: string, read: ReadPseudoFile, usage: bigint, stat: StatOf): MemoryUsage {
  return v2MemoryFigures(usage, readUint(`${dir}/memory.max`, read), readUint(`${dir}/memory.swap.max`, read), readUint(`${dir}/memory.swap.current`, read), {
    inactiveFile: stat("inactive_file"),
    rss: stat("anon"),
    pageFaults: stat("pgfault"),
    majorPageFaults: stat("pgmajfault"),
  });
}

/** "max" reads as undefined: unlimited. */
function v2MemoryFigures(usage: bigint, limit: bigint | undefined, swapLimit: bigint | undefined, swapUsage: bigint | undefined, stat: MemoryStatValues): MemoryUsage {
  return {
    usage,
    workingSet: workingSetOf(usage, stat.inactiveFile ?? 0n),
    limit: limit === undefined || limit >= unlimitedFrom ? undefined : limit,
    rss: stat.rss ?? 0n,
    pageFaults: stat.pageFaults ?? 0n,
    majorPageFaults: stat.majorPageFaults ?? 0n,
    swapUsage,
    swapLimit: swapLimit === undefined || swapLimit >= unlimitedFrom ? undefined : swapLimit,
  };
}

function readV2Cpu(dir: string, read: ReadPseudoFile): CpuCounters | undefined {
  const stat = readKeyValues(`${dir}/cpu.stat`, read);
  const usage = stat?.get("usage_usec");
  if (stat === undefined || usage === undefined) return undefined;
  const us = (key: string): bigint | undefined => {
    const v = stat.get(key);
    return v === undefined ? undefined : v * 1000n;
  };
  return {
    usageNs: usage * 1000n,
    userNs: us("user_usec"),
    systemNs: us("system_usec"),
    periods: stat.get("nr_periods") ?? 0n,
    throttledPeriods: stat.get("nr_throttled") ?? 0n,
    throttledNs: us("throttled_usec") ?? 0n,
  };
}

function readV2Memory(dir: string, read: ReadPseudoFile): MemoryCounters | undefined {
  const usage = readUint(`${dir}/memory.current`, read);
  const stat = readKeyValues(`${dir}/memory.stat`, read);
  if (usage === undefined || stat === undefined) return undefined;
  const events = readKeyValues(`${dir}/memory.events`, read);
  return {
    ...v2MemoryUsage(dir, read, usage, (key) => stat.get(key)),
    maxUsage: readUint(`${dir}/memory.peak`, read),
    cache: stat.get("file") ?? 0n,
    mappedFile: stat.get("file_mapped") ?? 0n,
    activeFile: stat.get("active_file") ?? 0n,
    inactiveFile: stat.get("inactive_file") ?? 0n,
    failcnt: events?.get("max"),
    oomKills: events?.get("oom_kill"),
  };
}

function readV2Pids(dir: string, read: ReadPseudoFile): PidCounters | undefined {
  const current = readUint(`${dir}/pids.current`, read);
  if (current === undefined) return undefined;
  return { current, limit: readUint(`${dir}/pids.max`, read) };
}
