import type { MessageInitShape } from "@bufbuild/protobuf";
import { CriError, errorMessage, hasKind } from "../../errors/index.js";
import type { RemoveContainerRequest, RemoveContainerResponseSchema } from "../../gen/index.js";
import type { Logger } from "../../logger/index.js";
import type { RpcContext } from "../context.js";
import type { ContainerDeps } from "./container-deps.js";
import { flushContainerLog } from "./container-log-flush.js";
import { locateContainer } from "./locate-container.js";

const fullId = /^[0-9a-f]{64}$/;

/** RemoveContainer: force-removes the container and ends its log copy. Idempotent. */
export async function removeContainer(deps: ContainerDeps, request: RemoveContainerRequest, ctx: RpcContext): Promise<MessageInitShape<typeof RemoveContainerResponseSchema>> {
  if (request.containerId === "") throw new CriError("InvalidArgument", "RemoveContainer needs a container_id");
  await removeAppContainer(deps, request.containerId, ctx.signal, ctx.log);
  return {};
}

/**
 * Removes an app container, the path RemovePodSandbox also takes for the pod's containers:
 * a running one is killed first so that the log manager can copy its last output before Docker
 * deletes the json-file log with the container; then Docker's forced removal (with its anonymous
 * volumes); then the log manager forgets it (the kubelet's log file stays, the kubelet owns it).
 * Gone already is success; a full id Docker no longer knows still has its log bookkeeping dropped.
 */
export async function removeAppContainer(deps: ContainerDeps, id: string, signal: AbortSignal, log: Logger): Promise<void> {
  const c = await locateContainer(deps, id, signal, { fresh: true });
  if (c === undefined) {
    if (fullId.test(id)) await forget(deps, id, log);
    log.debug({ containerId: id }, "No such container; nothing to remove");
    return;
  }
  if (c.state.running) {
    await deps.containers.stop(c.id, 0, signal).catch((err: unknown) => {
      if (!hasKind(err, "NotFound")) throw err;
    });
  }
  await flushContainerLog(deps, c.id, log);
  await deps.containers.remove(c.id, { force: true, removeVolumes: true }, signal).catch((err: unknown) => {
    if (!hasKind(err, "NotFound")) throw err;
  });
  await forget(deps, c.id, log);
  log.info({ containerId: c.id }, "Container removed");
}

async function forget(deps: ContainerDeps, id: string, log: Logger): Promise<void> {
  deps.flushedLogs.delete(id);
  await deps.logs.forget(id).catch((err: unknown) => {
    log.warn({ containerId: id, reason: errorMessage(err) }, "Cannot forget the container's log");
  });
}
