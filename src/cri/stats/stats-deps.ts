import type { ContainerInspect } from "../../docker/index.js";
import type { StateCache } from "../../state-cache/index.js";
import type { CgroupLocator, CpuSampler, ReadFiles, RecentUsage, WritableLayerSizes } from "../../cgroup-stats/index.js";
import { containerTypeContainer, containerTypeLabel, containerTypeSandbox, sandboxIdLabel } from "../translate/index.js";

/** Everything the stats and metrics RPCs need; none of it calls Docker while the cache is synced. */
export interface StatsDeps {
  /** Which containers exist (Docker list + inspect only while the cache is not synced). */
  readonly cache: Pick<StateCache, "all" | "inspect">;
  readonly cgroups: CgroupLocator;
  /** The stats RPCs' cgroup usage readings, shared between calls that arrive together. */
  readonly recentUsage: Pick<RecentUsage, "read" | "prefetch">;
  /** usage_nano_cores per container id and per "pod:<sandbox id>". */
  readonly sampler: Pick<CpuSampler, "nanoCores">;
  readonly layers: Pick<WritableLayerSizes, "get">;
  /** The filesystem holding the writable layers (as ImageFsInfo reports it). */
  readonly dockerRootDir: string;
  readonly procRoot: string;
  /** The read-files addon, for the /proc reads of many pods at once off the event loop; undefined without it. */
  readonly readFiles: ReadFiles | undefined;
}

/** The sampler's key for a pod's own cgroup. */
export function podSampleKey(sandboxId: string): string {
  return `pod:${sandboxId}`;
}

export function isSandbox(c: ContainerInspect): boolean {
  return c.config.labels[containerTypeLabel] === containerTypeSandbox;
}

export function isAppContainer(c: ContainerInspect): boolean {
  return c.config.labels[containerTypeLabel] === containerTypeContainer;
}

/** The running app containers of each sandbox id. */
export function runningMembers(all: readonly ContainerInspect[]): Map<string, ContainerInspect[]> {
  const out = new Map<string, ContainerInspect[]>();
  for (const c of all) {
    if (!isAppContainer(c) || !c.state.running) continue;
    const sid = c.config.labels[sandboxIdLabel] ?? "";
    const list = out.get(sid);
    if (list === undefined) out.set(sid, [c]);
    else list.push(c);
  }
  return out;
}

/** Wall-clock now in nanoseconds, the CRI timestamps' unit. */
export function nowNanos(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}
