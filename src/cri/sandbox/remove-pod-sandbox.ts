import type { MessageInitShape } from "@bufbuild/protobuf";
import { CriError } from "../../errors/index.js";
import type { RemovePodSandboxRequest, RemovePodSandboxResponseSchema } from "../../gen/index.js";
import type { RpcContext } from "../context.js";
import { sandboxIdLabel } from "../translate/index.js";
import { locateSandbox } from "./locate-sandbox.js";
import type { SandboxDeps } from "./sandbox-deps.js";
import { ignoreNotFound, tearDownNetwork } from "./stop-pod-sandbox.js";

const fullSandboxId = /^[0-9a-f]{64}$/;

/**
 * RemovePodSandbox: remove the pod's containers (running ones forcibly), tear the network down if
 * StopPodSandbox did not (teardown is idempotent), remove the sandbox container and its checkpoint.
 * Idempotent: an unknown or already removed sandbox is success. Containers labelled with a full
 * sandbox id are removed even when the sandbox itself is long gone.
 */
export async function removePodSandbox(deps: SandboxDeps, request: RemovePodSandboxRequest, ctx: RpcContext): Promise<MessageInitShape<typeof RemovePodSandboxResponseSchema>> {
  if (request.podSandboxId === "") throw new CriError("InvalidArgument", "RemovePodSandbox needs a pod_sandbox_id");
  const found = await locateSandbox(deps, request.podSandboxId, ctx.signal, ctx.log);
  const id = found?.id ?? (fullSandboxId.test(request.podSandboxId) ? request.podSandboxId : undefined);
  if (id === undefined) {
    ctx.log.debug("No such sandbox; nothing to remove");
    return {};
  }
  await deps.locks.run(
    `sandbox:${id}`,
    async () => {
      const containers = await deps.containers.list({ all: true, filters: { label: [`${sandboxIdLabel}=${id}`] }, fresh: true }, ctx.signal);
      await Promise.all(
        containers.map(async (c) => {
          if (deps.removeAppContainer !== undefined) await deps.removeAppContainer(c.id, ctx.signal, ctx.log);
          else await deps.containers.remove(c.id, { force: true, removeVolumes: true }, ctx.signal).catch(ignoreNotFound);
          ctx.log.info({ containerId: c.id }, "Removed a container of the sandbox");
        }),
      );
      if (found === undefined) return;
      await tearDownNetwork(deps, found, ctx.signal, ctx.log, true);
      if (found.container !== undefined) {
        await deps.containers.remove(id, { force: true, removeVolumes: true }, ctx.signal).catch(ignoreNotFound);
      }
      // Last: while anything above fails, the checkpoint keeps the sandbox listed for a retry.
      await deps.checkpoints.remove(id);
      deps.names.releaseKey(id);
      ctx.log.info({ podSandboxId: id }, "Pod sandbox removed");
    },
    ctx.signal,
  );
  return {};
}
