import { countLines, keyValue, readKeyValues, readPseudoFile, readUint, type ReadPseudoFile } from "./cgroup-files.js";
import { unlimitedFrom, workingSetOf, type CgroupStats, type CgroupUsage, type CpuCounters, type MemoryCounters, type MemoryUsage, type PidCounters, type StatOf } from "./cgroup-stats.js";

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

export function readV2CpuUsage(dir: string, read: ReadPseudoFile = readPseudoFile): bigint | undefined {
  const usec = readKeyValues(`${dir}/cpu.stat`, read)?.get("usage_usec");
  return usec === undefined ? undefined : usec * 1000n;
}

/**
 * What CRI's stats carry (CgroupUsage), from 7 files: cpu.stat and memory.stat (keys looked up, not
 * parsed whole), memory.current, memory.max, memory.swap.current, memory.swap.max and pids.current.
 * Equal to the matching fields of readV2Stats.
 */
export function readV2Usage(dir: string, read: ReadPseudoFile = readPseudoFile): CgroupUsage {
  const cpuStat = read(`${dir}/cpu.stat`);
  const usec = cpuStat === undefined ? undefined : keyValue(cpuStat, "usage_usec");
  const current = readUint(`${dir}/pids.current`, read);
  const usage = readUint(`${dir}/memory.current`, read);
  const stat = read(`${dir}/memory.stat`);
  return {
    cpu: usec === undefined ? undefined : { usageNs: usec * 1000n },
    memory: usage === undefined || stat === undefined ? undefined : v2MemoryUsage(dir, read, usage, (key) => keyValue(stat, key)),
    pids: current === undefined ? undefined : { current },
  };
}

/** The files readV2Usage reads, for reading them ahead in one batch. */
export function v2UsageFiles(dir: string): string[] {
  return ["cpu.stat", "pids.current", "memory.current", "memory.stat", "memory.max", "memory.swap.max", "memory.swap.current"].map((f) => `${dir}/${f}`);
}

function v2MemoryUsage(dir: string, read: ReadPseudoFile, usage: bigint, stat: StatOf): MemoryUsage {
  // "max" reads as undefined: unlimited.
  const limit = readUint(`${dir}/memory.max`, read);
  const swapLimit = readUint(`${dir}/memory.swap.max`, read);
  return {
    usage,
    workingSet: workingSetOf(usage, stat("inactive_file") ?? 0n),
    limit: limit === undefined || limit >= unlimitedFrom ? undefined : limit,
    rss: stat("anon") ?? 0n,
    pageFaults: stat("pgfault") ?? 0n,
    majorPageFaults: stat("pgmajfault") ?? 0n,
    swapUsage: readUint(`${dir}/memory.swap.current`, read),
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
