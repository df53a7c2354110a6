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
    for (const encoded of encodeQueryValue(value)) params.append(name, encoded);
  }
  const qs = params.toString();
  return qs === "" ? `${prefix}${path}` : `${prefix}${path}?${qs}`;
}

/** The values sent for one parameter, each becoming its own `name=value` pair. */
function encodeQueryValue(value: QueryValue): readonly string[] {
  if (value === undefined) return [];
  if (typeof value === "string") return [value];
  if (typeof value === "number") return [String(value)];
  // Docker's BoolValue reads "", "0", "no", "false", "none" as false; the Go client sends "1".
  if (typeof value === "boolean") return [value ? "1" : "0"];
  // Docker reads an array-valued parameter from the repeated key (Go's `r.Form["type"]`), as
  // `/system/df?type=image&type=container`; API 1.42+ answers 400 "unknown object type" to a JSON
  // array. An empty array sends nothing, as Go's url.Values does.
  if (isStringArray(value)) return value;
  // Only parameters the API documents as JSON (`filters`, a `map[string][]string`) are objects.
  return [JSON.stringify(value)];
}

// Array.isArray does not narrow a readonly array type out of a union; this guard does.
function isStringArray(value: QueryValue): value is readonly string[] {
  return Array.isArray(value);
}
