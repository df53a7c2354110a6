import type { MessageInitShape } from "@bufbuild/protobuf";
import type { CpuUsageSchema, MemoryUsageSchema, ProcessUsageSchema, SwapUsageSchema } from "../../gen/index.js";
import type { CgroupSnapshot } from "../../stats/index.js";

type Cpu = MessageInitShape<typeof CpuUsageSchema>;
type Memory = MessageInitShape<typeof MemoryUsageSchema>;
type Swap = MessageInitShape<typeof SwapUsageSchema>;
type Process = MessageInitShape<typeof ProcessUsageSchema>;

export function cpuUsageOf(s: CgroupSnapshot, timestamp: bigint, nanoCores: bigint | undefined): Cpu | undefined {
  if (s.cpu === undefined) return undefined;
  return { timestamp, usageCoreNanoSeconds: { value: s.cpu.usageNs }, ...(nanoCores === undefined ? {} : { usageNanoCores: { value: nanoCores } }) };
}

/**
 * CRI's memory usage with containerd's and cAdvisor's definitions: working set = usage − inactive
 * file, available = limit − working set (left out when unlimited, where it means nothing), rss =
 * anonymous memory, page faults cumulative.
 */
export function memoryUsageOf(s: CgroupSnapshot, timestamp: bigint): Memory | undefined {
  const m = s.memory;
  if (m === undefined) return undefined;
  return {
    timestamp,
    workingSetBytes: { value: m.workingSet },
    ...(m.limit === undefined ? {} : { availableBytes: { value: m.limit > m.workingSet ? m.limit - m.workingSet : 0n } }),
    usageBytes: { value: m.usage },
    rssBytes: { value: m.rss },
    pageFaults: { value: m.pageFaults },
    majorPageFaults: { value: m.majorPageFaults },
  };
}

export function swapUsageOf(s: CgroupSnapshot, timestamp: bigint): Swap | undefined {
  const m = s.memory;
  if (m?.swapUsage === undefined) return undefined;
  return {
    timestamp,
    swapUsageBytes: { value: m.swapUsage },
    ...(m.swapLimit === undefined ? {} : { swapAvailableBytes: { value: m.swapLimit > m.swapUsage ? m.swapLimit - m.swapUsage : 0n } }),
  };
}

export function processUsageOf(s: CgroupSnapshot, timestamp: bigint): Process | undefined {
  return s.pids === undefined ? undefined : { timestamp, processCount: { value: s.pids.current } };
}

/** Pod totals when the pod has no cgroup of its own: the sum of its containers' cgroups. */
export function sumSnapshots(parts: readonly CgroupSnapshot[]): CgroupSnapshot | undefined {
  if (parts.length === 0) return undefined;
  const add = (pick: (s: CgroupSnapshot) => bigint | undefined): bigint | undefined => {
    let total = 0n;
    for (const p of parts) {
      const v = pick(p);
      if (v === undefined) return undefined;
      total += v;
    }
    return total;
  };
  const cpuUsage = add((p) => p.cpu?.usageNs);
  const memUsage = add((p) => p.memory?.usage);
  const pids = add((p) => p.pids?.current);
  return {
    cpu: cpuUsage === undefined ? undefined : {
      usageNs: cpuUsage,
      userNs: add((p) => p.cpu?.userNs),
      systemNs: add((p) => p.cpu?.systemNs),
      periods: add((p) => p.cpu?.periods) ?? 0n,
      throttledPeriods: add((p) => p.cpu?.throttledPeriods) ?? 0n,
      throttledNs: add((p) => p.cpu?.throttledNs) ?? 0n,
    },
    memory: memUsage === undefined ? undefined : {
      usage: memUsage,
      workingSet: add((p) => p.memory?.workingSet) ?? 0n,
      maxUsage: undefined,
      limit: undefined,
      rss: add((p) => p.memory?.rss) ?? 0n,
      cache: add((p) => p.memory?.cache) ?? 0n,
      mappedFile: add((p) => p.memory?.mappedFile) ?? 0n,
      activeFile: add((p) => p.memory?.activeFile) ?? 0n,
      inactiveFile: add((p) => p.memory?.inactiveFile) ?? 0n,
      pageFaults: add((p) => p.memory?.pageFaults) ?? 0n,
      majorPageFaults: add((p) => p.memory?.majorPageFaults) ?? 0n,
      failcnt: add((p) => p.memory?.failcnt),
      swapUsage: add((p) => p.memory?.swapUsage),
      swapLimit: undefined,
      oomKills: add((p) => p.memory?.oomKills),
    },
    pids: pids === undefined ? undefined : { current: pids, limit: undefined },
    processes: parts.every((p) => p.processes !== undefined) ? parts.reduce((n, p) => n + (p.processes ?? 0), 0) : undefined,
  };
}
