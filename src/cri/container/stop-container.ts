import type { MessageInitShape } from "@bufbuild/protobuf";
import { CriError, hasKind } from "../../errors/index.js";
import type { StopContainerRequest, StopContainerResponseSchema } from "../../gen/index.js";
import type { RpcContext } from "../context.js";
import type { ContainerDeps } from "./container-deps.js";
import { flushContainerLog } from "./container-log-flush.js";
import { locateContainer } from "./locate-container.js";

/** Docker's stop takes an int32 of seconds. */
const maxTimeoutSeconds = 2 ** 31 - 1;

/**
 * StopContainer: Docker's stop sends the container's stop signal (its StopSignal, else SIGTERM) and
 * SIGKILL once `timeout` seconds have passed (0: at once). Idempotent, as the CRI validation suite
 * checks: an unknown, removed or already stopped container is success.
 */
export async function stopContainer(deps: ContainerDeps, request: StopContainerRequest, ctx: RpcContext): Promise<MessageInitShape<typeof StopContainerResponseSchema>> {
  if (request.containerId === "") throw new CriError("InvalidArgument", "StopContainer needs a container_id");
  const c = await locateContainer(deps, request.containerId, ctx.signal, { fresh: true });
  if (c === undefined) {
    ctx.log.debug("No such container; nothing to stop");
    return {};
  }
  const timeout = request.timeout <= 0n ? 0 : Number(request.timeout > BigInt(maxTimeoutSeconds) ? BigInt(maxTimeoutSeconds) : request.timeout);
  if (c.state.running) {
    await deps.containers.stop(c.id, timeout, ctx.signal).catch((err: unknown) => {
      if (!hasKind(err, "NotFound")) throw err;
    });
    ctx.log.info({ containerId: c.id, timeoutSeconds: timeout }, "Container stopped");
  }
  await flushContainerLog(deps, c.id, ctx.log);
  return {};
}
