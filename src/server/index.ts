export { bindService } from "./boundary.js";
export type { BoundaryDeps } from "./boundary.js";
export { maxMessageBytes, startGrpcServer } from "./grpc-server.js";
export type { GrpcServer, GrpcServerOptions } from "./grpc-server.js";
export type { ListenTarget } from "./listen-endpoint.js";
export { remoteTarget, startRemoteProxy } from "./remote-proxy.js";
export type { RemoteProxyOptions } from "./remote-proxy.js";
