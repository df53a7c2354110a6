import { countLines, keyValue, readKeyValues, readPseudoFile, readUint, type ReadPseudoFile } from "./cgroup-files.js";
import { unlimitedFrom, workingSetOf, type CgroupStats, type CgroupUsage, type CpuCounters, type MemoryCounters, type MemoryUsage, type PidCounters, type StatOf } from "./cgroup-stats.js";

/** The directory of one cgroup in each v1 controller's hierarchy; undefined when not mounted. */
export interface V1Dirs {
  readonly cpuacct: string | undefined;
  readonly cpu: string | undefined;
  readonly memory: string | undefined;
  readonly pids: string | undefined;
}

/** cpuacct.stat counts in USER_HZ, which is 100 on every Linux architecture Docker runs on. */
const nsPerUserHzTick = 10_000_000n;

/**
 * cgroup v1 counters. memory.stat's `total_*` keys are used rather than the local ones so that a pod
 * cgroup (a parent) counts its children, exactly as the kernel's own usage_in_bytes does.
 */
export function readV1Stats(dirs: V1Dirs, withProcesses = false, read: ReadPseudoFile = readPseudoFile): CgroupStats & { processes: number | undefined } {
  return {
    cpu: dirs.cpuacct === undefined ? undefined : readV1Cpu(dirs.cpuacct, dirs.cpu, read),
    memory: dirs.memory === undefined ? undefined : readV1Memory(dirs.memory, read),
    pids: dirs.pids === undefined ? undefined : readV1Pids(dirs.pids, read),
    processes: withProcesses ? countLines(`${dirs.pids ?? dirs.memory ?? dirs.cpuacct ?? "/nonexistent"}/cgroup.procs`, read) : undefined,
  };
}

export function readV1CpuUsage(cpuacctDir: string, read: ReadPseudoFile = readPseudoFile): bigint | undefined {
  return readUint(`${cpuacctDir}/cpuacct.usage`, read);
}

/**
 * What CRI's stats carry (CgroupUsage), from 7 files: cpuacct.usage, memory.usage_in_bytes,
 * memory.stat (four keys looked up, not parsed whole), memory.limit_in_bytes, the two memsw files
 * and pids.current. Equal to the matching fields of readV1Stats.
 */
export function readV1Usage(dirs: V1Dirs, read: ReadPseudoFile = readPseudoFile): CgroupUsage {
  const usageNs = dirs.cpuacct === undefined ? undefined : readV1CpuUsage(dirs.cpuacct, read);
  const current = dirs.pids === undefined ? undefined : readUint(`${dirs.pids}/pids.current`, read);
  let memory: MemoryUsage | undefined;
  if (dirs.memory !== undefined) {
    const usage = readUint(`${dirs.memory}/memory.usage_in_bytes`, read);
    const stat = read(`${dirs.memory}/memory.stat`);
    if (usage !== undefined && stat !== undefined) memory = v1MemoryUsage(dirs.memory, read, usage, (key) => keyValue(stat, key));
  }
  return { cpu: usageNs === undefined ? undefined : { usageNs }, memory, pids: current === undefined ? undefined : { current } };
}

/** The files readV1Usage reads, for reading them ahead in one batch. */
export function v1UsageFiles(dirs: V1Dirs): string[] {
  const out: string[] = [];
  if (dirs.cpuacct !== undefined) out.push(`${dirs.cpuacct}/cpuacct.usage`);
  if (dirs.pids !== undefined) out.push(`${dirs.pids}/pids.current`);
  if (dirs.memory !== undefined) {
    for (const f of ["memory.usage_in_bytes", "memory.stat", "memory.limit_in_bytes", "memory.memsw.usage_in_bytes", "memory.memsw.limit_in_bytes"]) out.push(`${dirs.memory}/${f}`);
  }
  return out;
}

function v1MemoryUsage(dir: string, read: ReadPseudoFile, usage: bigint, stat: StatOf): MemoryUsage {
  const limit = limited(readUint(`${dir}/memory.limit_in_bytes`, read));
  // Swap is only accounted with swapaccount=1 (the memsw files exist); memsw counts memory plus swap.
  const memsw = readUint(`${dir}/memory.memsw.usage_in_bytes`, read);
  const memswLimit = limited(readUint(`${dir}/memory.memsw.limit_in_bytes`, read));
  return {
    usage,
    workingSet: workingSetOf(usage, stat("total_inactive_file") ?? 0n),
    limit,
    rss: stat("total_rss") ?? 0n,
    pageFaults: stat("total_pgfault") ?? 0n,
    majorPageFaults: stat("total_pgmajfault") ?? 0n,
    swapUsage: memsw === undefined ? undefined : memsw > usage ? memsw - usage : 0n,
    swapLimit: memswLimit === undefined || limit === undefined ? undefined : memswLimit > limit ? memswLimit - limit : 0n,
  };
}

function readV1Cpu(cpuacct: string, cpu: string | undefined, read: ReadPseudoFile): CpuCounters | undefined {
  const usageNs = readV1CpuUsage(cpuacct, read);
  if (usageNs === undefined) return undefined;
  const times = readKeyValues(`${cpuacct}/cpuacct.stat`, read);
  const user = times?.get("user");
  const system = times?.get("system");
  const throttling = cpu === undefined ? undefined : readKeyValues(`${cpu}/cpu.stat`, read);
  return {
    usageNs,
    userNs: user === undefined ? undefined : user * nsPerUserHzTick,
    systemNs: system === undefined ? undefined : system * nsPerUserHzTick,
    periods: throttling?.get("nr_periods") ?? 0n,
    throttledPeriods: throttling?.get("nr_throttled") ?? 0n,
    throttledNs: throttling?.get("throttled_time") ?? 0n,
  };
}

function readV1Memory(dir: string, read: ReadPseudoFile): MemoryCounters | undefined {
  const usage = readUint(`${dir}/memory.usage_in_bytes`, read);
  const stat = readKeyValues(`${dir}/memory.stat`, read);
  if (usage === undefined || stat === undefined) return undefined;
  const oom = readKeyValues(`${dir}/memory.oom_control`, read);
  return {
    ...v1MemoryUsage(dir, read, usage, (key) => stat.get(key)),
    maxUsage: readUint(`${dir}/memory.max_usage_in_bytes`, read),
    cache: stat.get("total_cache") ?? 0n,
    mappedFile: stat.get("total_mapped_file") ?? 0n,
    activeFile: stat.get("total_active_file") ?? 0n,
    inactiveFile: stat.get("total_inactive_file") ?? 0n,
    failcnt: readUint(`${dir}/memory.failcnt`, read),
    // Kernels before 4.13 have no oom_kill line.
    oomKills: oom?.get("oom_kill"),
  };
}

function readV1Pids(dir: string, read: ReadPseudoFile): PidCounters | undefined {
  const current = readUint(`${dir}/pids.current`, read);
  if (current === undefined) return undefined;
  return { current, limit: readUint(`${dir}/pids.max`, read) };
}

function limited(v: bigint | undefined): bigint | undefined {
  return v === undefined || v >= unlimitedFrom ? undefined : v;
}
