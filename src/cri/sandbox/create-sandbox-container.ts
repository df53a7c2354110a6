import type { ContainerInspect } from "../../docker/index.js";
import { hasKind } from "../../errors/index.js";
import type { Logger } from "../../logger/index.js";
import { containerTypeLabel, containerTypeSandbox, randomizeName } from "../translate/index.js";
import type { SandboxDeps } from "./sandbox-deps.js";

export type CreatedSandboxContainer =
  /** A new container, under `dockerName` (the pod's name, or a randomized one). */
  | { readonly kind: "created"; readonly id: string; readonly dockerName: string }
  /** A running sandbox of the same pod already held the name: an earlier call's, before a restart. */
  | { readonly kind: "existing"; readonly id: string; readonly container: ContainerInspect };

/**
 * `POST /containers/create` under the pod's sandbox name, recovering from a name conflict the way
 * dockershim did:
 *
 *   conflict ─► inspect the holder ─┬─ a running sandbox ──────────────► reuse it (a retry after a restart)
 *                                   ├─ anything else: remove it ─┬─ ok ─► create again under the name
 *                                   │                            └─ fails ─► create under a randomized name
 *                                   └─ Docker cannot find it (its name index is stale) ─► randomized name
 *
 * A stale holder is what a crash between create and start leaves behind. The randomized name keeps
 * the pod's identity parseable (a seventh name part), so nothing else changes.
 */
export async function createSandboxContainer(
  deps: Pick<SandboxDeps, "containers" | "checkpoints">,
  name: string,
  body: Readonly<Record<string, unknown>>,
  signal: AbortSignal,
  log: Logger,
): Promise<CreatedSandboxContainer> {
  try {
    const created = await deps.containers.create(name, body, signal);
    return { kind: "created", id: created.id, dockerName: name };
  } catch (err) {
    if (!hasKind(err, "AlreadyExists")) throw err;
    log.info({ dockerName: name, reason: err.message }, "Sandbox name is taken; recovering");
  }

  let holder: ContainerInspect | undefined;
  try {
    holder = await deps.containers.inspect(name, signal, { fresh: true });
  } catch (err) {
    if (!hasKind(err, "NotFound")) throw err;
  }
  if (holder?.state.running === true && holder.config.labels[containerTypeLabel] === containerTypeSandbox) {
    log.info({ podSandboxId: holder.id }, "Reusing the running sandbox that holds the pod's name");
    return { kind: "existing", id: holder.id, container: holder };
  }

  let freed = false;
  if (holder !== undefined) {
    try {
      await deps.containers.remove(holder.id, { force: true, removeVolumes: true }, signal);
      freed = true;
      log.info({ staleId: holder.id, state: holder.state.status }, "Removed the stale container that held the sandbox name");
      await deps.checkpoints.remove(holder.id).catch((err: unknown) => {
        log.warn({ staleId: holder.id, err }, "Cannot remove the stale container's checkpoint");
      });
    } catch (err) {
      log.warn({ staleId: holder.id, err }, "Cannot remove the container that holds the sandbox name; creating under a randomized name");
    }
  } else {
    log.warn({ dockerName: name }, "Docker reports the sandbox name taken but cannot find its holder; creating under a randomized name");
  }
  const dockerName = freed ? name : randomizeName(name);
  const created = await deps.containers.create(dockerName, body, signal);
  return { kind: "created", id: created.id, dockerName };
}
