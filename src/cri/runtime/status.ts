import type { MessageInitShape } from "@bufbuild/protobuf";
import type { StatusRequest, StatusResponseSchema } from "../../gen/index.js";
import { errorMessage } from "../../errors/index.js";
import type { RpcContext } from "../context.js";
import type { RuntimeInfoDeps } from "./runtime-deps.js";

/**
 * Status: RuntimeReady from Docker's ping (bounded by a short timeout, since the kubelet polls this and
 * a hung dockerd must read as not ready rather than hang node status), NetworkReady from the plugin.
 * Every runtime handler (Docker runtime) has the same features: recursive read-only mounts where the
 * engine and kernel allow them (the kubelet refuses a pod that asks for them on a handler that does
 * not say so), never user namespaces (Docker cannot give a pod its own). The runtime-wide features
 * (supplemental groups policy, user namespaces with host network, mount options) are all unsupported,
 * which the unset field says.
 */
export async function status(deps: RuntimeInfoDeps, request: StatusRequest, ctx: RpcContext): Promise<MessageInitShape<typeof StatusResponseSchema>> {
  const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(deps.statusTimeoutMs)]);
  const features = deps.engine();
  const [runtime, network] = await Promise.all([
    deps.docker.ping(signal).then(
      () => ({ status: true, reason: "", message: "" }),
      (err: unknown) => ({ status: false, reason: "DockerDaemonNotReady", message: `docker: failed to get docker version: ${errorMessage(err)}` }),
    ),
    deps.network.status(),
  ]);
  return {
    status: {
      conditions: [
        { type: "RuntimeReady", ...runtime },
        { type: "NetworkReady", status: network.ready, reason: network.reason, message: network.message },
      ],
    },
    info: request.verbose ? { config: JSON.stringify(deps.configForStatus) } : {},
    runtimeHandlers: ["", ...deps.runtimeHandlers].map((name) => ({ name, features: { recursiveReadOnlyMounts: features.recursiveReadOnly, userNamespaces: false } })),
  };
}
