import type { MessageInitShape } from "@bufbuild/protobuf";
import type { StreamContainersRequest, StreamContainersResponseSchema } from "../../gen/index.js";
import type { RpcContext } from "../context.js";
import type { ContainerDeps } from "./container-deps.js";
import { listContainers } from "./list-containers.js";

/** Containers per message: each well under gRPC's message limit however many labels they carry. */
const containersPerMessage = 500;

/** StreamContainers: ListContainers' answer (same filter) in bounded messages, then the end of the stream. */
export async function* streamContainers(deps: ContainerDeps, request: StreamContainersRequest, ctx: RpcContext): AsyncGenerator<MessageInitShape<typeof StreamContainersResponseSchema>> {
  const { containers = [] } = await listContainers(deps, { $typeName: "runtime.v1.ListContainersRequest", ...(request.filter === undefined ? {} : { filter: request.filter }) }, ctx);
  for (let i = 0; i < containers.length; i += containersPerMessage) {
    yield { containers: containers.slice(i, i + containersPerMessage) };
  }
}
