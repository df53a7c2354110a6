export { startStreamingServer } from "./streaming-server.js";
export type { StreamingRoute, StreamingServer, StreamingServerOptions } from "./streaming-server.js";
export { createStreamingService } from "./streaming-service.js";
export type { StreamingService, StreamingServiceOptions } from "./streaming-service.js";
export { RequestCache, maxInFlightTokens, tokenTtlMs } from "./request-cache.js";
export { dialInNetns } from "./netns/netns-dialer.js";
export type { NetnsDialer } from "./netns/netns-dialer.js";
