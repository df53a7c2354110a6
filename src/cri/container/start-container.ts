import type { MessageInitShape } from "@bufbuild/protobuf";
import { CriError, errorMessage, toCriError } from "../../errors/index.js";
import type { StartContainerRequest, StartContainerResponseSchema } from "../../gen/index.js";
import type { RpcContext } from "../context.js";
import { containerLogPathLabel } from "../translate/index.js";
import type { ContainerDeps } from "./container-deps.js";
import { locateContainer } from "./locate-container.js";

/**
 * StartContainer: Docker's start (already running is success, as with cri-dockerd), then the log
 * manager starts copying Docker's json-file log into the kubelet's log file. Docker only knows its
 * log file's path once the container has started, hence the second inspect.
 */
export async function startContainer(deps: ContainerDeps, request: StartContainerRequest, ctx: RpcContext): Promise<MessageInitShape<typeof StartContainerResponseSchema>> {
  if (request.containerId === "") throw new CriError("InvalidArgument", "StartContainer needs a container_id");
  const c = await locateContainer(deps, request.containerId, ctx.signal, { fresh: true });
  if (c === undefined) throw new CriError("NotFound", `Container "${request.containerId}" not found`);
  try {
    await deps.containers.start(c.id, ctx.signal);
  } catch (err) {
    throw startFailure(c.id, err);
  }
  // Started again after it exited (Docker allows it): its next exit needs a flush of its own.
  deps.flushedLogs.delete(c.id);
  const criLogPath = c.config.labels[containerLogPathLabel] ?? "";
  if (criLogPath !== "") {
    const started = await deps.containers.inspect(c.id, ctx.signal);
    if (started.logPath === "") {
      ctx.log.warn({ containerId: c.id }, "Docker keeps no log file for this container (its log driver is not json-file); the kubelet's log file stays empty");
    } else {
      try {
        await deps.logs.start(c.id, started.logPath, criLogPath);
      } catch (err) {
        const e = toCriError(err);
        throw new CriError(e.kind, `Container "${c.id}" started, but its log cannot be written to "${criLogPath}": ${e.message}`, { cause: err });
      }
    }
  }
  ctx.log.info({ containerId: c.id }, "Container started");
  return {};
}

/**
 * Docker's start failures carry runc's text; the commonest, a command that is not in the image,
 * is said plainly (Docker already answers it as a bad request), and so is a CDI device no spec defines.
 */
function startFailure(id: string, err: unknown): CriError {
  const e = toCriError(err);
  const text = errorMessage(err);
  const notFound = /exec: "([^"]*)": executable file not found in \$PATH/.exec(text);
  const noFile = /exec: "([^"]*)": (?:stat [^:]*: )?no such file or directory/.exec(text);
  const denied = /exec: "([^"]*)": permission denied/.exec(text);
  // Docker before API 1.50 cannot list its CDI devices, so CreateContainer could not check them.
  const cdi = /unresolvable CDI devices ([^\n]*)/.exec(text);
  let plain: string;
  if (notFound !== null) plain = `the executable "${notFound[1] ?? ""}" was not found in the container's $PATH`;
  else if (noFile !== null) plain = `the executable "${noFile[1] ?? ""}" does not exist in the container`;
  else if (denied !== null) plain = `the file "${denied[1] ?? ""}" is not executable in the container`;
  else if (cdi !== null) plain = `no CDI spec in Docker's CDI spec directories defines the device ${cdi[1] ?? ""}`;
  else return new CriError(e.kind, `Cannot start container "${id}": ${e.message}`, { cause: err });
  return new CriError(e.kind, `Cannot start container "${id}": ${plain} (${text})`, { cause: err });
}
