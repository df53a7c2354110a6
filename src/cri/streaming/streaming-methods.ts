import type { RuntimeService } from "../../gen/index.js";
import type { ServiceImpl } from "../service-impl.js";
import { attach } from "./attach.js";
import { exec } from "./exec.js";
import { portForward } from "./port-forward.js";
import type { StreamingDeps } from "./streaming-deps.js";

/** Exec, Attach, PortForward: validate and hand out a one-time URL on the streaming server. */
export function streamingMethods(deps: StreamingDeps): ServiceImpl<typeof RuntimeService> {
  return {
    exec: (req, ctx) => exec(deps, req, ctx),
    attach: (req, ctx) => attach(deps, req, ctx),
    portForward: (req, ctx) => portForward(deps, req, ctx),
  };
}
