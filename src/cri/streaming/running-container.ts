import { CriError, hasKind } from "../../errors/index.js";
import type { StreamingDeps, StreamTarget } from "./streaming-deps.js";

/**
 * The container a streaming RPC is about, which must exist (NotFound) and run (FailedPrecondition,
 * as containerd answers; an exec into a stopped container could never start).
 */
export async function runningContainer(deps: StreamingDeps, what: string, containerId: string, signal: AbortSignal): Promise<StreamTarget> {
  let target: StreamTarget;
  try {
    target = await deps.lookupContainer(containerId, signal);
  } catch (err) {
    if (hasKind(err, "NotFound")) throw new CriError("NotFound", `Cannot ${what} container "${containerId}": no such container`, { cause: err });
    throw err;
  }
  if (!target.running) throw new CriError("FailedPrecondition", `Cannot ${what} container "${containerId}": it is not running`);
  return target;
}
