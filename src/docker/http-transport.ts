import { Agent, request as httpRequest, type IncomingMessage } from "node:http";
import { PassThrough, type Readable } from "node:stream";
import { CriError } from "../errors/index.js";
import { silentLogger, type Logger } from "../logger/index.js";
import { CallDeadline } from "./call-deadline.js";
import { parseEndpoint, type DockerEndpoint } from "./endpoint.js";
import { mapFailure, type FailureContext } from "./failure.js";
import { hijackRequest } from "./hijack-request.js";
import { buildRequestPath } from "./request-path.js";
import { parseResponseBody } from "./response-body.js";
import { errorForStatus } from "./status-error.js";
import type {
  DockerHijackResponse,
  DockerRequestOptions,
  DockerResponse,
  DockerStreamResponse,
  DockerTransport,
} from "./transport.js";

export interface HttpTransportOptions {
  /** `unix:///var/run/docker.sock`, `/var/run/docker.sock`, `tcp://host:port` or `http://host:port`. */
  readonly endpoint: string;
  /** Default per-call timeout; a call's `timeoutMs` overrides it, 0 disables it. */
  readonly requestTimeoutMs: number;
  /** Upper bound on keep-alive connections to the daemon (default 16); further calls wait for one. */
  readonly connections?: number;
  /** How long an idle kept-alive connection is kept (default 30 s). */
  readonly keepAliveTimeoutMs?: number;
  readonly log?: Logger;
}

/** Everything one call needs, computed once from its options. */
interface Prepared {
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string | undefined;
  readonly ctx: FailureContext;
}

/**
 * DockerTransport over Node's own HTTP client: one keep-alive agent to the daemon, one request per
 * connection at a time (Go's HTTP server answers a connection's requests one after another, so
 * pipelining would only queue a quick inspect behind a slow stop), hijacks on connections of their
 * own. Node's built-in client parses HTTP natively; undici, used before, compiles its WebAssembly
 * parser at the first call, which cost about 20 MiB of resident memory for the life of the process.
 */
export class HttpTransport implements DockerTransport {
  readonly endpoint: string;
  readonly #target: DockerEndpoint;
  readonly #agent: Agent;
  readonly #requestTimeoutMs: number;
  readonly #log: Logger;
  #apiVersion: string | undefined;

  constructor(opts: HttpTransportOptions) {
    this.#target = parseEndpoint(opts.endpoint);
    this.endpoint = this.#target.url;
    this.#requestTimeoutMs = opts.requestTimeoutMs;
    this.#log = opts.log ?? silentLogger();
    const connections = opts.connections ?? 16;
    this.#agent = new Agent({
      keepAlive: true,
      maxSockets: connections,
      maxFreeSockets: connections,
      // Node's agent applies this idle timeout to kept-alive sockets only: on a socket in use it
      // just emits "timeout", which nothing here listens to, so idle event streams and long pulls
      // (run without a deadline on purpose) are never cut by it. Call timeouts are ours (CallDeadline).
      timeout: opts.keepAliveTimeoutMs ?? 30_000,
      scheduling: "lifo",
    });
  }

  get apiVersion(): string | undefined {
    return this.#apiVersion;
  }

  useApiVersion(version: string): void {
    this.#apiVersion = version;
  }

  async request(opts: DockerRequestOptions): Promise<DockerResponse> {
    const p = this.#prepare(opts);
    const started = performance.now();
    try {
      const res = await this.#send(opts, p);
      const status = res.statusCode ?? 0;
      const text = await readText(res);
      this.#trace(opts, p, status, started);
      const body = parseResponseBody(text, res.headers["content-type"], opts.operation);
      if (isError(status)) throw errorForStatus(opts.operation, status, body);
      return { status, headers: res.headers, body };
    } catch (err) {
      throw mapFailure(err, p.ctx);
    } finally {
      p.ctx.deadline.dispose();
    }
  }

  async stream(opts: DockerRequestOptions): Promise<DockerStreamResponse> {
    const p = this.#prepare(opts);
    const started = performance.now();
    try {
      const res = await this.#send(opts, p);
      const status = res.statusCode ?? 0;
      this.#trace(opts, p, status, started);
      if (isError(status)) {
        const body = parseResponseBody(await readText(res), res.headers["content-type"], opts.operation);
        throw errorForStatus(opts.operation, status, body);
      }
      // The deadline keeps running while the body streams; it is disposed when the body closes.
      return { status, headers: res.headers, body: withMappedErrors(res, p.ctx) };
    } catch (err) {
      p.ctx.deadline.dispose();
      throw mapFailure(err, p.ctx);
    }
  }

  async hijack(opts: DockerRequestOptions): Promise<DockerHijackResponse> {
    const p = this.#prepare(opts);
    const started = performance.now();
    try {
      const res = await hijackRequest(this.#target, { method: opts.method, path: p.path, headers: p.headers, body: p.body }, p.ctx);
      this.#trace(opts, p, 101, started);
      return res;
    } finally {
      // After 101 the socket is the caller's: neither our timeout nor the signal governs it any more.
      p.ctx.deadline.dispose();
    }
  }

  close(): Promise<void> {
    this.#agent.destroy();
    return Promise.resolve();
  }

  #prepare(opts: DockerRequestOptions): Prepared {
    const timeoutMs = opts.timeoutMs ?? this.#requestTimeoutMs;
    if (!Number.isFinite(timeoutMs) || timeoutMs < 0) {
      throw new CriError("InvalidArgument", `Invalid timeout for Docker "${opts.operation}": ${timeoutMs} ms`);
    }
    const headers: Record<string, string> = { ...opts.headers };
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    if (body !== undefined) {
      headers["content-type"] = "application/json";
      headers["content-length"] = String(Buffer.byteLength(body));
    }
    const path = buildRequestPath(opts.path, opts.query, opts.unversioned === true ? undefined : this.#apiVersion);
    // Created last: nothing above may throw after the timer is armed.
    const deadline = new CallDeadline(opts.signal, timeoutMs);
    return { path, headers, body, ctx: { operation: opts.operation, endpoint: this.endpoint, deadline, timeoutMs } };
  }

  /** Resolves with the response head; the body is the caller's to read or destroy. */
  #send(opts: DockerRequestOptions, p: Prepared): Promise<IncomingMessage> {
    const target = this.#target;
    return new Promise((resolve, reject) => {
      const req = httpRequest({
        agent: this.#agent,
        ...(target.kind === "unix" ? { socketPath: target.socketPath } : { host: target.host, port: target.port }),
        method: opts.method,
        path: p.path,
        headers: p.headers,
        // Aborting destroys the request and its socket, also while the body is still arriving.
        signal: p.ctx.deadline.signal,
      });
      // Stays attached after the response: a late error on the request must never go unheard.
      req.on("error", reject);
      req.on("response", resolve);
      req.end(p.body);
    });
  }

  #trace(opts: DockerRequestOptions, p: Prepared, status: number, started: number): void {
    this.#log.debug(
      { operation: opts.operation, method: opts.method, path: p.path, status, ms: Math.round(performance.now() - started) },
      "Docker API call",
    );
  }
}

/** The whole body as UTF-8 text; an error or a connection lost mid-body rejects. */
function readText(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on("data", (chunk: Buffer) => chunks.push(chunk));
    res.on("error", reject);
    res.on("end", () => {
      resolve(chunks.length === 1 ? (chunks[0] ?? Buffer.alloc(0)).toString("utf8") : Buffer.concat(chunks).toString("utf8"));
    });
  });
}

/** 304 (already started/stopped) is an answer, not a failure; everything else outside 2xx is. */
function isError(status: number): boolean {
  return (status < 200 || status >= 300) && status !== 304;
}

/**
 * Wraps a response body so that its errors (abort, timeout, socket reset mid-stream) reach the
 * consumer as CriErrors, and destroying the wrapper aborts the underlying request.
 */
function withMappedErrors(body: Readable, ctx: FailureContext): Readable {
  const out = new PassThrough();
  body.on("error", (err: unknown) => {
    out.destroy(mapFailure(err, ctx));
  });
  out.on("close", () => {
    ctx.deadline.dispose();
    if (!body.destroyed) body.destroy();
  });
  body.pipe(out);
  return out;
}
