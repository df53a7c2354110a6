import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ListPodSandboxStatsRequest, ListPodSandboxStatsResponseSchema, PodSandboxStatsFilter } from "../../gen/index.js";
import type { ContainerInspect } from "../../docker/index.js";
import type { RpcContext } from "../context.js";
import { extractLabels, matchesSelector } from "../translate/index.js";
import { podInterfacesMany, podSandboxStatsOf, type PodSandboxStatsShape } from "./pod-sandbox-stats-of.js";
import { prefetchUsage } from "./container-stats-of.js";
import { mapInSlices } from "../../util/map-in-slices.js";
import { isSandbox, nowNanos, runningMembers, type StatsDeps } from "./stats-deps.js";

/** ListPodSandboxStats: every ready sandbox matching the filter (id prefix, exact labels). */
export async function listPodSandboxStats(deps: StatsDeps, request: ListPodSandboxStatsRequest, ctx: RpcContext): Promise<MessageInitShape<typeof ListPodSandboxStatsResponseSchema>> {
  return { stats: await collectPodSandboxStats(deps, request.filter, ctx.signal) };
}

export async function collectPodSandboxStats(deps: StatsDeps, filter: PodSandboxStatsFilter | undefined, signal: AbortSignal): Promise<PodSandboxStatsShape[]> {
  const all = await deps.cache.all(signal);
  const members = runningMembers(all);
  const sandboxes = all
    .filter((s) => isSandbox(s) && s.state.running)
    .filter((s) => filter === undefined || ((filter.id === "" || s.id.startsWith(filter.id)) && matchesSelector(extractLabels(s.config.labels).labels, filter.labelSelector)));
  // The cgroup and /proc files are read off the event loop in batches; parsing and building go in slices, so other calls are served between them.
  // A pod with a cgroup of its own is read there; one without, as the sum of its sandbox and containers (podTotals).
  const podCgroups: string[] = [];
  const containers: ContainerInspect[] = [];
  for (const s of sandboxes) {
    const pod = deps.cgroups.pod({ cgroupParent: s.hostConfig.cgroupParent });
    if (pod === undefined) containers.push(s);
    else podCgroups.push(pod);
    containers.push(...(members.get(s.id) ?? []));
  }
  const [, interfaces] = await Promise.all([prefetchUsage(deps, containers, podCgroups), podInterfacesMany(deps, sandboxes)]);
  const timestamp = nowNanos();
  return mapInSlices(sandboxes, (s) => podSandboxStatsOf(deps, s, members.get(s.id) ?? [], timestamp, interfaces), signal);
}
