import type { MessageInitShape } from "@bufbuild/protobuf";
import type { StreamPodSandboxesRequest, StreamPodSandboxesResponseSchema } from "../../gen/index.js";
import type { RpcContext } from "../context.js";
import { listPodSandbox } from "./list-pod-sandbox.js";
import type { SandboxDeps } from "./sandbox-deps.js";

/** Sandboxes per message: each well under gRPC's message limit however many labels they carry. */
const sandboxesPerMessage = 500;

/** StreamPodSandboxes: ListPodSandbox's answer (same filter) in bounded messages, then the end of the stream. */
export async function* streamPodSandboxes(deps: SandboxDeps, request: StreamPodSandboxesRequest, ctx: RpcContext): AsyncGenerator<MessageInitShape<typeof StreamPodSandboxesResponseSchema>> {
  const { items = [] } = await listPodSandbox(deps, { $typeName: "runtime.v1.ListPodSandboxRequest", ...(request.filter === undefined ? {} : { filter: request.filter }) }, ctx);
  for (let i = 0; i < items.length; i += sandboxesPerMessage) {
    yield { podSandboxes: items.slice(i, i + sandboxesPerMessage) };
  }
}
