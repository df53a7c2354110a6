import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Logger } from "../log/index.js";

export interface StreamingServerOptions {
  host: string;
  port: number;
  /** --streaming-connection-idle-timeout: a connection with no traffic for this long is closed. */
  idleTimeoutMs: number;
  log: Logger;
}

/** A route on the streaming server; returns false when it does not handle the request. */
export type StreamingRoute = (req: IncomingMessage, res: ServerResponse) => boolean;

export interface StreamingServer {
  /** Absolute base URL (http://ip:port) that Exec/Attach/PortForward answers point at. */
  readonly baseUrl: string;
  readonly address: { host: string; port: number };
  /** Adds a route; the exec/attach/port-forward handlers register here once they exist. */
  addRoute(route: StreamingRoute): void;
  close(): Promise<void>;
}

/**
 * The exec/attach/port-forward HTTP server. Started at boot like the kubelet's streaming server, so its
 * address is fixed before the first Exec call; until a route claims a request it answers 404, which is
 * also what an unknown or expired token gets.
 */
export async function startStreamingServer(opts: StreamingServerOptions): Promise<StreamingServer> {
  const routes: StreamingRoute[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    for (const route of routes) if (route(req, res)) return;
    res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    if (opts.idleTimeoutMs > 0) {
      socket.setTimeout(opts.idleTimeoutMs, () => {
        opts.log.debug({ remote: socket.remoteAddress }, "Closing idle streaming connection");
        socket.destroy();
      });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo; // a TCP listen always yields an AddressInfo
  const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  const baseUrl = `http://${host}:${addr.port}`;
  opts.log.info({ baseUrl }, "Streaming server listening");
  return {
    baseUrl,
    address: { host: addr.address, port: addr.port },
    addRoute: (route) => routes.push(route),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => { resolve(); });
        for (const s of sockets) s.destroy();
      }),
  };
}
