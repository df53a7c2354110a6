import { PassThrough, type Readable } from "node:stream";
import { Pool, type Dispatcher } from "undici";
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

export interface UndiciTransportOptions {
  /** `unix:///var/run/docker.sock`, `/var/run/docker.sock`, `tcp://host:port` or `http://host:port`. */
  readonly endpoint: string;
  /** Default per-call timeout; a call's `timeoutMs` overrides it, 0 disables it. */
  readonly requestTimeoutMs: number;
  /** Upper bound on pooled keep-alive connections (default 16). */
  readonly connections?: number;
  /** How long an idle pooled connection is kept (default 30 s). */
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
 * DockerTransport over undici: one keep-alive pool to the daemon with one request per connection
 * at a time (pipelining 1: Go's HTTP server handles a connection's requests one after another, so
 * pipelining would only queue a quick inspect behind a slow stop), hijacks on their own node:http
 * connections.
 */
export class UndiciTransport implements DockerTransport {
  readonly endpoint: string;
  readonly #target: DockerEndpoint;
  readonly #pool: Pool;
  readonly #requestTimeoutMs: number;
  readonly #log: Logger;
  #apiVersion: string | undefined;

  constructor(opts: UndiciTransportOptions) {
    this.#target = parseEndpoint(opts.endpoint);
    this.endpoint = this.#target.url;
    this.#requestTimeoutMs = opts.requestTimeoutMs;
    this.#log = opts.log ?? silentLogger();
    const origin = this.#target.kind === "unix" ? "http://docker" : this.#target.url.replace(/^tcp:/, "http:");
    this.#pool = new Pool(origin, {
      connections: opts.connections ?? 16,
      pipelining: 1,
      keepAliveTimeout: opts.keepAliveTimeoutMs ?? 30_000,
      // Timeouts are ours (AbortSignal per call); undici's 300 s defaults would cut idle event
      // streams and long pulls that the caller deliberately runs without one.
      headersTimeout: 0,
      bodyTimeout: 0,
      ...(this.#target.kind === "unix" ? { connect: { socketPath: this.#target.socketPath } } : {}),
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
      const text = await res.body.text();
      this.#trace(opts, p, res.statusCode, started);
      const body = parseResponseBody(text, res.headers["content-type"], opts.operation);
      if (isError(res.statusCode)) throw errorForStatus(opts.operation, res.statusCode, body);
      return { status: res.statusCode, headers: res.headers, body };
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
      this.#trace(opts, p, res.statusCode, started);
      if (isError(res.statusCode)) {
        const body = parseResponseBody(await res.body.text(), res.headers["content-type"], opts.operation);
        throw errorForStatus(opts.operation, res.statusCode, body);
      }
      // The deadline keeps running while the body streams; it is disposed when the body closes.
      return { status: res.statusCode, headers: res.headers, body: withMappedErrors(res.body, p.ctx) };
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

  async close(): Promise<void> {
    await this.#pool.destroy();
  }

  #prepare(opts: DockerRequestOptions): Prepared {
    const timeoutMs = opts.timeoutMs ?? this.#requestTimeoutMs;
    if (!Number.isFinite(timeoutMs) || timeoutMs < 0) {
      throw new CriError("InvalidArgument", `Invalid timeout for Docker "${opts.operation}": ${timeoutMs} ms`);
    }
    const headers: Record<string, string> = { ...opts.headers };
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    if (body !== undefined) headers["content-type"] = "application/json";
    const path = buildRequestPath(opts.path, opts.query, opts.unversioned === true ? undefined : this.#apiVersion);
    // Created last: nothing above may throw after the timer is armed.
    const deadline = new CallDeadline(opts.signal, timeoutMs);
    return { path, headers, body, ctx: { operation: opts.operation, endpoint: this.endpoint, deadline, timeoutMs } };
  }

  #send(opts: DockerRequestOptions, p: Prepared): Promise<Dispatcher.ResponseData> {
    return this.#pool.request({ method: opts.method, path: p.path, headers: p.headers, body: p.body ?? null, signal: p.ctx.deadline.signal });
  }

  #trace(opts: DockerRequestOptions, p: Prepared, status: number, started: number): void {
    this.#log.debug(
      { operation: opts.operation, method: opts.method, path: p.path, status, ms: Math.round(performance.now() - started) },
      "Docker API call",
    );
  }
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
