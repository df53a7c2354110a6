import { NamespaceMode } from "../../gen/index.js";

/** The Docker host-config fields that decide a container's namespaces. */
export interface DockerNamespaceModes {
  readonly networkMode: string;
  readonly pidMode: string;
  readonly ipcMode: string;
}

/**
 * A sandbox's namespace options as Docker shows them: "host" is NODE; otherwise the network and IPC
 * namespaces are the pod's own (POD), and the sandbox's PID namespace is its container's.
 */
export function sandboxNamespaceOptions(modes: DockerNamespaceModes): { network: NamespaceMode; pid: NamespaceMode; ipc: NamespaceMode } {
  return {
    network: modes.networkMode === "host" ? NamespaceMode.NODE : NamespaceMode.POD,
    pid: modes.pidMode === "host" ? NamespaceMode.NODE : NamespaceMode.CONTAINER,
    ipc: modes.ipcMode === "host" ? NamespaceMode.NODE : NamespaceMode.POD,
  };
}
