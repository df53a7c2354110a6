import type { RuntimeService } from "../../gen/index.js";
import type { ServiceImpl } from "../service-impl.js";

/** Everything the pod sandbox RPCs need. */
export type SandboxDeps = Record<string, never>;

/** RunPodSandbox, StopPodSandbox, RemovePodSandbox, PodSandboxStatus, ListPodSandbox. */
export function sandboxMethods(_deps: SandboxDeps): ServiceImpl<typeof RuntimeService> {
  return {};
}
