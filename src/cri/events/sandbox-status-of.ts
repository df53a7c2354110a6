import type { ContainerInspect } from "../../docker/index.js";
import { PodSandboxState } from "../../gen/index.js";
import type { SandboxStatusShape } from "../sandbox/to-sandbox-status.js";
import { parseContainerName } from "../translate/index.js";

/**
 * A NOTREADY status for a sandbox docker-cri no longer knows (an app container outlived it), with
 * the pod's identity from the container's name: the kubelet drops an event without sandbox metadata.
 */
export function orphanSandboxStatus(sandboxId: string, member: ContainerInspect): SandboxStatusShape | undefined {
  const names = parseContainerName(member.name);
  if (names === undefined) return undefined;
  return {
    id: sandboxId,
    metadata: { name: names.podName, namespace: names.podNamespace, uid: names.podUid, attempt: 0 },
    state: PodSandboxState.SANDBOX_NOTREADY,
  };
}
