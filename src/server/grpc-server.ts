import type { DescService } from "@bufbuild/protobuf";
import { Server, ServerCredentials } from "@grpc/grpc-js";
import type { Server as NetServer, Socket } from "node:net";
import { unlink } from "node:fs/promises";
import type { Logger } from "../logger/index.js";
import { bindService, type BoundaryDeps } from "./boundary.js";
import { listenEndpoint, type ListenTarget } from "./listen-endpoint.js";

/** The kubelet sends and accepts CRI messages up to 16 MiB (large ListContainers answers, exec output). */
export const maxMessageBytes = 16 * 1024 * 1024;

export interface GrpcServerOptions extends BoundaryDeps {
  target: ListenTarget;
  services: readonly { service: DescService; impl: object }[];
  log: Logger;
}

export interface GrpcServer {
  /**
   * Stops accepting, lets in-flight calls finish for up to `graceMs`, then cuts the rest, and removes
   * the socket file.
   */
  stop(graceMs: number): Promise<void>;
}

/**
 * Serves CRI over gRPC. We own the listening socket (unix path or systemd fd) and hand each connection
 * to grpc-js through its connection injector, since grpc-js itself cannot bind an inherited fd.
 */
export async function startGrpcServer(opts: GrpcServerOptions): Promise<GrpcServer> {
  const server = new Server({
    "grpc.max_receive_message_length": maxMessageBytes,
    "grpc.max_send_message_length": maxMessageBytes,
  });
  for (const { service, impl } of opts.services) {
    const { definition, handlers } = bindService(opts, service, impl);
    server.addService(definition, handlers);
  }
  const injector = server.createConnectionInjector(ServerCredentials.createInsecure());
  const sockets = new Set<Socket>();
  const net: NetServer = await listenEndpoint(opts.target, (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    injector.injectConnection(socket);
  });
  opts.log.info({ endpoint: opts.target.kind === "unix" ? `unix://${opts.target.path}` : `fd://${opts.target.fd}` }, "Serving CRI");
  let stopping: Promise<void> | undefined;
  return {
    stop(graceMs) {
      stopping ??= (async () => {
        // Stop accepting at once; close()'s callback would wait for every open connection.
        net.close();
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            opts.log.warn({ graceMs, connections: sockets.size }, "In-flight calls did not finish in time; closing them");
            server.forceShutdown();
            for (const s of sockets) s.destroy();
            resolve();
          }, graceMs);
          server.tryShutdown(() => {
            clearTimeout(timer);
            resolve();
          });
        });
        injector.destroy();
        if (opts.target.kind === "unix") await unlink(opts.target.path).catch(() => undefined);
      })();
      return stopping;
    },
  };
}
