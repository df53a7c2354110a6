import type { MessageInitShape } from "@bufbuild/protobuf";
import { CriError, hasKind } from "../../errors/index.js";
import type { PodSandboxStatsRequest, PodSandboxStatsResponseSchema } from "../../gen/index.js";
import type { RpcContext } from "../context.js";
import { podSandboxStatsOf } from "./pod-sandbox-stats-of.js";
import { isSandbox, nowNanos, runningMembers, type StatsDeps } from "./stats-deps.js";

/**
 * PodSandboxStats: the pod's CPU, memory and process totals, its network namespace's interfaces and
 * its running containers' stats. An unknown id (or an app container's) is NotFound; a sandbox that
 * is not running has attributes only.
 */
export async function podSandboxStats(deps: StatsDeps, request: PodSandboxStatsRequest, ctx: RpcContext): Promise<MessageInitShape<typeof PodSandboxStatsResponseSchema>> {
  if (request.podSandboxId === "") throw new CriError("InvalidArgument", "PodSandboxStats needs a pod_sandbox_id");
  let sandbox;
  try {
    sandbox = await deps.cache.inspect(request.podSandboxId, ctx.signal);
  } catch (err) {
    if (!hasKind(err, "NotFound")) throw err;
  }
  if (sandbox === undefined || !isSandbox(sandbox)) throw new CriError("NotFound", `Pod sandbox "${request.podSandboxId}" not found`);
  const members = runningMembers(await deps.cache.all(ctx.signal)).get(sandbox.id) ?? [];
  return { stats: podSandboxStatsOf(deps, sandbox, members, nowNanos()) };
}
