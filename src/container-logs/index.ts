export { createContainerLogManager } from "./container-log-manager.js";
export type { ContainerLogManager, ContainerLogManagerHandle, ContainerLogManagerOptions } from "./container-log-manager.js";
export { containerLogModes } from "./copy-state.js";
export type { ContainerLogMode } from "./copy-state.js";
