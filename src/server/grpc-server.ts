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
 * A grpc-js server that takes and sends CRI's largest messages; its services are added by the caller.
 * Channelz is off: nothing serves its introspection service, and its per-call and per-connection
 * counting is work on every call.
 */
export function newCriServer(): Server {
  return new Server({
    "grpc.max_receive_message_length": maxMessageBytes,
    "grpc.max_send_message_length": maxMessageBytes,
    "grpc.enable_channelz": 0,
  });
}

/** How serveOnEndpoint announces itself and what it releases besides its own sockets. */
export interface Serving {
  readonly target: ListenTarget;
  readonly log: Logger;
  /** The info line logged once the socket listens, and its fields besides the endpoint. */
  readonly announce: string;
  readonly announceFields?: Readonly<Record<string, unknown>>;
  /** Called once the server is done with: after stop has ended the calls, or when listening failed. */
  readonly release?: () => void;
}

/**
 * Serves CRI over gRPC. We own the listening socket (unix path or systemd fd) and hand each connection
 * to grpc-js through its connection injector, since grpc-js itself cannot bind an inherited fd.
 */
export async function startGrpcServer(opts: GrpcServerOptions): Promise<GrpcServer> {
  const server = newCriServer();
  for (const { service, impl } of opts.services) {
    const { definition, handlers } = bindService(opts, service, impl);
    server.addService(definition, handlers);
  }
  return serveOnEndpoint(server, { target: opts.target, log: opts.log, announce: "Serving CRI" });
}

/**
 * Listens on the target and feeds each connection to `server`, whose services are in place; docker
 * mode and the remote proxy both serve through here, so they stop the same way.
 */
export async function serveOnEndpoint(server: Server, serving: Serving): Promise<GrpcServer> {
  const { target, log } = serving;
  const injector = server.createConnectionInjector(ServerCredentials.createInsecure());
  const sockets = new Set<Socket>();
  let net: NetServer;
  try {
    net = await listenEndpoint(target, (socket) => {
      sockets.add(socket);
      socket.once("close", () => sockets.delete(socket));
      injector.injectConnection(socket);
    });
  } catch (err) {
    serving.release?.();
    throw err;
  }
  log.info({ endpoint: target.kind === "unix" ? `unix://${target.path}` : `fd://${target.fd}`, ...serving.announceFields }, serving.announce);
  let stopping: Promise<void> | undefined;
  return {
    stop(graceMs) {
      stopping ??= (async () => {
        // Stop accepting at once; close()'s callback would wait for every open connection.
        net.close();
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            log.warn({ graceMs, connections: sockets.size }, "In-flight calls did not finish in time; closing them");
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
        serving.release?.();
        if (target.kind === "unix") await unlink(target.path).catch(() => undefined);
      })();
      return stopping;
    },
  };
}
