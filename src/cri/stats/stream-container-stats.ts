import type { MessageInitShape } from "@bufbuild/protobuf";
import type { StreamContainerStatsRequest, StreamContainerStatsResponseSchema } from "../../gen/index.js";
import type { RpcContext } from "../context.js";
import { collectContainerStats } from "./list-container-stats.js";
import type { StatsDeps } from "./stats-deps.js";
import { batches } from "./stream-batches.js";

/** StreamContainerStats: ListContainerStats' answer (same filter) in batches, then the end of the stream. */
export async function* streamContainerStats(deps: StatsDeps, request: StreamContainerStatsRequest, ctx: RpcContext): AsyncGenerator<MessageInitShape<typeof StreamContainerStatsResponseSchema>> {
  for (const containerStats of batches(await collectContainerStats(deps, request.filter, ctx.signal))) yield { containerStats };
}
