import { join } from "node:path";
import { countLines, readKeyValues, readUint } from "./cgroup-files.js";
import { unlimitedFrom, workingSetOf, type CgroupStats, type CpuCounters, type MemoryCounters, type PidCounters } from "./cgroup-stats.js";

/**
 * cgroup v2 (unified) counters of one cgroup directory. cpu.stat is in microseconds; memory.stat is
 * hierarchical already. A controller not enabled for the cgroup (its files absent) reads as undefined.
 */
export function readV2Stats(dir: string, withProcesses = false): CgroupStats & { processes: number | undefined } {
  return {
    cpu: readV2Cpu(dir),
    memory: readV2Memory(dir),
    pids: readV2Pids(dir),
    processes: withProcesses ? countLines(join(dir, "cgroup.procs")) : undefined,
  };
}

export function readV2CpuUsage(dir: string): bigint | undefined {
  const usec = readKeyValues(join(dir, "cpu.stat"))?.get("usage_usec");
  return usec === undefined ? undefined : usec * 1000n;
}

function readV2Cpu(dir: string): CpuCounters | undefined {
  const stat = readKeyValues(join(dir, "cpu.stat"));
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

function readV2Memory(dir: string): MemoryCounters | undefined {
  const usage = readUint(join(dir, "memory.current"));
  const stat = readKeyValues(join(dir, "memory.stat"));
  if (usage === undefined || stat === undefined) return undefined;
  const inactiveFile = stat.get("inactive_file") ?? 0n;
  const events = readKeyValues(join(dir, "memory.events"));
  // "max" reads as undefined: unlimited.
  const limit = readUint(join(dir, "memory.max"));
  const swapLimit = readUint(join(dir, "memory.swap.max"));
  return {
    usage,
    workingSet: workingSetOf(usage, inactiveFile),
    maxUsage: readUint(join(dir, "memory.peak")),
    limit: limit === undefined || limit >= unlimitedFrom ? undefined : limit,
    rss: stat.get("anon") ?? 0n,
    cache: stat.get("file") ?? 0n,
    mappedFile: stat.get("file_mapped") ?? 0n,
    activeFile: stat.get("active_file") ?? 0n,
    inactiveFile,
    pageFaults: stat.get("pgfault") ?? 0n,
    majorPageFaults: stat.get("pgmajfault") ?? 0n,
    failcnt: events?.get("max"),
    swapUsage: readUint(join(dir, "memory.swap.current")),
    swapLimit: swapLimit === undefined || swapLimit >= unlimitedFrom ? undefined : swapLimit,
    oomKills: events?.get("oom_kill"),
  };
}

function readV2Pids(dir: string): PidCounters | undefined {
  const current = readUint(join(dir, "pids.current"));
  if (current === undefined) return undefined;
  return { current, limit: readUint(join(dir, "pids.max")) };
}
