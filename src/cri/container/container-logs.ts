/**
 * Copies each container's output from Docker's json-file log into the kubelet's CRI log file (or,
 * in --container-log-mode=json-symlink, links the two). The shape of src/container-logs' ContainerLogManager:
 * the RPCs depend on this interface only, and app.ts hands them src/container-logs' implementation.
 */
export interface ContainerLogManager {
  /** Start (or resume after a restart) copying the container's output to criLogPath. Idempotent. */
  start(containerId: string, dockerLogPath: string, criLogPath: string): Promise<void>;
  /** Close and reopen criLogPath (after the kubelet rotated it). NotFound if not managed. */
  reopen(containerId: string): Promise<void>;
  /** Flush what Docker wrote and stop copying (container exited or is being removed). */
  stop(containerId: string): Promise<void>;
  /** stop + delete its own bookkeeping; the CRI log file itself is left to the kubelet. */
  forget(containerId: string): Promise<void>;
}
