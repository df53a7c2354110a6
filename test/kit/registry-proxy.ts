/**
 * A registry front on 127.0.0.1 that forwards to a real local registry and can misbehave on purpose:
 * stall blob downloads (send part of a layer, then nothing, keeping the connection open), delay them,
 * or demand bearer tokens the way token-auth registries do (a `WWW-Authenticate: Bearer` challenge and
 * an OAuth token endpoint trading an identity token, i.e. a refresh token, for an access token). It
 * records every request so tests can count what Docker actually asked the registry.
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";

export interface BearerAuth {
  /** Accepted as is in `Authorization: Bearer …` (CRI AuthConfig.registry_token). */
  readonly registryToken: string;
  /** Accepted as `refresh_token` at the token endpoint (CRI AuthConfig.identity_token). */
  readonly identityToken: string;
}

export interface RegistryProxyOptions {
  /** The real registry, "127.0.0.1:<port>". */
  readonly upstream: string;
  /** Blobs larger than this: send this many bytes of the body, then stall until the proxy stops. */
  readonly stallBlobsAfterBytes?: number;
  /** Hold every blob response this long before forwarding it. */
  readonly delayBlobsMs?: number;
  readonly bearer?: BearerAuth;
}

export interface ProxiedRequest {
  readonly method: string;
  readonly path: string;
  /** The Authorization scheme the client sent ("Bearer", "Basic", or ""). */
  readonly authScheme: string;
}

export interface RegistryProxy {
  readonly host: string;
  readonly port: number;
  readonly requests: readonly ProxiedRequest[];
  /**
   * GET and HEAD requests for manifests of `repository` (e.g. "run1/app") by tag: each Docker pull
   * resolves its tag at least once, while manifests by digest may come from Docker's own cache.
   */
  tagRequests(repository: string): number;
  /** Blob downloads that were stalled. */
  readonly stalled: number;
  /** Stalled downloads whose client (dockerd) has not hung up yet. */
  readonly openStalls: number;
  stop(): Promise<void>;
}

const accessTokenPrefix = "access-";

export async function startRegistryProxy(options: RegistryProxyOptions): Promise<RegistryProxy> {
  const [upstreamHost, upstreamPort] = options.upstream.split(":");
  const requests: ProxiedRequest[] = [];
  const sockets = new Set<Socket>();
  const held = new Set<IncomingMessage>();
  let stalled = 0;
  let openStalls = 0;
  let port = 0;

  const server = createServer((req, res) => {
    const path = req.url ?? "/";
    const auth = req.headers.authorization ?? "";
    requests.push({ method: req.method ?? "GET", path, authScheme: auth.split(" ")[0] ?? "" });
    if (options.bearer !== undefined) {
      if (path.startsWith("/token")) {
        tokenEndpoint(req, res, options.bearer);
        return;
      }
      if (!acceptsBearer(auth, options.bearer)) {
        res.writeHead(401, {
          "Content-Type": "application/json",
          "Docker-Distribution-Api-Version": "registry/2.0",
          "WWW-Authenticate": `Bearer realm="http://127.0.0.1:${port}/token",service="docker-cri-test"`,
        });
        res.end(JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] }));
        return;
      }
    }
    const isBlob = /^\/v2\/.+\/blobs\/sha256:[a-f0-9]+$/.test(path) && req.method === "GET";
    const forward = (): void => {
      const headers = { ...req.headers };
      // The real registry behind us has no auth of its own.
      delete headers.authorization;
      const up = request({ host: upstreamHost, port: Number(upstreamPort), method: req.method, path, headers }, (upRes) => {
        const length = Number(upRes.headers["content-length"] ?? "0");
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        if (isBlob && options.stallBlobsAfterBytes !== undefined && length > options.stallBlobsAfterBytes) {
          stalled++;
          openStalls++;
          res.on("close", () => { openStalls--; });
          held.add(upRes);
          sendPartThenStall(upRes, res, options.stallBlobsAfterBytes);
          return;
        }
        upRes.pipe(res);
      });
      up.on("error", () => { res.destroy(); });
      req.pipe(up);
    };
    if (isBlob && options.delayBlobsMs !== undefined) setTimeout(forward, options.delayBlobsMs);
    else forward();
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const addr = server.address();
  if (addr === null || typeof addr === "string") throw new Error("no address");
  port = addr.port;

  return {
    host: `127.0.0.1:${port}`,
    port,
    requests,
    tagRequests(repository) {
      const prefix = `/v2/${repository}/manifests/`;
      return requests.filter((r) => (r.method === "GET" || r.method === "HEAD") && r.path.startsWith(prefix) && !r.path.startsWith(`${prefix}sha256:`)).length;
    },
    get stalled() {
      return stalled;
    },
    get openStalls() {
      return openStalls;
    },
    async stop() {
      // Stalled responses never end on their own.
      for (const s of sockets) s.destroy();
      for (const r of held) r.destroy();
      await new Promise<void>((resolve) => { server.close(() => { resolve(); }); });
    },
  };
}

function acceptsBearer(header: string, bearer: BearerAuth): boolean {
  if (!header.startsWith("Bearer ")) return false;
  const token = header.slice("Bearer ".length);
  return token === bearer.registryToken || token === `${accessTokenPrefix}${bearer.identityToken}`;
}

/** The OAuth2 token endpoint of the distribution token spec: POST refresh_token grant → access_token. */
function tokenEndpoint(req: IncomingMessage, res: ServerResponse, bearer: BearerAuth): void {
  let body = "";
  req.setEncoding("utf8");
  req.on("data", (c: string) => { body += c; });
  req.on("end", () => {
    const form = new URLSearchParams(body);
    if (req.method === "POST" && form.get("grant_type") === "refresh_token" && form.get("refresh_token") === bearer.identityToken) {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ access_token: `${accessTokenPrefix}${bearer.identityToken}`, expires_in: 300, refresh_token: bearer.identityToken }));
      return;
    }
    res.writeHead(401, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "bad token request" }] }));
  });
}

/** Forwards the first `limit` bytes, then stops reading upstream and never ends the response. */
function sendPartThenStall(upRes: IncomingMessage, res: ServerResponse, limit: number): void {
  let sent = 0;
  upRes.on("data", (chunk: Buffer) => {
    if (sent >= limit) return;
    const part = chunk.subarray(0, limit - sent);
    sent += part.length;
    res.write(part);
    if (sent >= limit) upRes.pause();
  });
}
