import type { MessageInitShape } from "@bufbuild/protobuf";
import { CriError, hasKind } from "../../errors/index.js";
import type { ReopenContainerLogRequest, ReopenContainerLogResponseSchema } from "../../gen/index.js";
import type { RpcContext } from "../context.js";
import { containerLogPathLabel } from "../translate/index.js";
import type { ContainerDeps } from "./container-deps.js";
import { locateContainer } from "./locate-container.js";

/**
 * ReopenContainerLog: after the kubelet renamed (rotated) the log file, the log manager closes it and
 * creates a new one at the same path. CRI lets a runtime refuse for a container that is not running,
 * and then no new file may be created; that is what happens here. A running container whose copy this
 * process does not manage yet (its start was not seen since a restart) is started, which opens the
 * file anew just the same.
 */
export async function reopenContainerLog(deps: ContainerDeps, request: ReopenContainerLogRequest, ctx: RpcContext): Promise<MessageInitShape<typeof ReopenContainerLogResponseSchema>> {
  if (request.containerId === "") throw new CriError("InvalidArgument", "ReopenContainerLog needs a container_id");
  const c = await locateContainer(deps, request.containerId, ctx.signal);
  if (c === undefined) throw new CriError("NotFound", `Container "${request.containerId}" not found`);
  if (!c.state.running) throw new CriError("FailedPrecondition", `Cannot reopen the log of container "${c.id}": it is ${c.state.status}, not running`);
  const criLogPath = c.config.labels[containerLogPathLabel] ?? "";
  if (criLogPath === "") throw new CriError("FailedPrecondition", `Cannot reopen the log of container "${c.id}": it was created without a log path`);
  try {
    await deps.logs.reopen(c.id);
  } catch (err) {
    if (!hasKind(err, "NotFound") || c.logPath === "") throw err;
    await deps.logs.start(c.id, c.logPath, criLogPath);
  }
  ctx.log.info({ containerId: c.id, path: criLogPath }, "Container log reopened");
  return {};
}
