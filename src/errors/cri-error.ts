/**
 * The closed set of error kinds every layer throws. Only the gRPC boundary (src/server) turns a kind
 * into a status code; everything below branches on `kind`, never on message text.
 */
export const errorKinds = [
  "NotFound",
  "AlreadyExists",
  "InvalidArgument",
  "FailedPrecondition",
  "ResourceExhausted",
  "Unavailable",
  "DeadlineExceeded",
  "Canceled",
  "Unimplemented",
  "Internal",
] as const;

export type ErrorKind = (typeof errorKinds)[number];

/** An error with a kind, a sentence-case message saying what failed and why, and its cause. */
export class CriError extends Error {
  readonly kind: ErrorKind;

  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "CriError";
    this.kind = kind;
  }
}

export function isCriError(err: unknown): err is CriError {
  return err instanceof CriError;
}

/** True when `err` is a CriError of one of the given kinds. */
export function hasKind(err: unknown, ...kinds: ErrorKind[]): err is CriError {
  return err instanceof CriError && kinds.includes(err.kind);
}

/** Message of any thrown value, for wrapping it into a CriError. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** A Node system error's `code` ("ENOENT", "ECONNREFUSED"), when the thrown value has one. */
export function errnoCode(err: unknown): string | undefined {
  const code: unknown = typeof err === "object" && err !== null ? Reflect.get(err, "code") : undefined;
  return typeof code === "string" ? code : undefined;
}

/**
 * Wraps any thrown value: CriErrors pass through; an abort (AbortError) is Canceled and a timeout
 * (AbortSignal.timeout's TimeoutError) DeadlineExceeded; the rest become Internal. The cause is kept.
 */
export function toCriError(err: unknown, context?: string): CriError {
  if (err instanceof CriError) return err;
  if (err instanceof Error && err.name === "AbortError") {
    return new CriError("Canceled", context === undefined ? "Request was canceled" : `${context}: request was canceled`, { cause: err });
  }
  if (err instanceof Error && err.name === "TimeoutError") {
    return new CriError("DeadlineExceeded", context === undefined ? "Request timed out" : `${context}: request timed out`, { cause: err });
  }
  const msg = errorMessage(err);
  return new CriError("Internal", context === undefined ? msg : `${context}: ${msg}`, { cause: err });
}
