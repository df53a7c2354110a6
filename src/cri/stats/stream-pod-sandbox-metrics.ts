import type { MessageInitShape } from "@bufbuild/protobuf";
import type { StreamPodSandboxMetricsRequest, StreamPodSandboxMetricsResponseSchema } from "../../gen/index.js";
import type { RpcContext } from "../context.js";
import { collectPodSandboxMetrics } from "./list-pod-sandbox-metrics.js";
import type { StatsDeps } from "./stats-deps.js";
import { batches } from "./stream-batches.js";

/** StreamPodSandboxMetrics: ListPodSandboxMetrics' answer in batches, then the end of the stream. */
export async function* streamPodSandboxMetrics(deps: StatsDeps, _request: StreamPodSandboxMetricsRequest, ctx: RpcContext): AsyncGenerator<MessageInitShape<typeof StreamPodSandboxMetricsResponseSchema>> {
  for (const podSandboxMetrics of batches(await collectPodSandboxMetrics(deps, ctx.signal))) yield { podSandboxMetrics };
}
