/**
 * A tiny Docker Engine API client for tests, over the unix socket with node:http. It is deliberately
 * independent of src/docker: tests use it to set up and inspect Docker state behind the daemon's back,
 * so a bug in the daemon's client cannot hide itself.
 *
 * Paths are unversioned ("/containers/json", not "/v1.41/containers/json"): the engine then serves its
 * own current API version. Pinning 1.41 would break on Docker 29+, whose minimum API version is 1.44.
 */
import { request } from "node:http";

/**
 * The engine the tests use: the system one, or the one `npm run test:engines` points them at with
 * DOCKER_CRI_TEST_DOCKER_SOCKET (the path of its unix socket; test/kit/daemon.ts gives docker-cri the
 * same one as --docker-endpoint).
 */
export const DEFAULT_DOCKER_SOCKET = testDockerSocket(process.env.DOCKER_CRI_TEST_DOCKER_SOCKET);

/** DOCKER_CRI_TEST_DOCKER_SOCKET's value, or /var/run/docker.sock when it is unset or empty. */
export function testDockerSocket(value: string | undefined): string {
  if (value === undefined || value === "") return "/var/run/docker.sock";
  if (value.startsWith("unix://")) return value.slice("unix://".length);
  if (!value.startsWith("/")) throw new Error(`DOCKER_CRI_TEST_DOCKER_SOCKET must be an absolute socket path, got "${value}"`);
  return value;
}

export type QueryValue = string | number | boolean | readonly string[];

export interface DockerRequest {
  readonly method: "GET" | "POST" | "DELETE" | "HEAD" | "PUT";
  /** Unversioned API path, e.g. "/containers/create". */
  readonly path: string;
  readonly query?: Readonly<Record<string, QueryValue | undefined>>;
  /** A Buffer is sent as is (content type application/x-tar); anything else is sent as JSON. */
  readonly body?: unknown;
  readonly socketPath?: string;
  readonly signal?: AbortSignal;
  /** Abort the request after this many milliseconds, default 120 000. */
  readonly timeoutMs?: number;
}

export interface DockerResponse {
  readonly status: number;
  readonly body: Buffer;
}

/** A non-2xx answer from the engine; `message` carries the engine's own explanation. */
export class DockerApiError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.name = "DockerApiError";
    this.status = status;
  }
}

/** Sends one request and returns status and body, whatever the status. */
export async function dockerRequest(req: DockerRequest): Promise<DockerResponse> {
  const path = req.path + queryString(req.query);
  const timeout = AbortSignal.timeout(req.timeoutMs ?? 120_000);
  const signal = req.signal === undefined ? timeout : AbortSignal.any([req.signal, timeout]);
  let payload: Buffer | undefined;
  const headers: Record<string, string> = {};
  if (Buffer.isBuffer(req.body)) {
    payload = req.body;
    headers["Content-Type"] = "application/x-tar";
  } else if (req.body !== undefined) {
    payload = Buffer.from(JSON.stringify(req.body), "utf8");
    headers["Content-Type"] = "application/json";
  }
  if (payload !== undefined) headers["Content-Length"] = String(payload.length);

  return new Promise<DockerResponse>((resolve, reject) => {
    const r = request(
      { socketPath: req.socketPath ?? DEFAULT_DOCKER_SOCKET, method: req.method, path, headers, signal },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () => {
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) });
        });
      },
    );
    r.on("error", (err) => {
      reject(new Error(`Docker request ${req.method} ${req.path} failed: ${err.message}`, { cause: err }));
    });
    r.end(payload);
  });
}

/** Sends one request, throws DockerApiError on a non-2xx status, returns the parsed JSON body (or undefined). */
export async function dockerJson(req: DockerRequest): Promise<unknown> {
  const res = await dockerRequest(req);
  if (res.status < 200 || res.status > 299) {
    throw new DockerApiError(res.status, `Docker ${req.method} ${req.path} failed with status ${res.status}: ${errorMessage(res.body)}`);
  }
  const text = res.body.toString("utf8").trim();
  if (text === "") return undefined;
  return JSON.parse(text) as unknown;
}

/**
 * Reads a streamed JSON progress answer (image import, pull, build): a 2xx status can still end with an
 * `{"error": …}` object, which is thrown here. Returns the parsed messages.
 */
export async function dockerJsonStream(req: DockerRequest): Promise<unknown[]> {
  const res = await dockerRequest(req);
  if (res.status < 200 || res.status > 299) {
    throw new DockerApiError(res.status, `Docker ${req.method} ${req.path} failed with status ${res.status}: ${errorMessage(res.body)}`);
  }
  const messages: unknown[] = [];
  for (const line of res.body.toString("utf8").split(/\r?\n/)) {
    if (line.trim() === "") continue;
    const msg = JSON.parse(line) as unknown;
    messages.push(msg);
    if (isRecord(msg) && typeof msg.error === "string") {
      throw new DockerApiError(res.status, `Docker ${req.method} ${req.path} failed: ${msg.error}`);
    }
  }
  return messages;
}

/**
 * Splits a non-TTY attach/logs stream into stdout and stderr: frames of an 8-byte header
 * (stream type, 3 zero bytes, big-endian length) followed by the payload.
 */
export function demuxDockerStream(data: Buffer): { stdout: string; stderr: string } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= data.length) {
    const kind = data[offset];
    const length = data.readUInt32BE(offset + 4);
    const payload = data.subarray(offset + 8, offset + 8 + length);
    if (kind === 2) err.push(payload);
    else out.push(payload);
    offset += 8 + length;
  }
  return { stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function errorMessage(body: Buffer): string {
  const text = body.toString("utf8").trim();
  try {
    const parsed: unknown = JSON.parse(text);
    if (isRecord(parsed) && typeof parsed.message === "string") return parsed.message;
  } catch {
    // Not JSON: fall through to the raw text.
  }
  return text === "" ? "empty body" : text;
}

function queryString(query: DockerRequest["query"]): string {
  if (query === undefined) return "";
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (typeof value === "string") params.append(key, value);
    else if (typeof value === "number" || typeof value === "boolean") params.append(key, String(value));
    else for (const v of value) params.append(key, v);
  }
  const s = params.toString();
  return s === "" ? "" : `?${s}`;
}
