import type { Logger } from "../logger/index.js";

/** What every CRI handler receives besides its request. */
export interface RpcContext {
  /** Aborted when the client cancels or its deadline passes; pass it to every Docker call. */
  readonly signal: AbortSignal;
  /** Child logger bound to rpc, requestId and the request's main id. */
  readonly log: Logger;
  readonly requestId: string;
  /** The client's deadline, if it set one. */
  readonly deadline: Date | undefined;
}
