import { request as httpRequest, type IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { CriError } from "../errors/index.js";
import type { DockerEndpoint } from "./endpoint.js";
import { mapFailure, type FailureContext } from "./failure.js";
import { parseResponseBody } from "./response-body.js";
import { errorForStatus } from "./status-error.js";
import type { DockerHijackResponse, HttpMethod } from "./transport.js";

export interface HijackInit {
  readonly method: HttpMethod;
  /** Full path including version prefix and query. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | undefined;
}

/** Docker's error bodies are small; a misbehaving peer must not make us buffer without bound. */
const maxErrorBody = 64 * 1024;

/**
 * An HTTP upgrade (`Connection: Upgrade`, `Upgrade: tcp`) on a fresh connection of its own: after
 * `101` the socket becomes a raw pipe that can never go back into a pool, so the transport's keep-alive
 * agent is not used. The current Go client treats any answer but 101 as an error, and so do we.
 */
export function hijackRequest(target: DockerEndpoint, init: HijackInit, ctx: FailureContext): Promise<DockerHijackResponse> {
  // The caller's signal combined with the timeout; it governs only the wait for `101`.
  const signal = ctx.deadline.signal;
  return new Promise((resolve, reject) => {
    let settled = false;
    const req = httpRequest({
      ...(target.kind === "unix" ? { socketPath: target.socketPath } : { host: target.host, port: target.port }),
      method: init.method,
      path: init.path,
      headers: {
        ...init.headers,
        // Explicit, never chunked: the daemon decodes the JSON and then hijacks, so an unread chunk
        // terminator could be left at the start of the raw stream and reach the process as stdin.
        ...(init.body === undefined ? {} : { "Content-Length": String(Buffer.byteLength(init.body)) }),
        Connection: "Upgrade",
        Upgrade: "tcp",
      },
      agent: false,
    });

    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      signal.removeEventListener("abort", onAbort);
      return true;
    };
    const fail = (err: unknown): void => {
      if (!settle()) return;
      req.destroy();
      reject(mapFailure(err, ctx));
    };
    const onAbort = (): void => {
      fail(signal.reason);
    };

    req.on("upgrade", (res: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (!settle()) {
        socket.destroy();
        return;
      }
      resolve({ socket, headers: res.headers, head });
    });
    req.on("response", (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      if (status >= 200 && status < 300) {
        // Docker hijacks with 200 when the upgrade headers are missing; we sent them, so this is a
        // peer (proxy?) that does not upgrade. Its body would never end: do not read it.
        res.destroy();
        fail(new CriError("Internal", `Docker "${ctx.operation}" failed: expected 101 Switching Protocols for a hijacked stream, got ${status}`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size <= maxErrorBody) chunks.push(chunk);
      });
      res.on("error", fail);
      res.on("end", () => {
        try {
          const body = parseResponseBody(Buffer.concat(chunks).toString("utf8"), res.headers["content-type"], ctx.operation);
          fail(errorForStatus(ctx.operation, status, body));
        } catch (err) {
          fail(err);
        }
      });
    });
    req.on("error", fail);

    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener("abort", onAbort, { once: true });
    req.end(init.body);
  });
}
