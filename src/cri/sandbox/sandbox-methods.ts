import type { RuntimeService } from "../../gen/index.js";
import type { ServiceImpl } from "../service-impl.js";
import { listPodSandbox } from "./list-pod-sandbox.js";
import { podSandboxStatus } from "./pod-sandbox-status.js";
import { removePodSandbox } from "./remove-pod-sandbox.js";
import { runPodSandbox } from "./run-pod-sandbox.js";
import type { SandboxDeps } from "./sandbox-deps.js";
import { stopPodSandbox } from "./stop-pod-sandbox.js";
import { streamPodSandboxes } from "./stream-pod-sandboxes.js";

export type { DockerRuntimes, EnsureImage, SandboxContainers, SandboxDeps } from "./sandbox-deps.js";

/** RunPodSandbox, StopPodSandbox, RemovePodSandbox, PodSandboxStatus, ListPodSandbox, StreamPodSandboxes. */
export function sandboxMethods(deps: SandboxDeps): ServiceImpl<typeof RuntimeService> {
  return {
    runPodSandbox: (req, ctx) => runPodSandbox(deps, req, ctx),
    stopPodSandbox: (req, ctx) => stopPodSandbox(deps, req, ctx),
    removePodSandbox: (req, ctx) => removePodSandbox(deps, req, ctx),
    podSandboxStatus: (req, ctx) => podSandboxStatus(deps, req, ctx),
    listPodSandbox: (req, ctx) => listPodSandbox(deps, req, ctx),
    streamPodSandboxes: (req, ctx) => streamPodSandboxes(deps, req, ctx),
  };
}
