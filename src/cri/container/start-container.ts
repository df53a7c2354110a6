import type { MessageInitShape } from "@bufbuild/protobuf";
import { dockerApiErrorOf, type StartRefusal } from "../../docker/index.js";
import { CriError, errorMessage, withContext } from "../../errors/index.js";
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
        throw withContext(err, `Container "${c.id}" started, but its log cannot be written to "${criLogPath}"`);
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
  const refusal = dockerApiErrorOf(err)?.startRefusal;
  return withContext(err, `Cannot start container "${id}"`, refusal === undefined ? undefined : `${plainRefusal(refusal)} (${errorMessage(err)})`);
}

function plainRefusal(refusal: StartRefusal): string {
  switch (refusal.reason) {
    case "executable-not-in-path":
      return `the executable "${refusal.executable}" was not found in the container's $PATH`;
    case "executable-missing":
      return `the executable "${refusal.executable}" does not exist in the container`;
    case "not-executable":
      return `the file "${refusal.executable}" is not executable in the container`;
    case "unresolvable-cdi-devices":
      return `no CDI spec in Docker's CDI spec directories defines the device ${refusal.devices}`;
  }
}
