import type { RuntimeService } from "../gen/index.js";
import { containerMethods, removeAppContainer, sandboxContainerStatuses, type ContainerDeps } from "./container/container-methods.js";
import { containerEventsMethods, type ContainerEventHub } from "./events/container-events-methods.js";
import type { StreamingDeps } from "./streaming/streaming-deps.js";
import { streamingMethods } from "./streaming/streaming-methods.js";
import type { RuntimeInfoDeps } from "./runtime/runtime-deps.js";
import { runtimeConfig } from "./runtime/runtime-config.js";
import { status } from "./runtime/status.js";
import { updateRuntimeConfig } from "./runtime/update-runtime-config.js";
import { version } from "./runtime/version.js";
import { sandboxMethods, type SandboxDeps } from "./sandbox/sandbox-methods.js";
import type { ServiceImpl } from "./service-impl.js";
import { statsMethods, type StatsDeps } from "./stats/stats-methods.js";

export interface RuntimeServiceDeps {
  info: RuntimeInfoDeps;
  sandbox: SandboxDeps;
  streaming: StreamingDeps;
  container: ContainerDeps;
  stats: StatsDeps;
  events: Pick<ContainerEventHub, "subscribe">;
}

/**
 * RuntimeService: each family of RPCs contributes its methods; those not listed anywhere answer
 * Unimplemented at the boundary.
 */
export function runtimeServiceImpl(deps: RuntimeServiceDeps): ServiceImpl<typeof RuntimeService> {
  const info = deps.info;
  return {
    version: (req, ctx) => version(info, req, ctx),
    status: (req, ctx) => status(info, req, ctx),
    runtimeConfig: (req, ctx) => runtimeConfig(info, req, ctx),
    updateRuntimeConfig: (req, ctx) => updateRuntimeConfig(info, req, ctx),
    // RemovePodSandbox removes the pod's containers through the container family (which also ends
    // their log copies), and PodSandboxStatus reports their statuses.
    ...sandboxMethods({
      ...deps.sandbox,
      removeAppContainer: (id, signal, log) => removeAppContainer(deps.container, id, signal, log),
      containerStatuses: (sandboxId, signal, log) => sandboxContainerStatuses(deps.container, sandboxId, signal, log),
    }),
    ...containerMethods(deps.container),
    ...streamingMethods(deps.streaming),
    ...statsMethods(deps.stats),
    ...containerEventsMethods(deps.events),
  };
}
