import { CriError } from "../errors/index.js";

/**
 * Docker answers JSON for almost everything, plain text for `/_ping` and from some proxies; an
 * empty body (204, 304) is `undefined`. Broken JSON under a JSON content type is the daemon's fault.
 */
export function parseResponseBody(text: string, contentType: string | string[] | undefined, operation: string): unknown {
  if (text === "") return undefined;
  const type = (Array.isArray(contentType) ? contentType[0] : contentType) ?? "";
  if (!/[/+]json\b/i.test(type)) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new CriError("Internal", `Docker "${operation}" returned invalid JSON: ${text.slice(0, 200)}`, { cause: err });
  }
}
