import type { MessageInitShape } from "@bufbuild/protobuf";
import { CriError, hasKind } from "../../errors/index.js";
import type { PortForwardRequest, PortForwardResponseSchema } from "../../gen/index.js";
import type { RpcContext } from "../context.js";
import type { StreamingDeps } from "./streaming-deps.js";

/**
 * PortForward: checks the sandbox, then returns a one-time URL on the streaming server. The ports
 * matter only to WebSocket clients; SPDY clients name a port per connection.
 */
export async function portForward(deps: StreamingDeps, req: PortForwardRequest, ctx: RpcContext): Promise<MessageInitShape<typeof PortForwardResponseSchema>> {
  if (req.podSandboxId === "") throw new CriError("InvalidArgument", "Invalid PortForward request: pod_sandbox_id is empty");
  const bad = req.port.find((p) => !Number.isInteger(p) || p < 1 || p > 65535);
  if (bad !== undefined) throw new CriError("InvalidArgument", `Invalid PortForward request: port ${bad} is not between 1 and 65535`);
  let sandbox;
  try {
    sandbox = await deps.lookupSandbox(req.podSandboxId, ctx.signal);
  } catch (err) {
    if (hasKind(err, "NotFound")) throw new CriError("NotFound", `Cannot forward ports of pod sandbox "${req.podSandboxId}": no such sandbox`, { cause: err });
    throw err;
  }
  if (!sandbox.running) throw new CriError("FailedPrecondition", `Cannot forward ports of pod sandbox "${req.podSandboxId}": it is not ready`);
  return { url: deps.urls.portForward({ podSandboxId: sandbox.id, ports: [...req.port] }) };
}
