import type { Logger } from "../logger/index.js";
import type { DockerRequestOptions } from "./transport.js";

/** What every endpoint family of the Docker client is built with. */
export interface DockerClientOptions {
  /** Canonical endpoint, for messages. */
  readonly endpoint: string;
  /** The transport's default per-call timeout; calls that wait on purpose (stop with a grace period) add to it. */
  readonly requestTimeoutMs: number;
  /** A pull that reports no progress for this long is cancelled (used by pullImage). */
  readonly imagePullProgressDeadlineMs: number;
  readonly log: Logger;
}

/** Request options without spelling out an absent signal (exactOptionalPropertyTypes). */
export function call(
  operation: string,
  method: DockerRequestOptions["method"],
  path: string,
  signal: AbortSignal | undefined,
  extra: Partial<Omit<DockerRequestOptions, "operation" | "method" | "path" | "signal">> = {},
): DockerRequestOptions {
  return { operation, method, path, ...extra, ...(signal === undefined ? {} : { signal }) };
}
