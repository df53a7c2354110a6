export { findCniConfig, parseCniConfig } from "./cni-config.js";
export type { CniNetworkConfig } from "./cni-config.js";
export { CniPlugin } from "./cni-plugin.js";
export { KubenetPlugin, kubenetBinaries } from "./kubenet-plugin.js";
export { NoopPlugin } from "./noop-plugin.js";
export { notReadyReason } from "./network-plugin.js";
export type { NetworkPlugin, NetworkPluginSettings, NetworkStatus } from "./network-plugin.js";
export { probeNetworkPlugin } from "./probe-network-plugin.js";
