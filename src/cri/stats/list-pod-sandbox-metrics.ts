import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ListPodSandboxMetricsRequest, ListPodSandboxMetricsResponseSchema } from "../../gen/index.js";
import type { RpcContext } from "../context.js";
import { podSandboxMetricsOf, type PodSandboxMetricsShape } from "./pod-sandbox-metrics-of.js";
import { mapInSlices } from "../../util/map-in-slices.js";
import { isSandbox, runningMembers, type StatsDeps } from "./stats-deps.js";

/** ListPodSandboxMetrics: the cAdvisor series of every ready pod and its running containers. */
export async function listPodSandboxMetrics(deps: StatsDeps, _request: ListPodSandboxMetricsRequest, ctx: RpcContext): Promise<MessageInitShape<typeof ListPodSandboxMetricsResponseSchema>> {
  return { podMetrics: await collectPodSandboxMetrics(deps, ctx.signal) };
}

export async function collectPodSandboxMetrics(deps: StatsDeps, signal: AbortSignal): Promise<PodSandboxMetricsShape[]> {
  const all = await deps.cache.all(signal);
  const members = runningMembers(all);
  const nowSeconds = Math.floor(Date.now() / 1000);
  return mapInSlices(all.filter((s) => isSandbox(s) && s.state.running), (s) => podSandboxMetricsOf(deps, s, members.get(s.id) ?? [], nowSeconds), signal);
}
