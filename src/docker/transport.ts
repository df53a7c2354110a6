import type { Duplex, Readable } from "node:stream";

export type HttpMethod = "GET" | "HEAD" | "POST" | "PUT" | "DELETE";

/**
 * One query parameter. Booleans are sent as "1"/"0" (what Docker's BoolValue parses). An array is
 * sent as the key repeated once per element (`type=image&type=container`), which is how Docker
 * reads every array-valued parameter (`/system/df`'s `type`; `DELETE /images/{name}`'s
 * `platforms`, whose every value is itself a JSON text); an empty array sends nothing. An object is
 * sent as JSON, which is how Docker expects the parameters it documents as JSON, chiefly `filters`
 * (a JSON `map[string][]string`). `undefined` leaves the parameter out.
 */
export type QueryValue =
  | string
  | number
  | boolean
  | readonly string[]
  | Readonly<Record<string, readonly string[]>>
  | undefined;

export type ResponseHeaders = Readonly<Record<string, string | string[] | undefined>>;

export interface DockerRequestOptions {
  /**
   * Bounded, dockershim-style name of the call ("inspect_container", "pull_image", …). It labels
   * metrics and error messages, so it must never contain ids or names.
   */
  readonly operation: string;
  readonly method: HttpMethod;
  /** Path without the `/v1.NN` prefix, starting with "/"; ids in it must already be URI-encoded. */
  readonly path: string;
  readonly query?: Readonly<Record<string, QueryValue>>;
  /** Sent as JSON with `Content-Type: application/json`. */
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
  /**
   * Overrides the transport's default request timeout; 0 disables it for long-running calls (pulls,
   * event and log streams) whose caller enforces its own deadline. For streams the timeout covers
   * the whole body, for hijacks only the wait for the `101`.
   */
  readonly timeoutMs?: number;
  /** Skips the negotiated `/v1.NN` prefix; only API version negotiation itself needs this. */
  readonly unversioned?: boolean;
}

export interface DockerResponse {
  readonly status: number;
  readonly headers: ResponseHeaders;
  /** Parsed JSON for JSON responses, the text for other content, `undefined` for an empty body. */
  readonly body: unknown;
}

export interface DockerStreamResponse {
  readonly status: number;
  readonly headers: ResponseHeaders;
  /** Errors on it are CriErrors; destroying it aborts the request. */
  readonly body: Readable;
}

export interface DockerHijackResponse {
  /**
   * The raw bidirectional pipe after `101`. The caller owns it: it must listen for `error`, and end
   * it (half-close = end of stdin) or destroy it. The call's signal and timeout no longer apply.
   */
  readonly socket: Duplex;
  readonly headers: ResponseHeaders;
  /** Bytes the daemon sent right after the response head; they belong to the stream and come first. */
  readonly head: Buffer;
}

/**
 * The three primitives every Docker call is built on. Implementations map non-2xx statuses and
 * socket failures to CriErrors exactly once, so callers only branch on `kind`.
 */
export interface DockerTransport {
  /** The endpoint in canonical form (`unix:///var/run/docker.sock`, `tcp://host:port`), for messages. */
  readonly endpoint: string;
  /** The negotiated API version, or undefined before negotiation (paths then go unversioned). */
  readonly apiVersion: string | undefined;
  /** From now on every path (unless `unversioned`) is sent as `/v<version><path>`. */
  useApiVersion(version: string): void;
  /** Reads the whole body; 304 is returned, other non-2xx statuses throw. */
  request(opts: DockerRequestOptions): Promise<DockerResponse>;
  /** Resolves once the response head arrives; the body streams (pull progress, events, logs). */
  stream(opts: DockerRequestOptions): Promise<DockerStreamResponse>;
  /** HTTP upgrade to a raw stream (exec start, attach); anything but `101` throws. */
  hijack(opts: DockerRequestOptions): Promise<DockerHijackResponse>;
  /** Destroys pooled connections; in-flight requests fail. */
  close(): Promise<void>;
}
