import type { MessageInitShape } from "@bufbuild/protobuf";
import type {
  StreamContainerStatsRequest,
  StreamContainerStatsResponseSchema,
  StreamPodSandboxMetricsRequest,
  StreamPodSandboxMetricsResponseSchema,
  StreamPodSandboxStatsRequest,
  StreamPodSandboxStatsResponseSchema,
} from "../../gen/index.js";
import type { RpcContext } from "../context.js";
import { collectContainerStats } from "./list-container-stats.js";
import { collectPodSandboxMetrics } from "./list-pod-sandbox-metrics.js";
import { collectPodSandboxStats } from "./list-pod-sandbox-stats.js";
import type { StatsDeps } from "./stats-deps.js";

/**
 * The Stream* variants (kubelet feature gate CRIListStreaming): the same results as the unary calls,
 * sent in batches so that no single message approaches gRPC's size limit on a full node, then EOF.
 */
const batchSize = 100;

function* batches<T>(items: readonly T[]): Generator<T[]> {
  for (let i = 0; i < items.length; i += batchSize) yield items.slice(i, i + batchSize);
}

export async function* streamContainerStats(deps: StatsDeps, request: StreamContainerStatsRequest, ctx: RpcContext): AsyncGenerator<MessageInitShape<typeof StreamContainerStatsResponseSchema>> {
  for (const containerStats of batches(await collectContainerStats(deps, request.filter, ctx.signal))) yield { containerStats };
}

export async function* streamPodSandboxStats(deps: StatsDeps, request: StreamPodSandboxStatsRequest, ctx: RpcContext): AsyncGenerator<MessageInitShape<typeof StreamPodSandboxStatsResponseSchema>> {
  for (const podSandboxStats of batches(await collectPodSandboxStats(deps, request.filter, ctx.signal))) yield { podSandboxStats };
}

export async function* streamPodSandboxMetrics(deps: StatsDeps, _request: StreamPodSandboxMetricsRequest, ctx: RpcContext): AsyncGenerator<MessageInitShape<typeof StreamPodSandboxMetricsResponseSchema>> {
  for (const podSandboxMetrics of batches(await collectPodSandboxMetrics(deps, ctx.signal))) yield { podSandboxMetrics };
}
