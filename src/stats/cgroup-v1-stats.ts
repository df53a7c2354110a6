import { join } from "node:path";
import { countLines, readKeyValues, readUint } from "./cgroup-files.js";
import { unlimitedFrom, workingSetOf, type CgroupStats, type CpuCounters, type MemoryCounters, type PidCounters } from "./cgroup-stats.js";

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
export function readV1Stats(dirs: V1Dirs, withProcesses = false): CgroupStats & { processes: number | undefined } {
  return {
    cpu: dirs.cpuacct === undefined ? undefined : readV1Cpu(dirs.cpuacct, dirs.cpu),
    memory: dirs.memory === undefined ? undefined : readV1Memory(dirs.memory),
    pids: dirs.pids === undefined ? undefined : readV1Pids(dirs.pids),
    processes: withProcesses ? countLines(join(dirs.pids ?? dirs.memory ?? dirs.cpuacct ?? "/nonexistent", "cgroup.procs")) : undefined,
  };
}

export function readV1CpuUsage(cpuacctDir: string): bigint | undefined {
  return readUint(join(cpuacctDir, "cpuacct.usage"));
}

function readV1Cpu(cpuacct: string, cpu: string | undefined): CpuCounters | undefined {
  const usageNs = readV1CpuUsage(cpuacct);
  if (usageNs === undefined) return undefined;
  const times = readKeyValues(join(cpuacct, "cpuacct.stat"));
  const user = times?.get("user");
  const system = times?.get("system");
  const throttling = cpu === undefined ? undefined : readKeyValues(join(cpu, "cpu.stat"));
  return {
    usageNs,
    userNs: user === undefined ? undefined : user * nsPerUserHzTick,
    systemNs: system === undefined ? undefined : system * nsPerUserHzTick,
    periods: throttling?.get("nr_periods") ?? 0n,
    throttledPeriods: throttling?.get("nr_throttled") ?? 0n,
    throttledNs: throttling?.get("throttled_time") ?? 0n,
  };
}

function readV1Memory(dir: string): MemoryCounters | undefined {
  const usage = readUint(join(dir, "memory.usage_in_bytes"));
  const stat = readKeyValues(join(dir, "memory.stat"));
  if (usage === undefined || stat === undefined) return undefined;
  const limit = limited(readUint(join(dir, "memory.limit_in_bytes")));
  const inactiveFile = stat.get("total_inactive_file") ?? 0n;
  // Swap is only accounted with swapaccount=1 (the memsw files exist); memsw counts memory plus swap.
  const memsw = readUint(join(dir, "memory.memsw.usage_in_bytes"));
  const memswLimit = limited(readUint(join(dir, "memory.memsw.limit_in_bytes")));
  const oom = readKeyValues(join(dir, "memory.oom_control"));
  return {
    usage,
    workingSet: workingSetOf(usage, inactiveFile),
    maxUsage: readUint(join(dir, "memory.max_usage_in_bytes")),
    limit,
    rss: stat.get("total_rss") ?? 0n,
    cache: stat.get("total_cache") ?? 0n,
    mappedFile: stat.get("total_mapped_file") ?? 0n,
    activeFile: stat.get("total_active_file") ?? 0n,
    inactiveFile,
    pageFaults: stat.get("total_pgfault") ?? 0n,
    majorPageFaults: stat.get("total_pgmajfault") ?? 0n,
    failcnt: readUint(join(dir, "memory.failcnt")),
    swapUsage: memsw === undefined ? undefined : memsw > usage ? memsw - usage : 0n,
    swapLimit: memswLimit === undefined || limit === undefined ? undefined : memswLimit > limit ? memswLimit - limit : 0n,
    // Kernels before 4.13 have no oom_kill line.
    oomKills: oom?.get("oom_kill"),
  };
}

function readV1Pids(dir: string): PidCounters | undefined {
  const current = readUint(join(dir, "pids.current"));
  if (current === undefined) return undefined;
  return { current, limit: readUint(join(dir, "pids.max")) };
}

function limited(v: bigint | undefined): bigint | undefined {
  return v === undefined || v >= unlimitedFrom ? undefined : v;
}
