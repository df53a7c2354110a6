import { ContainerState, PodSandboxState } from "../../gen/index.js";

/**
 * A sandbox is READY exactly while its (pause) container runs: a created-but-never-started one (a
 * crash between create and start) and an exited one are NOTREADY, which is what makes the kubelet
 * stop and remove them.
 */
export function sandboxStateOf(dockerState: string): PodSandboxState {
  return dockerState === "running" ? PodSandboxState.SANDBOX_READY : PodSandboxState.SANDBOX_NOTREADY;
}

/**
 * Docker's container state (`State.Status` of inspect, `State` of list) as a CRI container state.
 * Paused and restarting containers still have live processes, so they count as running, as in
 * cri-dockerd; "removing" and anything unknown is UNKNOWN.
 */
export function containerStateOf(dockerState: string): ContainerState {
  switch (dockerState) {
    case "created":
      return ContainerState.CONTAINER_CREATED;
    case "running":
    case "paused":
    case "restarting":
      return ContainerState.CONTAINER_RUNNING;
    case "exited":
    case "dead":
      return ContainerState.CONTAINER_EXITED;
    default:
      return ContainerState.CONTAINER_UNKNOWN;
  }
}
