import type { MessageInitShape } from "@bufbuild/protobuf";
import type { AttachRequest, AttachResponseSchema } from "../../gen/index.js";
import type { RpcContext } from "../context.js";
import { runningContainer } from "./running-container.js";
import type { StreamingDeps } from "./streaming-deps.js";
import { validateStdio } from "./validate-stdio.js";

/** Attach: checks the request and the container, then returns a one-time URL on the streaming server. */
export async function attach(deps: StreamingDeps, req: AttachRequest, ctx: RpcContext): Promise<MessageInitShape<typeof AttachResponseSchema>> {
  validateStdio("Attach", req);
  const target = await runningContainer(deps, "attach to", req.containerId, ctx.signal);
  return { url: deps.urls.attach({ containerId: target.id, tty: req.tty, stdin: req.stdin, stdout: req.stdout, stderr: req.stderr }) };
}
