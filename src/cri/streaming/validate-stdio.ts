import { CriError } from "../../errors/index.js";

interface StdioRequest {
  readonly containerId: string;
  readonly tty: boolean;
  readonly stdin: boolean;
  readonly stdout: boolean;
  readonly stderr: boolean;
}

/**
 * The checks the kubelet's streaming server makes on Exec and Attach before handing out a URL: a
 * container id; not tty together with stderr (a terminal has one output, stderr is merged into
 * it); at least one stream, or there would be nothing to connect.
 */
export function validateStdio(rpc: "Exec" | "Attach", req: StdioRequest): void {
  if (req.containerId === "") throw new CriError("InvalidArgument", `Invalid ${rpc} request: container_id is empty`);
  if (req.tty && req.stderr) {
    throw new CriError("InvalidArgument", `Invalid ${rpc} request: tty and stderr cannot both be set (a TTY merges stderr into stdout)`);
  }
  if (!req.stdin && !req.stdout && !req.stderr) {
    throw new CriError("InvalidArgument", `Invalid ${rpc} request: one of stdin, stdout and stderr must be set`);
  }
}
