export { startMetricsServer } from "./metrics-server.js";
export type { MetricsServer } from "./metrics-server.js";
export { createRpcMetrics } from "./rpc-metrics.js";
export type { RpcMetrics } from "./rpc-metrics.js";
export { instrumentDockerTransport } from "./docker-operations.js";
export { instrumentNetworkPlugin } from "./network-operations.js";
