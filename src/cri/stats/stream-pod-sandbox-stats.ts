import type { MessageInitShape } from "@bufbuild/protobuf";
import type { StreamPodSandboxStatsRequest, StreamPodSandboxStatsResponseSchema } from "../../gen/index.js";
import type { RpcContext } from "../context.js";
import { collectPodSandboxStats } from "./list-pod-sandbox-stats.js";
import type { StatsDeps } from "./stats-deps.js";
import { batches } from "./stream-batches.js";

/** StreamPodSandboxStats: ListPodSandboxStats' answer (same filter) in batches, then the end of the stream. */
export async function* streamPodSandboxStats(deps: StatsDeps, request: StreamPodSandboxStatsRequest, ctx: RpcContext): AsyncGenerator<MessageInitShape<typeof StreamPodSandboxStatsResponseSchema>> {
  for (const podSandboxStats of batches(await collectPodSandboxStats(deps, request.filter, ctx.signal))) yield { podSandboxStats };
}
