import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ContainerStatsFilter, ListContainerStatsRequest, ListContainerStatsResponseSchema } from "../../gen/index.js";
import type { ContainerInspect } from "../../docker/index.js";
import type { RpcContext } from "../context.js";
import { containerCriLabels } from "../translate/container-config.js";
import { matchesSelector, sandboxIdLabel } from "../translate/index.js";
import { containerStatsOf, prefetchUsage, type ContainerStatsShape } from "./container-stats-of.js";
import { mapInSlices } from "../../util/map-in-slices.js";
import { isAppContainer, nowNanos, type StatsDeps } from "./stats-deps.js";

/**
 * ListContainerStats: every running app container matching the filter (id and sandbox id as
 * prefixes, labels exactly, all ANDed), each read from its cgroup. No Docker call while the state
 * cache is synced: that is the point of this design against cri-dockerd's one stats call per container.
 */
export async function listContainerStats(deps: StatsDeps, request: ListContainerStatsRequest, ctx: RpcContext): Promise<MessageInitShape<typeof ListContainerStatsResponseSchema>> {
  return { stats: await collectContainerStats(deps, request.filter, ctx.signal) };
}

export async function collectContainerStats(deps: StatsDeps, filter: ContainerStatsFilter | undefined, signal: AbortSignal): Promise<ContainerStatsShape[]> {
  const all = await deps.cache.all(signal);
  const running = all.filter((c) => isAppContainer(c) && c.state.running && matches(filter, c));
  // The cgroup files are read off the event loop in one batch; parsing and building go in slices, so other calls are served between them.
  await prefetchUsage(deps, running);
  const timestamp = nowNanos();
  return mapInSlices(running, (c) => containerStatsOf(deps, c, timestamp), signal);
}

function matches(filter: ContainerStatsFilter | undefined, c: ContainerInspect): boolean {
  if (filter === undefined) return true;
  if (filter.id !== "" && !c.id.startsWith(filter.id)) return false;
  if (filter.podSandboxId !== "" && !(c.config.labels[sandboxIdLabel] ?? "").startsWith(filter.podSandboxId)) return false;
  return matchesSelector(containerCriLabels(c.config.labels).labels, filter.labelSelector);
}
