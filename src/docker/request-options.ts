import type { DockerRequestOptions } from "./transport.js";

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
