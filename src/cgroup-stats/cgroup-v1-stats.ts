import { countLines, readKeyValues, readPseudoFile, readUint, type ReadPseudoFile } from "./cgroup-files.js";
import { unlimitedFrom, workingSetOf, type CgroupStats, type CpuCounters, type MemoryCounters, type MemoryStatValues, type MemoryUsage, type PidCounters, type CpuPlan, type StatOf, type UsagePlan } from "./cgroup-stats.js";
import type { CounterFile } from "./counter-files.js";

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

/** The cumulative CPU time alone (the sampler's read): cpuacct.usage. */
export function v1CpuPlan(cpuacctDir: string): CpuPlan {
  return { files: [{ path: `${cpuacctDir}/cpuacct.usage` }], cpu: (c) => c.value(0) };
}

/** memory.stat's keys that CRI's stats carry (v1MemoryUsage's). */
const v1StatKeys = ["total_inactive_file", "total_rss", "total_pgfault", "total_pgmajfault"] as const;

/**
 * What CRI's stats carry (CgroupUsage), from 7 files: cpuacct.usage, memory.usage_in_bytes,
 * memory.stat (four keys looked up, not parsed whole), memory.limit_in_bytes, the two memsw files
 * and pids.current; equal to the matching fields of readV1Stats. As the files it reads and what it
 * makes of their values, which come from a batch parsed off the event loop (CgroupReader.readUsageMany)
 * or from the texts (CgroupReader.readUsage).
 */
export function v1UsagePlan(dirs: V1Dirs): UsagePlan {
  const files: CounterFile[] = [];
  const add = (file: CounterFile): number => files.push(file) - 1;
  const cpu = dirs.cpuacct === undefined ? -1 : add({ path: `${dirs.cpuacct}/cpuacct.usage` });
  const pids = dirs.pids === undefined ? -1 : add({ path: `${dirs.pids}/pids.current` });
  const mem = dirs.memory;
  const m = mem === undefined ? undefined : {
    usage: add({ path: `${mem}/memory.usage_in_bytes` }),
    stat: add({ path: `${mem}/memory.stat`, keys: v1StatKeys }),
    limit: add({ path: `${mem}/memory.limit_in_bytes` }),
    memsw: add({ path: `${mem}/memory.memsw.usage_in_bytes` }),
    memswLimit: add({ path: `${mem}/memory.memsw.limit_in_bytes` }),
  };
  return {
    files,
    usage(c) {
      const usageNs = cpu < 0 ? undefined : c.value(cpu);
      const current = pids < 0 ? undefined : c.value(pids);
      let memory: MemoryUsage | undefined;
      const usage = m === undefined ? undefined : c.value(m.usage);
      if (m !== undefined && usage !== undefined && c.readable(m.stat)) {
        // In v1StatKeys' order.
        const stat = { inactiveFile: c.value(m.stat, 0), rss: c.value(m.stat, 1), pageFaults: c.value(m.stat, 2), majorPageFaults: c.value(m.stat, 3) };
        memory = v1MemoryFigures(usage, c.value(m.limit), c.value(m.memsw), c.value(m.memswLimit), stat);
      }
      return { cpu: usageNs === undefined ? undefined : { usageNs }, memory, pids: current === undefined ? undefined : { current } };
    },
  };
}

function v1MemoryUsage(dir: string, read: ReadPseudoFile, usage: bigint, stat: StatOf): MemoryUsage {
  return v1MemoryFigures(usage, readUint(`${dir}/memory.limit_in_bytes`, read), readUint(`${dir}/memory.memsw.usage_in_bytes`, read), readUint(`${dir}/memory.memsw.limit_in_bytes`, read), {
    inactiveFile: stat("total_inactive_file"),
    rss: stat("total_rss"),
    pageFaults: stat("total_pgfault"),
    majorPageFaults: stat("total_pgmajfault"),
  });
}

function v1MemoryFigures(usage: bigint, limitValue: bigint | undefined, memsw: bigint | undefined, memswLimitValue: bigint | undefined, stat: MemoryStatValues): MemoryUsage {
  const limit = limited(limitValue);
  // Swap is only accounted with swapaccount=1 (the memsw files exist); memsw counts memory plus swap.
  const memswLimit = limited(memswLimitValue);
  return {
    usage,
    workingSet: workingSetOf(usage, stat.inactiveFile ?? 0n),
    limit,
    rss: stat.rss ?? 0n,
    pageFaults: stat.pageFaults ?? 0n,
    majorPageFaults: stat.majorPageFaults ?? 0n,
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
