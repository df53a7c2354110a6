import type { RuntimeService } from "../../gen/index.js";
import type { ServiceImpl } from "../service-impl.js";
import { containerStats } from "./container-stats.js";
import { listContainerStats } from "./list-container-stats.js";
import { listMetricDescriptors } from "./list-metric-descriptors.js";
import { listPodSandboxMetrics } from "./list-pod-sandbox-metrics.js";
import { listPodSandboxStats } from "./list-pod-sandbox-stats.js";
import { podSandboxStats } from "./pod-sandbox-stats.js";
import type { StatsDeps } from "./stats-deps.js";
import { streamContainerStats } from "./stream-container-stats.js";
import { streamPodSandboxMetrics } from "./stream-pod-sandbox-metrics.js";
import { streamPodSandboxStats } from "./stream-pod-sandbox-stats.js";

export type { StatsDeps } from "./stats-deps.js";
export { createStatsCollectors } from "./stats-collectors.js";
export type { StatsCollectors, StatsCollectorsOptions } from "./stats-collectors.js";

/** Container and pod stats, the cAdvisor metrics, and their Stream* variants. */
export function statsMethods(deps: StatsDeps): ServiceImpl<typeof RuntimeService> {
  return {
    containerStats: (req, ctx) => containerStats(deps, req, ctx),
    listContainerStats: (req, ctx) => listContainerStats(deps, req, ctx),
    podSandboxStats: (req, ctx) => podSandboxStats(deps, req, ctx),
    listPodSandboxStats: (req, ctx) => listPodSandboxStats(deps, req, ctx),
    listMetricDescriptors: (req, ctx) => listMetricDescriptors(deps, req, ctx),
    listPodSandboxMetrics: (req, ctx) => listPodSandboxMetrics(deps, req, ctx),
    streamContainerStats: (req, ctx) => streamContainerStats(deps, req, ctx),
    streamPodSandboxStats: (req, ctx) => streamPodSandboxStats(deps, req, ctx),
    streamPodSandboxMetrics: (req, ctx) => streamPodSandboxMetrics(deps, req, ctx),
  };
}
