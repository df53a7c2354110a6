import type { ContainerInspect, ContainerRuntimeInfo } from "../../docker/index.js";
import { CriError } from "../../errors/index.js";

/** The `io.kubernetes.docker.type` label value of what a lookup accepts. */
type CriKind = "container" | "podsandbox";

interface Inspector {
  inspect(idOrName: string, signal?: AbortSignal): Promise<ContainerInspect>;
}

/**
 * Looks up what Exec/Attach (app containers) and PortForward (pod sandboxes) act on, and refuses
 * anything that is not a CRI object of that kind: CRI grants no way into Docker containers the kubelet
 * did not create, nor port forwarding into an app container. The event-fed cache answers first; a
 * container it shows as not running is asked of Docker again, since one started behind our back may be
 * an event ahead of the cache, and a refusal should not rest on that.
 */
export function streamTargetLookup(cached: Inspector, docker: Inspector, kind: CriKind): (id: string, signal: AbortSignal) => Promise<ContainerRuntimeInfo> {
  return async (id, signal) => {
    let c = await cached.inspect(id, signal);
    if (!c.state.running) c = await docker.inspect(id, signal);
    if (c.config.labels["io.kubernetes.docker.type"] !== kind) {
      throw new CriError("NotFound", `No such ${kind === "podsandbox" ? "pod sandbox" : "container"}: "${id}" is not one that docker-cri manages`);
    }
    return { id: c.id, running: c.state.running, pid: c.state.pid, tty: c.config.tty, openStdin: c.config.openStdin };
  };
}
