import type { MessageInitShape } from "@bufbuild/protobuf";
import { CriError } from "../../errors/index.js";
import type { ExecRequest, ExecResponseSchema } from "../../gen/index.js";
import type { RpcContext } from "../context.js";
import { checkCommand } from "../translate/index.js";
import { runningContainer } from "./running-container.js";
import type { StreamingDeps } from "./streaming-deps.js";
import { validateStdio } from "./validate-stdio.js";

/**
 * Exec: checks the request and the container, then returns a one-time URL on the streaming server
 * where the command runs once the client connects (the command does not start here).
 */
export async function exec(deps: StreamingDeps, req: ExecRequest, ctx: RpcContext): Promise<MessageInitShape<typeof ExecResponseSchema>> {
  validateStdio("Exec", req);
  if (req.cmd.length === 0) throw new CriError("InvalidArgument", "Invalid Exec request: cmd is empty");
  checkCommand("Exec cmd", req.cmd);
  const target = await runningContainer(deps, "exec in", req.containerId, ctx.signal);
  const url = deps.urls.exec({ containerId: target.id, cmd: [...req.cmd], tty: req.tty, stdin: req.stdin, stdout: req.stdout, stderr: req.stderr });
  ctx.log.debug({ cmd: req.cmd, tty: req.tty }, "Exec URL issued");
  return { url };
}
