import type { MessageInitShape } from "@bufbuild/protobuf";
import { CriError, hasKind } from "../../errors/index.js";
import type { StopPodSandboxRequest, StopPodSandboxResponseSchema } from "../../gen/index.js";
import type { Logger } from "../../logger/index.js";
import type { RpcContext } from "../context.js";
import { sandboxIdLabel } from "../translate/index.js";
import { locateSandbox, usesHostNetwork, type LocatedSandbox } from "./locate-sandbox.js";
import type { SandboxDeps } from "./sandbox-deps.js";

/** dockershim's grace period for the pause container, which exits on SIGTERM at once anyway. */
const sandboxStopGraceSeconds = 10;

/**
 * StopPodSandbox: force-stop the pod's containers still running (the kubelet normally stopped them
 * already, with their own grace periods), tear the pod network down while the sandbox's namespace
 * still exists, then stop the sandbox container. Idempotent: an unknown id, a sandbox already
 * stopped, or one whose container is gone (its checkpoint still drives network teardown) is success.
 */
export async function stopPodSandbox(deps: SandboxDeps, request: StopPodSandboxRequest, ctx: RpcContext): Promise<MessageInitShape<typeof StopPodSandboxResponseSchema>> {
  if (request.podSandboxId === "") throw new CriError("InvalidArgument", "StopPodSandbox needs a pod_sandbox_id");
  const found = await locateSandbox(deps, request.podSandboxId, ctx.signal, ctx.log);
  if (found === undefined) {
    ctx.log.debug("No such sandbox; nothing to stop");
    return {};
  }
  await deps.locks.run(`sandbox:${found.id}`, () => stopLocked(deps, found, ctx.signal, ctx.log), ctx.signal);
  return {};
}

/** Shared with RemovePodSandbox, which stops what is still running before removing it. */
export async function stopLocked(deps: SandboxDeps, sandbox: LocatedSandbox, signal: AbortSignal, log: Logger): Promise<void> {
  // Docker's own list: the cache may be an event behind a container that just started.
  const running = await deps.containers.list({ all: false, filters: { label: [`${sandboxIdLabel}=${sandbox.id}`] }, fresh: true }, signal);
  await Promise.all(
    running.map(async (c) => {
      // "Forcibly terminated" (CRI): no grace period left to give.
      await deps.containers.stop(c.id, 0, signal).catch(ignoreNotFound);
      log.info({ containerId: c.id }, "Stopped a container still running in the sandbox");
    }),
  );

  // Recorded before DEL: a crash during the teardown then leaves a running sandbox whose checkpoint
  // holds no IP, which the next start stops (stopUnnetworkedSandboxes), instead of a READY sandbox
  // showing an address it no longer has (found by test/chaos/crash-restart).
  const cp = sandbox.checkpoint;
  if (cp !== undefined && !cp.legacy && cp.podIps.length > 0 && !usesHostNetwork(sandbox)) {
    await deps.checkpoints.write(sandbox.id, { ...cp, podIps: [] }).catch((err: unknown) => {
      log.warn({ podSandboxId: sandbox.id, err }, "Cannot record in the checkpoint that the pod network is being torn down; stopping anyway");
    });
  }

  // A failed teardown still stops the sandbox, so that it reads NOTREADY, and is then reported: the
  // kubelet retries StopPodSandbox, and the retry runs DEL again from the CNI cache.
  const teardown = await tearDownNetwork(deps, sandbox, signal, log).then(
    () => undefined,
    (err: unknown) => ({ err }),
  );

  if (sandbox.container !== undefined) {
    await deps.containers.stop(sandbox.id, sandboxStopGraceSeconds, signal).catch(ignoreNotFound);
  }
  if (teardown !== undefined) throw teardown.err;
}

/**
 * Network teardown from what Docker or the checkpoint still knows; nothing for host-network pods.
 * `removing` (RemovePodSandbox) lets the plugin give up after repeated DEL failures.
 */
export async function tearDownNetwork(deps: SandboxDeps, sandbox: LocatedSandbox, signal: AbortSignal, log: Logger, removing = false): Promise<void> {
  if (usesHostNetwork(sandbox)) return;
  const cp = sandbox.checkpoint;
  const name = cp?.name ?? "";
  const namespace = cp?.namespace ?? "";
  if (cp !== undefined && cp.networkPlugin !== deps.network.name) {
    log.warn({ checkpointPlugin: cp.networkPlugin, currentPlugin: deps.network.name }, "The sandbox was networked by another network plugin; tearing down with the current one");
  }
  const pid = sandbox.container?.state.pid ?? 0;
  await deps.network.tearDownPod(
    { namespace, name, sandboxId: sandbox.id, netnsPath: pid > 0 ? `/proc/${pid}/ns/net` : "", portMappings: cp?.portMappings ?? [], uid: cp?.uid ?? "" },
    signal,
    { removing },
  );
}

export function ignoreNotFound(err: unknown): void {
  if (!hasKind(err, "NotFound")) throw err;
}
