import type { StreamingUrls } from "./streaming-runtime.js";

/** What Exec, Attach and PortForward need to know of a container or a sandbox's infra container. */
export interface StreamTarget {
  /** The full Docker id. */
  readonly id: string;
  readonly running: boolean;
  /** Host pid of its main process; 0 when not running. */
  readonly pid: number;
  /** Created with a TTY (attach framing). */
  readonly tty: boolean;
}

/** Everything the Exec, Attach and PortForward RPCs need. */
export interface StreamingDeps {
  /** One-time URLs on the streaming server. */
  readonly urls: StreamingUrls;
  /** Resolves a container id; NotFound when there is no such container. */
  lookupContainer(id: string, signal: AbortSignal): Promise<StreamTarget>;
  /** Resolves a pod sandbox id to its infra container; NotFound when there is no such sandbox. */
  lookupSandbox(id: string, signal: AbortSignal): Promise<StreamTarget>;
}
