import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { Logger } from "../logger/index.js";
import { rejectUpgrade } from "./reject-upgrade.js";

export interface StreamingServerOptions {
  host: string;
  port: number;
  /** --streaming-connection-idle-timeout: a connection with no traffic for this long is closed. */
  idleTimeoutMs: number;
  log: Logger;
}

/**
 * A route on the streaming server. Plain requests and HTTP upgrades (SPDY, WebSocket) arrive
 * separately; each handler returns false when the request is not its own.
 */
export interface StreamingRoute {
  request(req: IncomingMessage, res: ServerResponse): boolean;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
}

export interface StreamingServer {
  /** Absolute base URL (http://ip:port) that Exec/Attach/PortForward answers point at. */
  readonly baseUrl: string;
  readonly address: { host: string; port: number };
  /** Adds a route; the exec/attach/port-forward service registers here. */
  addRoute(route: StreamingRoute): void;
  close(): Promise<void>;
}

/**
 * The exec/attach/port-forward HTTP server. Started at boot like the kubelet's streaming server, so its
 * address is fixed before the first Exec call; until a route claims a request it answers 404, which is
 * also what an unknown or expired token gets.
 *
 * The idle timeout is a socket timeout armed on every connection: any byte read or written in either
 * direction (a SPDY PING, a WebSocket pong included) restarts it; when it fires the connection is
 * destroyed, which tears down the session on it.
 */
export async function startStreamingServer(opts: StreamingServerOptions): Promise<StreamingServer> {
  const routes: StreamingRoute[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    for (const route of routes) if (route.request(req, res)) return;
    res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
  });
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => undefined);
    for (const route of routes) {
      if (route.upgrade(req, socket, head)) {
        // Re-armed after the handshake, which may have cleared it (a WebSocket handshake, which
        // completes later, re-arms it itself: ws's setSocket clears socket timeouts).
        armIdleTimeout(socket);
        return;
      }
    }
    rejectUpgrade(socket, 404, "not found");
  });
  const armIdleTimeout = (socket: Duplex): void => {
    if (opts.idleTimeoutMs > 0 && isNetSocket(socket)) socket.setTimeout(opts.idleTimeoutMs);
  };
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    if (opts.idleTimeoutMs > 0) {
      socket.setTimeout(opts.idleTimeoutMs);
      socket.on("timeout", () => {
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

function isNetSocket(d: Duplex): d is Socket {
  return typeof Reflect.get(d, "setTimeout") === "function";
}
