import { CriError } from "../errors/index.js";
import type { QueryValue } from "./transport.js";

/**
 * The path sent on the wire: the negotiated version prefix (unless none yet, or `unversioned`),
 * the caller's path and the encoded query.
 */
export function buildRequestPath(
  path: string,
  query: Readonly<Record<string, QueryValue>> | undefined,
  apiVersion: string | undefined,
): string {
  if (!path.startsWith("/")) {
    throw new CriError("InvalidArgument", `Invalid Docker API path "${path}": it must start with "/"`);
  }
  const prefix = apiVersion === undefined ? "" : `/v${apiVersion}`;
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query ?? {})) {
    const encoded = encodeQueryValue(value);
    if (encoded !== undefined) params.append(name, encoded);
  }
  const qs = params.toString();
  return qs === "" ? `${prefix}${path}` : `${prefix}${path}?${qs}`;
}

function encodeQueryValue(value: QueryValue): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "string") return value;
  if (typeof value === "number") return String(value);
  // Docker's BoolValue reads "", "0", "no", "false", "none" as false; the Go client sends "1".
  if (typeof value === "boolean") return value ? "1" : "0";
  // `filters` and friends are JSON objects (map[string][]string) or arrays in the query string.
  return JSON.stringify(value);
}
