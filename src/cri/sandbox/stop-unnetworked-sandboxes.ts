import type { Logger } from "../../logger/index.js";
import type { SandboxCheckpoint } from "../../store/index.js";
import { containerTypeLabel, containerTypeSandbox } from "../translate/index.js";
import type { SandboxDeps } from "./sandbox-deps.js";
import { stopLocked } from "./stop-pod-sandbox.js";

/**
 * RunPodSandbox starts the pause container before it sets up the pod network (the network namespace
 * is the container's), and records the pod's IPs in the checkpoint once the plugin is done. A crash
 * between the two leaves a running sandbox with no network: Docker calls it running, so it would read
 * READY, and a kubelet retry would adopt it (found by test/chaos/crash-restart). Its checkpoint tells
 * it apart: written by docker-cri (cri-dockerd's v1 checkpoints never hold IPs), for a plugin that
 * sets networks up (not Docker's bridge, whose plugin name is ""), not host network, and no IP.
 */
export function networkSetupInterrupted(cp: SandboxCheckpoint | undefined): boolean {
  return cp !== undefined && !cp.legacy && !cp.hostNetwork && cp.networkPlugin !== "" && cp.podIps.length === 0;
}

/**
 * At start-up, before CRI is served: every running sandbox whose network setup a crash interrupted is
 * stopped the way StopPodSandbox stops it — the plugin's DEL runs from the CNI cache, releasing what
 * the interrupted ADD took, then the pause container stops — so that it reads NOTREADY and the kubelet
 * replaces it. Failures are logged, never fatal: the kubelet's StopPodSandbox retries the same steps.
 */
export async function stopUnnetworkedSandboxes(deps: SandboxDeps, signal: AbortSignal, log: Logger): Promise<number> {
  const running = await deps.containers.list({ all: false, filters: { label: [`${containerTypeLabel}=${containerTypeSandbox}`] } }, signal);
  let stopped = 0;
  for (const summary of running) {
    const checkpoint = await deps.checkpoints.read(summary.id, log).catch(() => undefined);
    if (!networkSetupInterrupted(checkpoint)) continue;
    try {
      const container = await deps.containers.inspect(summary.id, signal);
      await deps.locks.run(`sandbox:${summary.id}`, () => stopLocked(deps, { id: summary.id, container, checkpoint }, signal, log), signal);
      stopped++;
      log.warn({ podSandboxId: summary.id, pod: `${checkpoint?.namespace ?? ""}/${checkpoint?.name ?? ""}` }, "Stopped a sandbox whose network setup a restart interrupted; it reads NOTREADY until the kubelet replaces it");
    } catch (err) {
      log.error({ podSandboxId: summary.id, err }, "Cannot stop a sandbox whose network setup a restart interrupted; it stays running without a network");
    }
  }
  return stopped;
}
