/**
 * A fake Docker Engine for failure injection: a real node:http server on a temp unix socket that
 * answers scripted routes. It exists for what the real dockerd cannot be made to do on demand (old
 * or new API versions, 5xx, slow answers, odd upgrades); tests that can use the real daemon should.
 *
 * Routes are tried in order, the test's own before the defaults (`/_ping`, `/version`, `/info`), and
 * match on method and on the path without its query, version prefix included — use `apiPath()` to
 * accept both `/x` and `/v1.NN/x`. Unmatched requests get Docker's 404 `page not found`.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, STATUS_CODES, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Duplex } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { waitFor } from "../kit/wait-for.js";

export interface RecordedRequest {
  readonly method: string;
  /** Path and query as sent, e.g. `/v1.41/containers/json?all=1`. */
  readonly url: string;
  readonly pathname: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  /**
   * The request body as text. For upgrade requests it is whatever arrived with the head, which is
   * the whole JSON body for the small bodies Docker clients send.
   */
  readonly body: string;
}

export interface FakeRoute {
  /** Any method when absent. */
  readonly method?: string;
  /** Tested against the pathname (version prefix included, query excluded). */
  readonly path: RegExp;
  /** Default 200 (101 for upgrade routes). */
  readonly status?: number;
  /** Sent as `application/json`. */
  readonly json?: unknown;
  /** Sent as `text/plain` when there is no `json`. */
  readonly text?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Waits this long before answering; a client that gives up meanwhile gets nothing. */
  readonly delayMs?: number;
  /** Full control over a plain request (after any delay); the fields above are then ignored. */
  readonly handler?: (req: IncomingMessage, res: ServerResponse, recorded: RecordedRequest) => void | Promise<void>;
  /**
   * Answers an upgrade request with `101 UPGRADED` (and `headers`) and hands over the raw socket.
   * Without it, an upgrade request matching this route gets the route's plain status and body.
   */
  readonly upgrade?: (socket: Duplex, recorded: RecordedRequest) => void;
}

export interface FakeEngineOptions {
  /** `ApiVersion` in `/version` and the `Api-Version` header; default "1.41". */
  readonly apiVersion?: string;
  /** `MinAPIVersion` in `/version`; default "1.12". */
  readonly minApiVersion?: string;
  /** `CgroupDriver` in `/info`; default "systemd". */
  readonly cgroupDriver?: string;
  /** `Version` in `/version` and `ServerVersion` in `/info`; default "20.10.24-fake". */
  readonly version?: string;
}

export interface FakeEngine {
  readonly socketPath: string;
  /** `unix://<socketPath>`. */
  readonly endpoint: string;
  /** Every request seen, in arrival order. */
  readonly requests: readonly RecordedRequest[];
  /** Number of client connections accepted so far. */
  readonly connectionCount: number;
  /** Stops the server, drops every connection (upgraded ones too) and removes the socket. */
  close(): Promise<void>;
}

/** `^(/v1.NN)?<path>$` with `path` taken literally. */
export function apiPath(path: string): RegExp {
  const escaped = path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^(?:/v\\d+\\.\\d+)?${escaped}$`);
}

export async function startFakeEngine(routes: readonly FakeRoute[] = [], options: FakeEngineOptions = {}): Promise<FakeEngine> {
  const dir = await mkdtemp(join(tmpdir(), "fake-docker-"));
  const socketPath = join(dir, "docker.sock");
  const apiVersion = options.apiVersion ?? "1.41";
  const version = options.version ?? "20.10.24-fake";
  const allRoutes = [...routes, ...defaultRoutes(apiVersion, options.minApiVersion ?? "1.12", options.cgroupDriver ?? "systemd", version)];
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket | Duplex>();
  const stopping = new AbortController();
  const commonHeaders = { "Api-Version": apiVersion, Server: `Docker/${version} (linux)` };
  let connectionCount = 0;

  const server = createServer((req, res) => {
    void (async () => {
      const recorded = record(req, await readBody(req));
      requests.push(recorded);
      const route = match(allRoutes, recorded);
      if (route === undefined) {
        send(res, 404, commonHeaders, { message: "page not found" });
        return;
      }
      if (route.delayMs !== undefined && !(await delay(route.delayMs, stopping.signal, res))) return;
      if (route.handler !== undefined) {
        await route.handler(req, res, recorded);
        return;
      }
      send(res, route.status ?? 200, { ...commonHeaders, ...route.headers }, route.json, route.text);
    })().catch((err: unknown) => {
      // A failing handler is a bug in the test; answer 500 so it shows instead of hanging.
      if (!res.headersSent) send(res, 500, commonHeaders, { message: `fake engine: ${String(err)}` });
      else res.destroy();
    });
  });

  server.on("connection", (socket: Socket) => {
    connectionCount++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const recorded = record(req, head.toString("utf8"));
    requests.push(recorded);
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    const route = match(allRoutes, recorded);
    void (async () => {
      if (route?.delayMs !== undefined && !(await delay(route.delayMs, stopping.signal, socket))) return;
      if (route?.upgrade !== undefined) {
        socket.write(rawHead(101, "UPGRADED", {
          "Content-Type": "application/vnd.docker.raw-stream",
          Connection: "Upgrade",
          Upgrade: "tcp",
          ...commonHeaders,
          ...route.headers,
        }));
        route.upgrade(socket, recorded);
        return;
      }
      const status = route === undefined ? 404 : (route.status ?? 200);
      const json: unknown = route === undefined ? { message: "page not found" } : route.json;
      const body = json !== undefined ? JSON.stringify(json) : (route?.text ?? "");
      socket.end(rawHead(status, STATUS_CODES[status] ?? "Unknown", {
        "Content-Type": json !== undefined ? "application/json" : "text/plain; charset=utf-8",
        "Content-Length": String(Buffer.byteLength(body)),
        Connection: "close",
        ...commonHeaders,
        ...route?.headers,
      }) + body);
    })();
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => {
      server.off("error", reject);
      resolve();
    });
  });

  return {
    socketPath,
    endpoint: `unix://${socketPath}`,
    requests,
    get connectionCount() {
      return connectionCount;
    },
    async close() {
      stopping.abort();
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => { resolve(); }));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function defaultRoutes(apiVersion: string, minApiVersion: string, cgroupDriver: string, version: string): FakeRoute[] {
  return [
    { method: "GET", path: apiPath("/_ping"), text: "OK", headers: { "Cache-Control": "no-cache, no-store, must-revalidate", Pragma: "no-cache" } },
    { method: "HEAD", path: apiPath("/_ping"), text: "" },
    {
      method: "GET",
      path: apiPath("/version"),
      json: {
        Platform: { Name: "Fake Engine" },
        Version: version,
        ApiVersion: apiVersion,
        MinAPIVersion: minApiVersion,
        GitCommit: "fake",
        GoVersion: "go1.22",
        Os: "linux",
        Arch: "amd64",
        KernelVersion: "6.1.0-fake",
      },
    },
    {
      method: "GET",
      path: apiPath("/info"),
      json: {
        ID: "FAKE:ENGINE",
        Name: "fake-host",
        ServerVersion: version,
        CgroupDriver: cgroupDriver,
        CgroupVersion: "2",
        DockerRootDir: "/var/lib/docker",
        LoggingDriver: "json-file",
        Driver: "overlay2",
        SecurityOptions: ["name=seccomp,profile=default", "name=cgroupns"],
        Runtimes: { runc: { path: "runc" }, "io.containerd.runc.v2": { path: "runc" } },
        DefaultRuntime: "runc",
        OperatingSystem: "Fake Linux",
        OSType: "linux",
        Architecture: "x86_64",
        KernelVersion: "6.1.0-fake",
        NCPU: 4,
        MemTotal: 8_000_000_000,
        Warnings: null,
      },
    },
    // An engine with nothing in it: start-up work that lists (log resumption, state resync) sees no
    // containers or images, and the event stream stays open without events until the client leaves.
    { method: "GET", path: apiPath("/containers/json"), json: [] },
    { method: "GET", path: apiPath("/images/json"), json: [] },
    {
      method: "GET",
      path: apiPath("/events"),
      handler: (_req, res) => {
        res.writeHead(200, { "Content-Type": "application/json", "Api-Version": apiVersion });
        res.flushHeaders();
      },
    },
  ];
}

function match(routes: readonly FakeRoute[], req: RecordedRequest): FakeRoute | undefined {
  return routes.find((r) => (r.method === undefined || r.method === req.method) && r.path.test(req.pathname));
}

function record(req: IncomingMessage, body: string): RecordedRequest {
  const url = req.url ?? "/";
  const parsed = new URL(url, "http://fake");
  return { method: req.method ?? "GET", url, pathname: parsed.pathname, query: parsed.searchParams, headers: req.headers, body };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    if (Buffer.isBuffer(chunk)) chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Sleeps; false when the engine is stopping or the client went away meanwhile. */
async function delay(ms: number, stopping: AbortSignal, conn: ServerResponse | Duplex): Promise<boolean> {
  const gone = new AbortController();
  const onClose = (): void => {
    gone.abort();
  };
  conn.once("close", onClose);
  try {
    await sleep(ms, undefined, { signal: AbortSignal.any([stopping, gone.signal]) });
    return true;
  } catch {
    return false;
  } finally {
    conn.off("close", onClose);
  }
}

function send(res: ServerResponse, status: number, headers: Readonly<Record<string, string>>, json: unknown, text?: string): void {
  // 204 and 304 carry no body by definition; node refuses one.
  if (status === 204 || status === 304) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  const isJson = json !== undefined;
  const body = isJson ? JSON.stringify(json) : (text ?? "");
  res.writeHead(status, {
    "Content-Type": isJson ? "application/json" : "text/plain; charset=utf-8",
    "Content-Length": String(Buffer.byteLength(body)),
    ...headers,
  });
  res.end(body);
}

function rawHead(status: number, reason: string, headers: Readonly<Record<string, string>>): string {
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("");
  return `HTTP/1.1 ${status} ${reason}\r\n${lines}\r\n`;
}

/** A scripted `GET /events`: the test writes the events, the way Docker would send them. */
export interface FakeEventFeed {
  /** Serves `GET /events`; put it among the test's routes (it then shadows the silent default). */
  readonly route: FakeRoute;
  /** Every `GET /events` seen so far, in arrival order. */
  readonly subscriptions: readonly RecordedRequest[];
  /** Writes `event` as one JSON line to every connected subscriber; returns how many got it. */
  emit(event: unknown): number;
  /** Resolves once `count` subscribers are connected at the same time. */
  waitForSubscribers(count?: number, timeoutMs?: number): Promise<void>;
}

export function fakeEventFeed(apiVersion: string): FakeEventFeed {
  const open = new Set<ServerResponse>();
  const subscriptions: RecordedRequest[] = [];
  return {
    route: {
      method: "GET",
      path: apiPath("/events"),
      handler: (_req, res, recorded) => {
        subscriptions.push(recorded);
        // Docker's default event content type (what it sends when the client asks for no other).
        res.writeHead(200, { "Content-Type": "application/json", "Api-Version": apiVersion });
        res.flushHeaders();
        open.add(res);
        res.on("close", () => open.delete(res));
      },
    },
    subscriptions,
    emit(event) {
      const line = `${JSON.stringify(event)}\n`;
      for (const res of open) res.write(line);
      return open.size;
    },
    async waitForSubscribers(count = 1, timeoutMs = 15_000) {
      await waitFor(`${count} event subscribers of the fake engine`, () => open.size >= count, { timeoutMs, intervalMs: 20, detail: () => `${open.size} of ${count}` });
    },
  };
}
