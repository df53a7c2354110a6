import type { IncomingMessage, ServerResponse } from "node:http";
import { Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { createWebSocketStream as toStream, WebSocket, WebSocketServer } from "ws";
import type { AttachSpec, ExecSpec, PortForwardSpec, StreamingRuntime, StreamingUrls } from "../cri/streaming/streaming-runtime.js";
import { errorMessage } from "../errors/index.js";
import type { Logger } from "../logger/index.js";
import { dialInNetns, type NetnsDialer } from "./netns/netns-dialer.js";
import { serveSpdyPortForward, type PortForwardSession } from "./portforward/spdy-port-forward.js";
import { serveWebSocketPortForward } from "./portforward/websocket-port-forward.js";
import { rejectUpgrade } from "./reject-upgrade.js";
import {
  negotiate,
  offeredProtocols,
  spdyPortForwardProtocols,
  spdyRemoteCommandProtocols,
  wsPortForwardProtocols,
  wsRemoteCommandProtocols,
  wsSpdyTunnelProtocol,
} from "./remotecommand/protocols.js";
import type { RemoteCommandSession } from "./remotecommand/remote-command-session.js";
import { serveSpdyRemoteCommand } from "./remotecommand/spdy-remote-command.js";
import { serveWebSocketRemoteCommand } from "./remotecommand/websocket-remote-command.js";
import { RequestCache, type RequestCacheOptions } from "./request-cache.js";
import type { StreamingRoute } from "./streaming-server.js";

export interface StreamingServiceOptions {
  /** The streaming server's absolute base URL; tokens are appended to it. */
  readonly baseUrl: string;
  readonly runtime: StreamingRuntime;
  readonly log: Logger;
  /** How long a client may take to open all streams of a session or pair (default 30 s). */
  readonly streamCreationTimeoutMs?: number;
  readonly cache?: RequestCacheOptions;
  /** Connects inside a pod's network namespace (default: the netns-connect addon). */
  readonly dialer?: NetnsDialer;
}

export interface StreamingService {
  /** What the Exec, Attach and PortForward RPCs use to hand out URLs. */
  readonly urls: StreamingUrls;
  /** The HTTP side, for StreamingServer.addRoute. */
  readonly route: StreamingRoute;
}

type Kind = "exec" | "attach" | "portforward";
type Pending = { kind: "exec"; spec: ExecSpec } | { kind: "attach"; spec: AttachSpec } | { kind: "portforward"; spec: PortForwardSpec };

const routePattern = /^\/(exec|attach|portforward)\/([A-Za-z0-9_-]+)$/;

/**
 * Exec, attach and port forward on the streaming server: one-time tokens handed out by the RPCs,
 * then, when the client connects with one, the protocol it negotiates: SPDY/3.1 (what the kubelet
 * and crictl use by default) or WebSocket (crictl `-r websocket`, other clients). Routes are
 * `/exec/{token}`, `/attach/{token}`, `/portforward/{token}`, by GET or POST.
 */
export function createStreamingService(opts: StreamingServiceOptions): StreamingService {
  const cache = new RequestCache<Pending>(opts.cache);
  const creationTimeoutMs = opts.streamCreationTimeoutMs ?? 30_000;
  const dialer = opts.dialer ?? dialInNetns;
  const log = opts.log;
  // The subprotocol is negotiated by us before the upgrade and answered through the `headers` hook:
  // ws refuses protocol names that are not HTTP tokens, and `SPDY/3.1+portforward.k8s.io` has a "/".
  const wsProtocol = new WeakMap<IncomingMessage, string>();
  // ws is loaded on the first WebSocket upgrade, not at start: most nodes never see one (the kubelet
  // and crictl speak SPDY by default), and loading it costs about 3.5 MiB of RSS. Until a listener
  // reads it, Node keeps the upgraded socket's data buffered, so nothing is lost meanwhile.
  let webSockets: Promise<{ wss: WebSocketServer; createWebSocketStream: typeof toStream }> | undefined;
  const loadWebSockets = (): NonNullable<typeof webSockets> => {
    webSockets ??= import("ws").then(({ WebSocketServer: Server, createWebSocketStream }) => {
      const wss = new Server({ noServer: true, perMessageDeflate: false, maxPayload: 32 * 1024 * 1024 });
      wss.on("headers", (headers: string[], req: IncomingMessage) => {
        const chosen = wsProtocol.get(req);
        if (chosen !== undefined && chosen !== "") headers.push(`Sec-WebSocket-Protocol: ${chosen}`);
      });
      return { wss, createWebSocketStream };
    });
    return webSockets;
  };

  const match = (req: IncomingMessage): { kind: Kind; token: string } | undefined => {
    const path = (req.url ?? "").split("?")[0] ?? "";
    const m = routePattern.exec(path);
    if (m === null) return undefined;
    // The pattern's first group is one of the three kinds.
    return { kind: m[1] as Kind, token: m[2] ?? "" };
  };

  const claim = (req: IncomingMessage, kind: Kind, token: string): Pending | undefined => {
    const pending = cache.consume(token);
    if (pending?.kind !== kind) {
      log.debug({ kind, method: req.method }, "Streaming request with an unknown, used or expired token");
      return undefined;
    }
    return pending;
  };

  const remoteCommand = (pending: Exclude<Pending, { kind: "portforward" }>, protocol: string, transport: string): RemoteCommandSession => {
    const spec = pending.spec;
    const sessionLog = log.child({ kind: pending.kind, containerId: spec.containerId, protocol, transport });
    sessionLog.debug("Streaming session started");
    return {
      protocol,
      log: sessionLog,
      streams: { stdin: spec.stdin, stdout: spec.stdout, stderr: spec.stderr, tty: spec.tty },
      streamCreationTimeoutMs: creationTimeoutMs,
      what: pending.kind === "exec" ? "executing command in container" : "attaching to container",
      run: pending.kind === "exec" ? (io) => opts.runtime.exec(pending.spec, io) : async (io) => { await opts.runtime.attach(pending.spec, io); return undefined; },
    };
  };

  const portForward = (spec: PortForwardSpec, protocol: string, transport: string): PortForwardSession => {
    const sessionLog = log.child({ kind: "portforward", podSandboxId: spec.podSandboxId, protocol, transport });
    sessionLog.debug("Streaming session started");
    return {
      log: sessionLog,
      streamCreationTimeoutMs: creationTimeoutMs,
      target: spec.podSandboxId,
      dial: async (port, signal) => dialer(await opts.runtime.portForwardNetns(spec.podSandboxId, signal), port, signal),
    };
  };

  const served = (what: Promise<void>, kind: Kind): void => {
    what.catch((err: unknown) => { log.warn({ kind, err: errorMessage(err) }, "Streaming session failed"); });
  };

  const handleSpdy = (req: IncomingMessage, socket: Duplex, head: Buffer, pending: Pending): void => {
    const supported = pending.kind === "portforward" ? spdyPortForwardProtocols : spdyRemoteCommandProtocols;
    const offered = offeredProtocols(req.headers["x-stream-protocol-version"]);
    if (offered.length === 0) {
      rejectUpgrade(socket, 400, "unable to upgrade: unable to negotiate protocol: the client offered no X-Stream-Protocol-Version");
      return;
    }
    const protocol = negotiate(offered, supported);
    if (protocol === undefined) {
      rejectUpgrade(socket, 403, `unable to upgrade: unable to negotiate protocol: client supports ${JSON.stringify(offered)}, server accepts ${JSON.stringify(supported)}`, {
        "X-Accepted-Stream-Protocol-Versions": supported,
      });
      return;
    }
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${protocol}\r\n\r\n`);
    if (pending.kind === "portforward") served(serveSpdyPortForward(socket, head, portForward(pending.spec, protocol, "spdy")), pending.kind);
    else served(serveSpdyRemoteCommand(socket, head, remoteCommand(pending, protocol, "spdy")), pending.kind);
  };

  const handleWebSocket = (req: IncomingMessage, socket: Duplex, head: Buffer, pending: Pending): void => {
    const supported: readonly string[] = pending.kind === "portforward" ? [...wsPortForwardProtocols, wsSpdyTunnelProtocol] : wsRemoteCommandProtocols;
    const offered = offeredProtocols(req.headers["sec-websocket-protocol"]);
    const protocol = offered.length === 0 ? "" : negotiate(offered, supported);
    if (protocol === undefined) {
      rejectUpgrade(socket, 403, `unable to upgrade: unable to negotiate protocol: client supports ${JSON.stringify(offered)}, server accepts ${JSON.stringify(supported)}`);
      return;
    }
    if (pending.kind === "portforward" && protocol !== wsSpdyTunnelProtocol && pending.spec.ports.length === 0) {
      rejectUpgrade(socket, 400, "unable to upgrade: a WebSocket port forward needs the ports in the PortForward request");
      return;
    }
    wsProtocol.set(req, protocol);
    delete req.headers["sec-websocket-protocol"];
    const serve = (ws: WebSocket, createWebSocketStream: typeof toStream): void => {
      ws.on("error", (err: unknown) => { log.debug({ err: errorMessage(err) }, "WebSocket error"); });
      if (pending.kind !== "portforward") {
        served(serveWebSocketRemoteCommand(ws, remoteCommand(pending, protocol, "websocket")), pending.kind);
      } else if (protocol === wsSpdyTunnelProtocol) {
        served(serveSpdyPortForward(createWebSocketStream(ws), undefined, portForward(pending.spec, protocol, "websocket")), pending.kind);
      } else {
        served(serveWebSocketPortForward(ws, protocol, pending.spec.ports, portForward(pending.spec, protocol, "websocket")), pending.kind);
      }
    };
    loadWebSockets()
      .then(
        ({ wss, createWebSocketStream }) => {
          // ws clears the socket's timeout when it takes the socket over; the streaming server armed
          // its idle timeout before this (asynchronous) handshake, so it is armed again here.
          const idleMs = socketTimeout(socket);
          wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
            if (idleMs > 0 && socket instanceof Socket) socket.setTimeout(idleMs);
            serve(ws, createWebSocketStream);
          });
        },
        (err: unknown) => {
          log.warn({ err: errorMessage(err) }, "WebSocket support could not be loaded");
          rejectUpgrade(socket, 500, `unable to upgrade: WebSocket support could not be loaded: ${errorMessage(err)}`);
        },
      )
      .catch((err: unknown) => {
        log.warn({ kind: pending.kind, err: errorMessage(err) }, "WebSocket session failed to start");
        socket.destroy();
      });
  };

  const route: StreamingRoute = {
    request(req: IncomingMessage, res: ServerResponse): boolean {
      const m = match(req);
      if (m === undefined) return false;
      if (req.method !== "GET" && req.method !== "POST") {
        res.writeHead(405, { "content-type": "text/plain", allow: "GET, POST" }).end("method not allowed\n");
        return true;
      }
      if (claim(req, m.kind, m.token) === undefined) {
        res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
        return true;
      }
      res.writeHead(400, { "content-type": "text/plain" }).end("unable to upgrade: missing upgrade headers in request\n");
      return true;
    },
    upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
      const m = match(req);
      if (m === undefined) return false;
      if (req.method !== "GET" && req.method !== "POST") {
        rejectUpgrade(socket, 405, "method not allowed");
        return true;
      }
      const pending = claim(req, m.kind, m.token);
      if (pending === undefined) {
        rejectUpgrade(socket, 404, "not found");
        return true;
      }
      const upgrade = (req.headers.upgrade ?? "").toLowerCase().split(",").map((p) => p.trim());
      if (upgrade.includes("websocket")) handleWebSocket(req, socket, head, pending);
      else if (upgrade.includes("spdy/3.1")) handleSpdy(req, socket, head, pending);
      else rejectUpgrade(socket, 400, `unable to upgrade: unsupported protocol ${JSON.stringify(req.headers.upgrade ?? "")}`);
      return true;
    },
  };

  const url = (kind: Kind, pending: Pending): string => `${opts.baseUrl}/${kind}/${cache.insert(pending)}`;
  return {
    route,
    urls: {
      exec: (spec) => url("exec", { kind: "exec", spec }),
      attach: (spec) => url("attach", { kind: "attach", spec }),
      portForward: (spec) => url("portforward", { kind: "portforward", spec }),
    },
  };
}

/** The idle timeout armed on an upgraded connection's socket (0: none). */
function socketTimeout(socket: Duplex): number {
  return socket instanceof Socket ? (socket.timeout ?? 0) : 0;
}
