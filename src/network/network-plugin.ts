import type { PodNetwork } from "./pod-network.js";

/** Readiness of the pod network, as the NetworkReady condition of CRI Status reports it. */
export interface NetworkStatus {
  ready: boolean;
  /** A CamelCase reason when not ready, e.g. "NetworkPluginNotReady". */
  reason: string;
  message: string;
}

/** What the rest of docker-cri needs of a network plugin: its name, readiness, pod CIDR, and pod network setup/teardown. */
export interface NetworkPlugin extends PodNetwork {
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
  /** Bound on each CNI plugin execution (default defaultExecTimeoutMs). */
  execTimeoutMs?: number;
}

/** How long one CNI plugin execution may take unless the settings say otherwise. */
export const defaultExecTimeoutMs = 120_000;

export const notReadyReason = "NetworkPluginNotReady";
