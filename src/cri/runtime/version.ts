import type { MessageInitShape } from "@bufbuild/protobuf";
import type { VersionRequest, VersionResponseSchema } from "../../gen/index.js";
import type { RpcContext } from "../context.js";
import type { RuntimeInfoDeps } from "./runtime-deps.js";

/** The kubelet runtime API version dockershim and cri-dockerd report. */
export const kubeletApiVersion = "0.1.0";

/** Version: the kubelet rejects an answer with any field empty, so Docker's version is asked each time. */
export async function version(deps: Pick<RuntimeInfoDeps, "docker">, _request: VersionRequest, ctx: RpcContext): Promise<MessageInitShape<typeof VersionResponseSchema>> {
  const v = await deps.docker.version(ctx.signal);
  return {
    version: kubeletApiVersion,
    runtimeName: "docker",
    runtimeVersion: v.version,
    runtimeApiVersion: "v1",
  };
}
