import type { RuntimeService } from "../../gen/index.js";
import type { ServiceImpl } from "../service-impl.js";
import { attach } from "./attach.js";
import { exec } from "./exec.js";
import { portForward } from "./port-forward.js";
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

/** Exec, Attach, PortForward: validate and hand out a one-time URL on the streaming server. */
export function streamingMethods(deps: StreamingDeps): ServiceImpl<typeof RuntimeService> {
  return {
    exec: (req, ctx) => exec(deps, req, ctx),
    attach: (req, ctx) => attach(deps, req, ctx),
    portForward: (req, ctx) => portForward(deps, req, ctx),
  };
}
