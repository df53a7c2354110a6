import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ContainerInspect } from "../../docker/index.js";
import { CriError, hasKind } from "../../errors/index.js";
import type { ContainerStatsRequest, ContainerStatsResponseSchema } from "../../gen/index.js";
import type { RpcContext } from "../context.js";
import { containerStatsOf } from "./container-stats-of.js";
import { isAppContainer, nowNanos, type StatsDeps } from "./stats-deps.js";

/** ContainerStats of one app container (by id or unique prefix); unknown, or a sandbox, is NotFound. */
export async function containerStats(deps: StatsDeps, request: ContainerStatsRequest, ctx: RpcContext): Promise<MessageInitShape<typeof ContainerStatsResponseSchema>> {
  if (request.containerId === "") throw new CriError("InvalidArgument", "ContainerStats needs a container_id");
  const c = await findApp(deps, request.containerId, ctx.signal);
  if (c === undefined) throw new CriError("NotFound", `Container "${request.containerId}" not found`);
  return { stats: containerStatsOf(deps, c, nowNanos()) };
}

async function findApp(deps: Pick<StatsDeps, "cache">, id: string, signal: AbortSignal): Promise<ContainerInspect | undefined> {
  try {
    const c = await deps.cache.inspect(id, signal);
    return isAppContainer(c) ? c : undefined;
  } catch (err) {
    if (hasKind(err, "NotFound")) return undefined;
    throw err;
  }
}
