export { startStreamingServer } from "./streaming-server.js";
export type { StreamingRoute, StreamingServer, StreamingServerOptions } from "./streaming-server.js";
