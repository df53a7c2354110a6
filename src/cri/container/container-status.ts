import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ContainerInspect } from "../../docker/index.js";
import { CriError } from "../../errors/index.js";
import { ContainerState, type ContainerStatusRequest, type ContainerStatusResponseSchema } from "../../gen/index.js";
import type { Logger } from "../../logger/index.js";
import type { RpcContext } from "../context.js";
import { containerLogPathLabel, parseContainerName, sandboxIdLabel } from "../translate/index.js";
import type { ContainerDeps } from "./container-deps.js";
import { flushContainerLog } from "./container-log-flush.js";
import { locateContainer } from "./locate-container.js";
import { toContainerStatus, type ContainerStatusShape } from "./to-container-status.js";

/** ContainerStatus from Docker's inspect; an unknown id is NotFound, as CRI requires. */
export async function containerStatus(deps: ContainerDeps, request: ContainerStatusRequest, ctx: RpcContext): Promise<MessageInitShape<typeof ContainerStatusResponseSchema>> {
  if (request.containerId === "") throw new CriError("InvalidArgument", "ContainerStatus needs a container_id");
  const c = await locateContainer(deps, request.containerId, ctx.signal);
  if (c === undefined) throw new CriError("NotFound", `Container "${request.containerId}" not found`);
  const status = await statusOf(deps, c, ctx.signal, ctx.log);
  return { status, info: request.verbose ? { info: JSON.stringify(verboseInfo(c)) } : {} };
}

/**
 * The statuses of a sandbox's app containers, for PodSandboxStatus.containers_statuses. A container
 * removed between the list and its inspect is left out, and so is one that is not a CRI container.
 */
export async function sandboxContainerStatuses(deps: ContainerDeps, sandboxId: string, signal: AbortSignal, log: Logger): Promise<ContainerStatusShape[]> {
  const listed = await deps.containers.list({ all: true, filters: { label: [`${sandboxIdLabel}=${sandboxId}`] } }, signal);
  const statuses = await Promise.all(
    listed.map(async (entry) => {
      // A container labelled into the pod by someone else, under a name that is not a CRI one, has
      // no CRI status; it must not cost the sandbox its own.
      if (parseContainerName(entry.names[0] ?? "") === undefined) {
        log.debug({ containerId: entry.id, names: entry.names }, "Leaving out a container of the sandbox whose name is not a CRI container name");
        return undefined;
      }
      const c = await locateContainer(deps, entry.id, signal);
      return c === undefined ? undefined : await statusOf(deps, c, signal, log);
    }),
  );
  return statuses.filter((s) => s !== undefined);
}

/** An exited container's log copy is completed before its EXITED status goes out (see flushContainerLog). */
async function statusOf(deps: ContainerDeps, c: ContainerInspect, signal: AbortSignal, log: Logger): Promise<ContainerStatusShape> {
  const status = await toContainerStatus(deps, c, signal);
  if (status.state === ContainerState.CONTAINER_EXITED && (c.config.labels[containerLogPathLabel] ?? "") !== "") {
    await flushContainerLog(deps, c.id, log);
  }
  return status;
}

function verboseInfo(c: ContainerInspect): Record<string, unknown> {
  const h = c.hostConfig;
  return {
    pid: c.state.pid,
    dockerState: c.state.status,
    dockerName: c.name,
    dockerError: c.state.error,
    oomKilled: c.state.oomKilled,
    restartCount: c.restartCount,
    image: c.config.image,
    imageId: c.imageId,
    user: c.config.user,
    runtime: h.runtime,
    networkMode: h.networkMode,
    ipcMode: h.ipcMode,
    pidMode: h.pidMode,
    utsMode: h.utsMode,
    cgroupParent: h.cgroupParent,
    privileged: h.privileged,
    capAdd: h.capAdd,
    capDrop: h.capDrop,
    securityOpt: h.securityOpt,
    readonlyRootfs: h.readonlyRootfs,
    binds: h.binds,
    dockerLogPath: c.logPath,
    criLogPath: c.config.labels[containerLogPathLabel] ?? "",
  };
}
