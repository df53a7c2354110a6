import { CriError } from "../../errors/index.js";
import type { LinuxContainerResources } from "../../gen/index.js";

/** The Docker resource fields both create (in HostConfig) and update take. */
export interface DockerResources {
  CpuShares?: number;
  CpuQuota?: number;
  CpuPeriod?: number;
  CpusetCpus?: string;
  CpusetMems?: string;
  Memory?: number;
  MemorySwap?: number;
}

/**
 * LinuxContainerResources as Docker's resource fields. 0 means "not specified" in CRI and is left
 * out, which Docker reads the same way. Swap: Docker's MemorySwap is memory plus swap, and leaving it
 * out under a memory limit gives the container as much swap again; dockershim set it equal to the
 * memory limit (no swap), and so do we unless the kubelet sends its own memory+swap limit.
 *
 * Docker has no per-container hugetlb or cgroup v2 "unified" settings. The kubelet sends a zero
 * limit for every hugepage size on every container; those only repeat what the pod's cgroup (set by
 * the kubelet) already enforces, so they are accepted. A non-zero per-container limit, or any
 * unified key, cannot be honoured and is refused.
 */
export function dockerResources(res: LinuxContainerResources | undefined): DockerResources {
  if (res === undefined) return {};
  const out: DockerResources = {};
  const cpuShares = nonNegative(res.cpuShares, "cpu_shares");
  const cpuPeriod = nonNegative(res.cpuPeriod, "cpu_period");
  const memory = nonNegative(res.memoryLimitInBytes, "memory_limit_in_bytes");
  const swap = nonNegative(res.memorySwapLimitInBytes, "memory_swap_limit_in_bytes");
  // -1 is the cgroup's own spelling of "no quota".
  if (res.cpuQuota < -1n) throw invalid(`cpu_quota ${res.cpuQuota} is negative`);
  const cpuQuota = toNumber(res.cpuQuota, "cpu_quota");
  // The kernel's range (the kubelet's MinShares and MaxShares); runc refuses others, but only on update.
  if (cpuShares !== 0 && (cpuShares < 2 || cpuShares > 262144)) throw invalid(`cpu_shares ${cpuShares} is not between 2 and 262144`);
  if (cpuShares > 0) out.CpuShares = cpuShares;
  if (cpuQuota !== 0) out.CpuQuota = cpuQuota;
  if (cpuPeriod > 0) out.CpuPeriod = cpuPeriod;
  if (res.cpusetCpus !== "") out.CpusetCpus = cpuset(res.cpusetCpus, "cpuset_cpus");
  if (res.cpusetMems !== "") out.CpusetMems = cpuset(res.cpusetMems, "cpuset_mems");
  if (memory > 0) {
    out.Memory = memory;
    if (swap > 0 && swap < memory) throw invalid(`memory_swap_limit_in_bytes ${swap} is below memory_limit_in_bytes ${memory} (it counts memory plus swap)`);
    out.MemorySwap = swap > 0 ? swap : memory;
  } else if (swap > 0) {
    throw invalid("memory_swap_limit_in_bytes is set without memory_limit_in_bytes");
  }
  for (const h of res.hugepageLimits) {
    if (h.limit > 0n) throw invalid(`Docker cannot limit hugepages per container (${h.pageSize}: ${h.limit} bytes); the pod's cgroup limit applies`);
  }
  const unified = Object.keys(res.unified);
  if (unified.length > 0) throw invalid(`Docker cannot set cgroup v2 unified resources (${unified.join(", ")})`);
  return out;
}

/** oom_score_adj within the kernel's range, raised to the lowest value this host allows. */
export function dockerOomScoreAdj(res: LinuxContainerResources | undefined, minOomScoreAdj: number): number {
  const wanted = res === undefined ? 0 : toNumber(res.oomScoreAdj, "oom_score_adj");
  if (wanted < -1000 || wanted > 1000) throw invalid(`oom_score_adj ${wanted} is outside -1000..1000`);
  return Math.min(1000, Math.max(wanted, minOomScoreAdj));
}

function nonNegative(v: bigint, field: string): number {
  if (v < 0n) throw invalid(`${field} ${v} is negative`);
  return toNumber(v, field);
}

function toNumber(v: bigint, field: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) throw invalid(`${field} ${v} is out of range`);
  return Number(v);
}

/** "0-3,5": what the cgroup cpuset files take; anything else would only fail inside runc. */
function cpuset(text: string, field: string): string {
  if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(text)) throw invalid(`${field} "${text}" is not a list of numbers and ranges such as "0-2,4"`);
  return text;
}

function invalid(detail: string): CriError {
  return new CriError("InvalidArgument", `Invalid container resources: ${detail}`);
}
