import { status } from "@grpc/grpc-js";
import type { ErrorKind } from "../errors/index.js";

/** The only mapping from our error kinds to gRPC codes (containerd's instrument layer does the same). */
export const codeOfKind: Readonly<Record<ErrorKind, status>> = {
  NotFound: status.NOT_FOUND,
  AlreadyExists: status.ALREADY_EXISTS,
  InvalidArgument: status.INVALID_ARGUMENT,
  FailedPrecondition: status.FAILED_PRECONDITION,
  ResourceExhausted: status.RESOURCE_EXHAUSTED,
  Unavailable: status.UNAVAILABLE,
  DeadlineExceeded: status.DEADLINE_EXCEEDED,
  Canceled: status.CANCELLED,
  Unimplemented: status.UNIMPLEMENTED,
  Internal: status.INTERNAL,
};

/** Every code's label, made once rather than on every call. */
const codeNames: ReadonlyMap<number, string> = new Map(
  Object.values(status)
    .filter((v): v is status => typeof v === "number")
    .map((code) => [code, status[code].toLowerCase().replace(/(^|_)([a-z])/g, (_m: string, _s: string, c: string) => c.toUpperCase()).replace(/^Ok$/, "OK")]),
);

/** "NOT_FOUND" → "NotFound", the label used in metrics and logs. */
export function codeName(code: number): string {
  return codeNames.get(code) ?? String(code);
}
