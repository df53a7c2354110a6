import type { RuntimeService } from "../../gen/index.js";
import type { ServiceImpl } from "../service-impl.js";
import type { ContainerDeps } from "./container-deps.js";
import { containerStatus } from "./container-status.js";
import { createContainer } from "./create-container.js";
import { execSync } from "./exec-sync.js";
import { listContainers } from "./list-containers.js";
import { removeContainer } from "./remove-container.js";
import { reopenContainerLog } from "./reopen-container-log.js";
import { startContainer } from "./start-container.js";
import { stopContainer } from "./stop-container.js";
import { streamContainers } from "./stream-containers.js";
import { updateContainerResources } from "./update-container-resources.js";

export type { ContainerDeps, ContainerDockerApi } from "./container-deps.js";
export type { ContainerLogManager } from "./container-logs.js";
export { sandboxContainerStatuses } from "./container-status.js";
export { removeAppContainer } from "./remove-container.js";

/** CreateContainer … ExecSync (and StreamContainers): the app container RPCs. */
export function containerMethods(deps: ContainerDeps): ServiceImpl<typeof RuntimeService> {
  return {
    createContainer: (req, ctx) => createContainer(deps, req, ctx),
    startContainer: (req, ctx) => startContainer(deps, req, ctx),
    stopContainer: (req, ctx) => stopContainer(deps, req, ctx),
    removeContainer: (req, ctx) => removeContainer(deps, req, ctx),
    listContainers: (req, ctx) => listContainers(deps, req, ctx),
    streamContainers: (req, ctx) => streamContainers(deps, req, ctx),
    containerStatus: (req, ctx) => containerStatus(deps, req, ctx),
    updateContainerResources: (req, ctx) => updateContainerResources(deps, req, ctx),
    reopenContainerLog: (req, ctx) => reopenContainerLog(deps, req, ctx),
    execSync: (req, ctx) => execSync(deps, req, ctx),
  };
}
