import type { RuntimeService } from "../../gen/index.js";
import type { ServiceImpl } from "../service-impl.js";

/** Everything the Exec, Attach and PortForward RPCs need. */
export type StreamingDeps = Record<string, never>;

/** Exec, Attach, PortForward: validate and hand out a one-time URL on the streaming server. */
export function streamingMethods(_deps: StreamingDeps): ServiceImpl<typeof RuntimeService> {
  return {};
}
