/** Readiness of the pod network, as the NetworkReady condition of CRI Status reports it. */
export interface NetworkStatus {
  ready: boolean;
  /** A CamelCase reason when not ready, e.g. "NetworkPluginNotReady". */
  reason: string;
  message: string;
}

/** What the rest of docker-cri needs of a network plugin at this stage: its name, readiness and pod CIDR. */
export interface NetworkPlugin {
  readonly name: string;
  status(): Promise<NetworkStatus>;
  /** The pod CIDR(s) from --pod-cidr or the kubelet's UpdateRuntimeConfig, comma-separated for dual-stack. */
  setPodCidr(cidr: string): void;
  podCidr(): string;
}

export interface NetworkPluginSettings {
  pluginName: "" | "cni" | "kubenet";
  confDir: string;
  binDirs: readonly string[];
  cacheDir: string;
  mtu: number;
  hairpinMode: "promiscuous-bridge" | "hairpin-veth" | "none";
  nonMasqueradeCidr: string;
  podCidr: string;
}

export const notReadyReason = "NetworkPluginNotReady";
