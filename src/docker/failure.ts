import { CriError, errorMessage } from "../errors/index.js";
import type { CallDeadline } from "./call-deadline.js";
import { formatGoDuration } from "./go-duration.js";

export interface FailureContext {
  readonly operation: string;
  /** Canonical endpoint URL, for "cannot connect" messages. */
  readonly endpoint: string;
  readonly deadline: CallDeadline;
  readonly timeoutMs: number;
}

/** Socket errors that mean the daemon is not reachable (or went away mid-call), with plain reasons. */
const unreachable: Readonly<Record<string, string>> = {
  ENOENT: "the socket does not exist; is the docker daemon running?",
  ECONNREFUSED: "connection refused; is the docker daemon running?",
  EACCES: "permission denied",
  EPERM: "permission denied",
  ECONNRESET: "connection reset by the daemon",
  EPIPE: "broken pipe: the daemon closed the connection",
  ETIMEDOUT: "connection timed out",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ENOTFOUND: "host not found",
};

/**
 * Turns whatever a transport call threw into a CriError. An abort (the caller's or our timeout,
 * whichever came first) wins over the socket error the abort itself caused.
 */
export function mapFailure(err: unknown, ctx: FailureContext): CriError {
  if (err instanceof CriError) return err;
  const { operation } = ctx;
  if (ctx.deadline.firedBy === "caller") {
    const reason = ctx.deadline.callerReason;
    if (reason instanceof CriError) return reason;
    // An upstream deadline (e.g. the gRPC call's) surfaces as a TimeoutError reason.
    if (reason instanceof Error && reason.name === "TimeoutError") {
      return new CriError("DeadlineExceeded", `Docker "${operation}" was canceled: the caller's deadline was exceeded`, { cause: err });
    }
    return new CriError("Canceled", `Docker "${operation}" was canceled`, { cause: err });
  }
  if (ctx.deadline.firedBy === "timeout") {
    return new CriError("DeadlineExceeded", `Docker "${operation}" timed out after ${formatGoDuration(ctx.timeoutMs)}`, { cause: err });
  }
  const code = errorCode(err);
  const reason = code === undefined ? undefined : unreachable[code];
  if (reason !== undefined) {
    return new CriError("Unavailable", `Cannot connect to the Docker daemon at ${ctx.endpoint}: ${reason} (${code})`, { cause: err });
  }
  return new CriError("Internal", `Docker "${operation}" failed: ${errorMessage(err)}`, { cause: err });
}

/** The first known socket error code along the cause chain (an error may wrap the socket's). */
function errorCode(err: unknown): string | undefined {
  let cur: unknown = err;
  for (let depth = 0; depth < 4 && typeof cur === "object" && cur !== null; depth++) {
    if ("code" in cur && typeof cur.code === "string" && cur.code in unreachable) return cur.code;
    cur = "cause" in cur ? cur.cause : undefined;
  }
  return undefined;
}
