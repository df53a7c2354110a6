import type { MessageInitShape } from "@bufbuild/protobuf";
import type { EngineFeatures } from "../../docker/index.js";
import type { VersionRequest, VersionResponseSchema } from "../../gen/index.js";
import type { RpcContext } from "../context.js";
import type { DockerRuntimeInfo, RuntimeInfoDeps } from "./runtime-deps.js";

/** The kubelet runtime API version dockershim and cri-dockerd report. */
export const kubeletApiVersion = "0.1.0";

/**
 * Version. The kubelet refuses an answer with any of its four fields empty, so Docker's version
 * comes from `deps.docker`, which in docker-cri is versionFromEngine: the reading docker-cri took
 * at start-up and takes again whenever dockerd comes back.
 */
export async function version(deps: Pick<RuntimeInfoDeps, "docker">, _request: VersionRequest, ctx: RpcContext): Promise<MessageInitShape<typeof VersionResponseSchema>> {
  const v = await deps.docker.version(ctx.signal);
  return {
    version: kubeletApiVersion,
    runtimeName: "docker",
    runtimeVersion: v.version,
    runtimeApiVersion: "v1",
  };
}

/**
 * Docker's version without asking Docker each time. It can only change across a dockerd restart,
 * which ends Docker's event stream; the state cache re-reads the engine (EngineState.refresh: the
 * version negotiation and `docker info`) before it reopens the stream, and is synced again only
 * after that. So while `current` (the state cache is synced) holds, the engine reading is the
 * running dockerd's and answers; otherwise (dockerd down or just back, the stream not reopened yet)
 * Docker is asked, which fails with Unavailable while dockerd is down, as before. An empty reading
 * (never seen: Docker's /version always names its release) is asked of Docker too.
 */
export function versionFromEngine(docker: DockerRuntimeInfo, engine: () => EngineFeatures, current: () => boolean): DockerRuntimeInfo {
  return {
    version: async (signal) => {
      const e = engine();
      if (current() && e.dockerVersion !== "") return { version: e.dockerVersion, apiVersion: e.daemonApiVersion };
      return docker.version(signal);
    },
    ping: (signal) => docker.ping(signal),
  };
}
