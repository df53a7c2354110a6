import type { ContainerInspect, ReadOptions } from "../../docker/index.js";
import { hasKind } from "../../errors/index.js";
import { containerTypeContainer, containerTypeLabel } from "../translate/index.js";
import type { ContainerDeps } from "./container-deps.js";

/**
 * An app container by id (or unique id prefix, as crictl allows), or undefined when Docker has none
 * or it is not a CRI app container: sandboxes and containers others run on the same Docker are never
 * reported, stopped or removed through the container RPCs. Start, stop and remove pass `fresh`: what
 * they do depends on whether the container runs, which the cache may not know yet.
 */
export async function locateContainer(deps: Pick<ContainerDeps, "containers">, id: string, signal: AbortSignal, opts: ReadOptions = {}): Promise<ContainerInspect | undefined> {
  try {
    const c = await deps.containers.inspect(id, signal, opts);
    return c.config.labels[containerTypeLabel] === containerTypeContainer ? c : undefined;
  } catch (err) {
    if (hasKind(err, "NotFound")) return undefined;
    throw err;
  }
}
