import { errorMessage } from "../../errors/index.js";
import type { Logger } from "../../logger/index.js";
import type { ContainerDeps } from "./container-deps.js";

/** A flush waits at most this long, so that a slow disk never holds up StopContainer or ContainerStatus. */
const maxFlushWaitMs = 5_000;

/**
 * Tells the log manager that a container's output is complete (it exited, or is being stopped or
 * removed): it copies what is left and stops following. Once per container: ContainerStatus calls
 * this the first time it sees the container exited, so that the kubelet (and critest), which read the
 * log file right after they see EXITED, find the whole output there. Failures are logged, not thrown:
 * the container's state is what the caller asked about.
 */
export async function flushContainerLog(deps: Pick<ContainerDeps, "logs" | "flushedLogs" | "cleanupTimeoutMs">, containerId: string, log: Logger): Promise<void> {
  if (deps.flushedLogs.has(containerId)) return;
  deps.flushedLogs.add(containerId);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => { resolve("timeout"); }, Math.min(maxFlushWaitMs, deps.cleanupTimeoutMs));
  });
  try {
    const outcome = await Promise.race([deps.logs.stop(containerId).then(() => "done" as const), timeout]);
    if (outcome === "timeout") log.warn({ containerId }, "Flushing the container's log is taking long; continuing without waiting");
  } catch (err) {
    log.warn({ containerId, reason: errorMessage(err) }, "Cannot flush the container's log");
  } finally {
    clearTimeout(timer);
  }
}
