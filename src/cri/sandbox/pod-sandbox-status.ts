import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ContainerInspect } from "../../docker/index.js";
import { CriError } from "../../errors/index.js";
import { NamespaceMode, PodSandboxState, type PodSandboxStatusRequest, type PodSandboxStatusResponseSchema } from "../../gen/index.js";
import type { SandboxCheckpoint } from "../../store/index.js";
import type { RpcContext } from "../context.js";
import { locateSandbox } from "./locate-sandbox.js";
import { sandboxStatusOf } from "./to-sandbox-status.js";
import type { SandboxDeps } from "./sandbox-deps.js";

type StatusShape = NonNullable<MessageInitShape<typeof PodSandboxStatusResponseSchema>["status"]>;

/**
 * PodSandboxStatus from Docker's inspect. A sandbox whose container is gone but whose checkpoint
 * remains is reported NOTREADY from the checkpoint (the kubelet lists it, so it asks about it); an
 * id that is neither is NotFound.
 */
export async function podSandboxStatus(deps: SandboxDeps, request: PodSandboxStatusRequest, ctx: RpcContext): Promise<MessageInitShape<typeof PodSandboxStatusResponseSchema>> {
  if (request.podSandboxId === "") throw new CriError("InvalidArgument", "PodSandboxStatus needs a pod_sandbox_id");
  const found = await locateSandbox(deps, request.podSandboxId, ctx.signal, ctx.log, false);
  if (found === undefined) throw new CriError("NotFound", `Pod sandbox "${request.podSandboxId}" not found`);
  const timestamp = BigInt(Date.now()) * 1_000_000n;
  if (found.container === undefined) {
    // locateSandbox only returns a container-less sandbox with its checkpoint.
    const cp = found.checkpoint;
    if (cp === undefined) throw new CriError("NotFound", `Pod sandbox "${request.podSandboxId}" not found`);
    const status = fromCheckpoint(found.id, cp);
    return { status, info: request.verbose ? { info: JSON.stringify({ containerGone: true, checkpoint: checkpointInfo(cp) }) } : {}, timestamp };
  }
  const c = found.container;
  // With a plugin network (mode "none") Docker does not know the pod's IPs; the checkpoint does.
  const checkpoint = c.hostConfig.networkMode === "none" ? await deps.checkpoints.read(found.id, ctx.log) : undefined;
  const status = fromContainer(c, checkpoint);
  const info: Record<string, string> = {};
  if (request.verbose) {
    info.info = JSON.stringify({
      pid: c.state.pid,
      state: c.state.status,
      image: c.config.image,
      imageId: c.imageId,
      dockerName: c.name,
      runtime: c.hostConfig.runtime,
      networkMode: c.hostConfig.networkMode,
      ipcMode: c.hostConfig.ipcMode,
      pidMode: c.hostConfig.pidMode,
      cgroupParent: c.hostConfig.cgroupParent,
      netnsPath: c.state.pid > 0 ? `/proc/${c.state.pid}/ns/net` : "",
      resolvConfPath: c.resolvConfPath,
      hostsPath: c.hostsPath,
      ...(checkpoint === undefined ? {} : { checkpoint: checkpointInfo(checkpoint) }),
    });
  }
  const containersStatuses = deps.containerStatuses === undefined ? [] : await deps.containerStatuses(found.id, ctx.signal, ctx.log);
  return { status, info, containersStatuses, timestamp };
}

function fromContainer(c: ContainerInspect, checkpoint: SandboxCheckpoint | undefined): StatusShape {
  const status = sandboxStatusOf(c, checkpoint?.podIps);
  if (status === undefined) throw new CriError("Internal", `Sandbox container "${c.id}" has a name that is not a pod sandbox name: "${c.name}"`);
  return status;
}

function fromCheckpoint(id: string, cp: SandboxCheckpoint): StatusShape {
  return {
    id,
    metadata: { name: cp.name, namespace: cp.namespace, uid: cp.uid, attempt: cp.attempt },
    state: PodSandboxState.SANDBOX_NOTREADY,
    createdAt: cp.createdAt,
    network: { ip: "" },
    linux: { namespaces: { options: { network: cp.hostNetwork ? NamespaceMode.NODE : NamespaceMode.POD, pid: NamespaceMode.CONTAINER, ipc: NamespaceMode.POD } } },
    labels: { ...cp.labels },
    annotations: {},
    runtimeHandler: cp.runtimeHandler,
  };
}

function checkpointInfo(cp: SandboxCheckpoint): Record<string, unknown> {
  return { hostNetwork: cp.hostNetwork, portMappings: cp.portMappings, networkPlugin: cp.networkPlugin, podIps: cp.podIps, legacy: cp.legacy };
}
