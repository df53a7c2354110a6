export type { RpcContext } from "./context.js";
export type { ServiceImpl } from "./service-impl.js";
export { imageServiceImpl, runtimeServiceImpl } from "./runtime-service.js";
export type { RuntimeServiceDeps } from "./runtime-service.js";
export type { DockerRuntimeInfo, RuntimeInfoDeps } from "./runtime/runtime-deps.js";
export { kubeletApiVersion } from "./runtime/version.js";
