import { CriError, toCriError } from "./cri-error.js";

/**
 * Says what the caller was doing in front of an error's message, keeping its kind (a Docker 409
 * "is not running" stays FailedPrecondition) and the error itself as the cause: `${context}: ${message}`.
 * `detail` stands instead of the error's own message where the caller has a plainer one.
 */
export function withContext(err: unknown, context: string, detail?: string): CriError {
  const e = toCriError(err);
  return new CriError(e.kind, `${context}: ${detail ?? e.message}`, { cause: err });
}
