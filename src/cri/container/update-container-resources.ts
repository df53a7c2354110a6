import type { MessageInitShape } from "@bufbuild/protobuf";
import { CriError, withContext } from "../../errors/index.js";
import type { UpdateContainerResourcesRequest, UpdateContainerResourcesResponseSchema } from "../../gen/index.js";
import type { RpcContext } from "../context.js";
import { dockerOomScoreAdj, dockerResources } from "../translate/container-resources.js";
import type { ContainerDeps } from "./container-deps.js";
import { locateContainer } from "./locate-container.js";

/**
 * UpdateContainerResources: CPU shares, quota and period, cpusets, and memory (with swap kept equal
 * to it) through `POST /containers/{id}/update`, synchronously. Docker cannot change an existing
 * container's oom_score_adj; the kubelet sends the value it gave at creation (a pod's QoS class,
 * from which it comes, never changes), so that is accepted and any other value refused. Windows
 * resources do not apply to a Linux node's containers and are ignored.
 */
export async function updateContainerResources(
  deps: ContainerDeps,
  request: UpdateContainerResourcesRequest,
  ctx: RpcContext,
): Promise<MessageInitShape<typeof UpdateContainerResourcesResponseSchema>> {
  if (request.containerId === "") throw new CriError("InvalidArgument", "UpdateContainerResources needs a container_id");
  const c = await locateContainer(deps, request.containerId, ctx.signal);
  if (c === undefined) throw new CriError("NotFound", `Container "${request.containerId}" not found`);
  const linux = request.linux;
  if (linux === undefined) return {};
  const update = dockerResources(linux);
  if (linux.oomScoreAdj !== 0n) {
    const wanted = dockerOomScoreAdj(linux, deps.minOomScoreAdj);
    if (wanted !== c.hostConfig.oomScoreAdj) {
      throw new CriError("InvalidArgument", `Cannot update container "${c.id}": Docker cannot change oom_score_adj of an existing container (it is ${c.hostConfig.oomScoreAdj}, asked ${wanted})`);
    }
  }
  if (Object.keys(update).length === 0) return {};
  try {
    const warnings = await deps.containers.update(c.id, update, ctx.signal);
    if (warnings.length > 0) ctx.log.warn({ containerId: c.id, warnings }, "Docker warned while updating the container's resources");
  } catch (err) {
    throw withContext(err, `Cannot update the resources of container "${c.id}"`);
  }
  ctx.log.info({ containerId: c.id, update }, "Container resources updated");
  return {};
}
