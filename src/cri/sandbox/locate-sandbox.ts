import type { ContainerInspect } from "../../docker/index.js";
import { hasKind } from "../../errors/index.js";
import type { Logger } from "../../logger/index.js";
import type { SandboxCheckpoint } from "../../store/index.js";
import { containerTypeLabel, containerTypeSandbox } from "../translate/index.js";
import type { SandboxDeps } from "./sandbox-deps.js";

/** A sandbox as far as it still exists: its container, its checkpoint, or both. */
export interface LocatedSandbox {
  /** The full sandbox id. */
  readonly id: string;
  readonly container: ContainerInspect | undefined;
  readonly checkpoint: SandboxCheckpoint | undefined;
}

/**
 * Finds a sandbox by id (or unique id prefix): Docker first, then the checkpoints, so that a sandbox
 * whose container was removed behind our back, or never started before a crash, can still be shown,
 * stopped and removed. A container that is not a sandbox does not count. `withCheckpoint: false`
 * skips reading the checkpoint when the container exists.
 */
export async function locateSandbox(
  deps: Pick<SandboxDeps, "containers" | "checkpoints">,
  id: string,
  signal: AbortSignal,
  log: Logger,
  withCheckpoint = true,
): Promise<LocatedSandbox | undefined> {
  try {
    const container = await deps.containers.inspect(id, signal);
    if (container.config.labels[containerTypeLabel] !== containerTypeSandbox) return undefined;
    const checkpoint = withCheckpoint ? await deps.checkpoints.read(container.id, log) : undefined;
    return { id: container.id, container, checkpoint };
  } catch (err) {
    if (!hasKind(err, "NotFound")) throw err;
  }
  const full = await deps.checkpoints.findId(id);
  if (full === undefined) return undefined;
  const checkpoint = await deps.checkpoints.read(full, log);
  return checkpoint === undefined ? undefined : { id: full, container: undefined, checkpoint };
}

/** Whether the sandbox uses the node's network, from Docker when it can tell, else the checkpoint. */
export function usesHostNetwork(s: LocatedSandbox): boolean {
  if (s.container !== undefined) return s.container.hostConfig.networkMode === "host";
  return s.checkpoint?.hostNetwork ?? false;
}
