import type { MessageInitShape } from "@bufbuild/protobuf";
import type { CpuUsageSchema, MemoryUsageSchema, ProcessUsageSchema, SwapUsageSchema } from "../../gen/index.js";
import type { CgroupSnapshot, CgroupUsage } from "../../cgroup-stats/index.js";
import type { StatsDeps } from "./stats-deps.js";

type Cpu = MessageInitShape<typeof CpuUsageSchema>;
type Memory = MessageInitShape<typeof MemoryUsageSchema>;
type Swap = MessageInitShape<typeof SwapUsageSchema>;
type Process = MessageInitShape<typeof ProcessUsageSchema>;

/** The time a reading was taken when it says so (a shared reading), else the answer's. */
function readAt(s: CgroupUsage, timestamp: bigint): bigint {
  return s.readAtNs ?? timestamp;
}

export function cpuUsageOf(s: CgroupUsage, answerTimestamp: bigint, nanoCores: bigint | undefined): Cpu | undefined {
  if (s.cpu === undefined) return undefined;
  const timestamp = readAt(s, answerTimestamp);
  return { timestamp, usageCoreNanoSeconds: { value: s.cpu.usageNs }, ...(nanoCores === undefined ? {} : { usageNanoCores: { value: nanoCores } }) };
}

/**
 * CRI's memory usage with containerd's and cAdvisor's definitions: working set = usage − inactive
 * file, available = limit − working set (left out when unlimited, where it means nothing), rss =
 * anonymous memory, page faults cumulative.
 */
export function memoryUsageOf(s: CgroupUsage, answerTimestamp: bigint): Memory | undefined {
  const m = s.memory;
  if (m === undefined) return undefined;
  return {
    timestamp: readAt(s, answerTimestamp),
    workingSetBytes: { value: m.workingSet },
    ...(m.limit === undefined ? {} : { availableBytes: { value: m.limit > m.workingSet ? m.limit - m.workingSet : 0n } }),
    usageBytes: { value: m.usage },
    rssBytes: { value: m.rss },
    pageFaults: { value: m.pageFaults },
    majorPageFaults: { value: m.majorPageFaults },
  };
}

export function swapUsageOf(s: CgroupUsage, answerTimestamp: bigint): Swap | undefined {
  const m = s.memory;
  if (m?.swapUsage === undefined) return undefined;
  return {
    timestamp: readAt(s, answerTimestamp),
    swapUsageBytes: { value: m.swapUsage },
    ...(m.swapLimit === undefined ? {} : { swapAvailableBytes: { value: m.swapLimit > m.swapUsage ? m.swapLimit - m.swapUsage : 0n } }),
  };
}

export function processUsageOf(s: CgroupUsage, answerTimestamp: bigint): Process | undefined {
  return s.pids === undefined ? undefined : { timestamp: readAt(s, answerTimestamp), processCount: { value: s.pids.current } };
}

/**
 * How a stats path reads a cgroup and sums a pod's containers: CRI's stats RPCs take usageRead (the
 * few files they report), the metrics RPCs fullRead (every counter, with the process count).
 */
export interface CgroupRead<S extends CgroupUsage> {
  read(deps: Pick<StatsDeps, "cgroups" | "recentUsage">, name: string): S | undefined;
  /** Pod totals when the pod has no cgroup of its own: the sum of its containers' cgroups. */
  sum(parts: readonly S[]): S | undefined;
}

export const usageRead: CgroupRead<CgroupUsage> = { read: (deps, name) => deps.recentUsage.read(name), sum: sumUsages };
export const fullRead: CgroupRead<CgroupSnapshot> = { read: (deps, name) => deps.cgroups.reader.read(name, true), sum: sumSnapshots };

/** Sums one field over the parts; undefined when any part lacks it. */
function adder<S>(parts: readonly S[]): (pick: (s: S) => bigint | undefined) => bigint | undefined {
  return (pick) => {
    let total = 0n;
    for (const p of parts) {
      const v = pick(p);
      if (v === undefined) return undefined;
      total += v;
    }
    return total;
  };
}

export function sumUsages(parts: readonly CgroupUsage[]): CgroupUsage | undefined {
  if (parts.length === 0) return undefined;
  const add = adder(parts);
  const cpuUsage = add((p) => p.cpu?.usageNs);
  const memUsage = add((p) => p.memory?.usage);
  const pids = add((p) => p.pids?.current);
  return {
    cpu: cpuUsage === undefined ? undefined : { usageNs: cpuUsage },
    memory: memUsage === undefined ? undefined : {
      usage: memUsage,
      workingSet: add((p) => p.memory?.workingSet) ?? 0n,
      limit: undefined,
      rss: add((p) => p.memory?.rss) ?? 0n,
      pageFaults: add((p) => p.memory?.pageFaults) ?? 0n,
      majorPageFaults: add((p) => p.memory?.majorPageFaults) ?? 0n,
      swapUsage: add((p) => p.memory?.swapUsage),
      swapLimit: undefined,
    },
    pids: pids === undefined ? undefined : { current: pids },
    ...oldestReading(parts),
  };
}

/** The oldest of the parts' reading times, so a sum never claims to be newer than a part. */
function oldestReading(parts: readonly CgroupUsage[]): { readAtNs?: bigint } {
  let oldest: bigint | undefined;
  for (const p of parts) if (p.readAtNs !== undefined && (oldest === undefined || p.readAtNs < oldest)) oldest = p.readAtNs;
  return oldest === undefined ? {} : { readAtNs: oldest };
}

export function sumSnapshots(parts: readonly CgroupSnapshot[]): CgroupSnapshot | undefined {
  const usage = sumUsages(parts);
  if (usage === undefined) return undefined;
  const add = adder(parts);
  return {
    cpu: usage.cpu === undefined ? undefined : {
      usageNs: usage.cpu.usageNs,
      userNs: add((p) => p.cpu?.userNs),
      systemNs: add((p) => p.cpu?.systemNs),
      periods: add((p) => p.cpu?.periods) ?? 0n,
      throttledPeriods: add((p) => p.cpu?.throttledPeriods) ?? 0n,
      throttledNs: add((p) => p.cpu?.throttledNs) ?? 0n,
    },
    memory: usage.memory === undefined ? undefined : {
      ...usage.memory,
      maxUsage: undefined,
      cache: add((p) => p.memory?.cache) ?? 0n,
      mappedFile: add((p) => p.memory?.mappedFile) ?? 0n,
      activeFile: add((p) => p.memory?.activeFile) ?? 0n,
      inactiveFile: add((p) => p.memory?.inactiveFile) ?? 0n,
      failcnt: add((p) => p.memory?.failcnt),
      oomKills: add((p) => p.memory?.oomKills),
    },
    pids: usage.pids === undefined ? undefined : { current: usage.pids.current, limit: undefined },
    processes: parts.every((p) => p.processes !== undefined) ? parts.reduce((n, p) => n + (p.processes ?? 0), 0) : undefined,
  };
}
