import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ListPodSandboxStatsRequest, ListPodSandboxStatsResponseSchema, PodSandboxStatsFilter } from "../../gen/index.js";
import type { RpcContext } from "../context.js";
import { extractLabels, matchesSelector } from "../translate/index.js";
import { podSandboxStatsOf, type PodSandboxStatsShape } from "./pod-sandbox-stats-of.js";
import { mapInSlices } from "../../util/map-in-slices.js";
import { isSandbox, nowNanos, runningMembers, type StatsDeps } from "./stats-deps.js";

/** ListPodSandboxStats: every ready sandbox matching the filter (id prefix, exact labels). */
export async function listPodSandboxStats(deps: StatsDeps, request: ListPodSandboxStatsRequest, ctx: RpcContext): Promise<MessageInitShape<typeof ListPodSandboxStatsResponseSchema>> {
  return { stats: await collectPodSandboxStats(deps, request.filter, ctx.signal) };
}

export async function collectPodSandboxStats(deps: StatsDeps, filter: PodSandboxStatsFilter | undefined, signal: AbortSignal): Promise<PodSandboxStatsShape[]> {
  const all = await deps.cache.all(signal);
  const members = runningMembers(all);
  const timestamp = nowNanos();
  const sandboxes = all
    .filter((s) => isSandbox(s) && s.state.running)
    .filter((s) => filter === undefined || ((filter.id === "" || s.id.startsWith(filter.id)) && matchesSelector(extractLabels(s.config.labels).labels, filter.labelSelector)));
  // Synchronous cgroup and /proc reads per pod: in slices, so other calls are served between them.
  return mapInSlices(sandboxes, (s) => podSandboxStatsOf(deps, s, members.get(s.id) ?? [], timestamp), signal);
}
