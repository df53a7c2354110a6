import { dockerApiErrorOf } from "../../docker/index.js";
import { hasKind, type CriError } from "../../errors/index.js";
import type { Logger } from "../../logger/index.js";
import { containerTypeContainer, containerTypeLabel, randomizeName } from "../translate/index.js";
import type { ContainerDeps } from "./container-deps.js";

/**
 * `POST /containers/create` under the container's CRI name, recovering from a name conflict the way
 * dockershim's recoverFromCreationConflictIfNeeded did:
 *
 *   conflict ─► the holder (from Docker's message, else by name) ─┬─ running, or not a CRI container ─► AlreadyExists
 *                                                                 ├─ removed (not forced) ─► create again under the name
 *                                                                 └─ Docker cannot find it ─► create under a randomized name
 *
 * A stale holder is what a CreateContainer the kubelet gave up on (or a crash) leaves: the kubelet
 * then retries with the same attempt number, hence the same name. dockershim answered the first
 * retry with the conflict and let the kubelet retry again once the holder was removed; this creates
 * at once instead. Docker's name index can keep a name whose container it cannot find (dockershim's
 * issue 40443); a randomized seventh name part still parses as the same container.
 */
export async function createAppContainer(
  deps: Pick<ContainerDeps, "containers" | "logs">,
  name: string,
  body: Readonly<Record<string, unknown>>,
  signal: AbortSignal,
  log: Logger,
): Promise<{ id: string; dockerName: string; warnings: readonly string[] }> {
  let conflict: CriError;
  try {
    const created = await deps.containers.create(name, body, signal);
    return { id: created.id, dockerName: name, warnings: created.warnings };
  } catch (err) {
    if (!hasKind(err, "AlreadyExists")) throw err;
    conflict = err;
  }
  const holderId = dockerApiErrorOf(conflict)?.holderId ?? name;
  const holder = await deps.containers.inspect(holderId, signal, { fresh: true }).catch((err: unknown) => {
    if (hasKind(err, "NotFound")) return undefined;
    throw err;
  });
  let dockerName = name;
  if (holder === undefined) {
    dockerName = randomizeName(name);
    log.warn({ dockerName: name, randomized: dockerName }, "Docker reports the container name taken but cannot find its holder; creating under a randomized name");
  } else {
    if (holder.state.running || holder.config.labels[containerTypeLabel] !== containerTypeContainer) {
      log.warn({ dockerName: name, holder: holder.id, state: holder.state.status }, "Container name is held by a running or foreign container; not removing it");
      throw conflict;
    }
    try {
      // Not forced, as dockershim: a holder that started meanwhile stays.
      await deps.containers.remove(holder.id, { removeVolumes: true }, signal);
      log.info({ staleId: holder.id, state: holder.state.status }, "Removed the stale container that held the container name");
      await deps.logs.forget(holder.id).catch((err: unknown) => { log.warn({ staleId: holder.id, err }, "Cannot forget the stale container's log"); });
    } catch (err) {
      if (!hasKind(err, "NotFound")) {
        log.warn({ staleId: holder.id, err }, "Cannot remove the container that holds the container name");
        throw conflict;
      }
      dockerName = randomizeName(name);
    }
  }
  const created = await deps.containers.create(dockerName, body, signal);
  return { id: created.id, dockerName, warnings: created.warnings };
}
