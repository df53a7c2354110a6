import type { MessageInitShape } from "@bufbuild/protobuf";
import { CriError, hasKind, withContext } from "../../errors/index.js";
import type { CreateContainerRequest, CreateContainerResponseSchema } from "../../gen/index.js";
import type { RpcContext } from "../context.js";
import { containerDockerConfig } from "../translate/container-config.js";
import { containerTypeLabel, containerTypeSandbox, expectedCgroupParent, makeContainerName, parseSandboxName } from "../translate/index.js";
import type { ContainerDeps } from "./container-deps.js";
import { createAppContainer } from "./create-app-container.js";
import { validateCreateRequest } from "./validate-container-config.js";

/**
 * CreateContainer: validate everything first (nothing is created for a request that cannot be
 * honoured), check the sandbox, translate the config, create under the CRI name. Calls for one name
 * are serialized so that a kubelet retry and its timed-out first attempt cannot race on the name.
 */
export async function createContainer(deps: ContainerDeps, request: CreateContainerRequest, ctx: RpcContext): Promise<MessageInitShape<typeof CreateContainerResponseSchema>> {
  const req = validateCreateRequest(request);
  const what = `Cannot create container "${req.metadata.name}" (attempt ${req.metadata.attempt}) in pod sandbox "${req.podSandboxId}"`;
  try {
    const sandbox = await deps.containers.inspect(req.podSandboxId, ctx.signal).catch((err: unknown) => {
      if (hasKind(err, "NotFound")) return undefined;
      throw err;
    });
    if (sandbox?.config.labels[containerTypeLabel] !== containerTypeSandbox) throw new CriError("NotFound", "no such pod sandbox");
    if (!sandbox.state.running) throw new CriError("FailedPrecondition", `the pod sandbox is ${sandbox.state.status}, not running`);
    const pod = parseSandboxName(sandbox.name) ?? req.sandboxConfig?.metadata;
    if (pod === undefined) throw new CriError("Internal", `the sandbox's Docker name "${sandbox.name}" is not a pod sandbox name`);
    const linux = req.sandboxConfig?.linux;
    const engine = deps.engine();
    const { body, privilegedMode, notes } = await containerDockerConfig({
      config: req.config,
      sandboxId: sandbox.id,
      sandboxRuntime: sandbox.hostConfig.runtime,
      cgroupParent: linux === undefined ? sandbox.hostConfig.cgroupParent : expectedCgroupParent(deps.cgroupDriver, linux.cgroupParent),
      logPath: req.logPath,
      minOomScoreAdj: deps.minOomScoreAdj,
      capabilities: deps.capabilities,
      apparmorEnabled: deps.apparmorEnabled,
      engine,
      hostDevices: () => deps.hostDevices(),
    });
    if (req.config.CDIDevices.length > 0 && engine.cdiDeviceList) await checkCdiDevices(deps, req.config.CDIDevices.map((d) => d.name), engine.cdiSpecDirs, ctx.signal);
    for (const note of notes) ctx.log.warn({ container: req.metadata.name }, note);
    const name = makeContainerName(pod, req.metadata);
    const created = await deps.locks.run(`container-name:${name}`, () => createAppContainer(deps, name, body, ctx.signal, ctx.log), ctx.signal);
    if (created.warnings.length > 0) ctx.log.warn({ containerId: created.id, warnings: created.warnings }, "Docker warned while creating the container");
    if (privilegedMode === "host-capabilities") {
      ctx.log.info({ containerId: created.id }, "Privileged container gets the host's capabilities instead of Docker's privileged mode (the host limits capabilities)");
    }
    ctx.log.info({ containerId: created.id, dockerName: created.dockerName }, "Container created");
    return { containerId: created.id };
  } catch (err) {
    throw withContext(err, what);
  }
}

/**
 * Docker resolves CDI devices only when the container starts, so a device no spec defines would leave
 * a container that can never start. Where Docker lists the devices it knows (API 1.50), an unknown
 * one is refused here, before anything is created.
 */
async function checkCdiDevices(deps: ContainerDeps, names: readonly string[], specDirs: readonly string[], signal: AbortSignal): Promise<void> {
  const known = new Set(await deps.cdiDevices(signal));
  const missing = names.filter((n) => !known.has(n));
  if (missing.length > 0) {
    throw new CriError("FailedPrecondition", `Docker knows no CDI device ${missing.map((n) => `"${n}"`).join(", ")}: no CDI spec in ${specDirs.join(", ")} defines it`);
  }
}
