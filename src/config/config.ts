import type { LogLevel } from "../logger/index.js";
import type { TestHooks } from "./test-hooks.js";

export const containerRuntimes = ["docker", "remote"] as const;
export type ContainerRuntime = (typeof containerRuntimes)[number];

export const cgroupDrivers = ["cgroupfs", "systemd"] as const;
export type CgroupDriverName = (typeof cgroupDrivers)[number];

export const hairpinModes = ["promiscuous-bridge", "hairpin-veth", "none"] as const;
export type HairpinMode = (typeof hairpinModes)[number];

/** "" is Docker's own networking (no plugin), as with cri-dockerd's empty --network-plugin. */
export const networkPlugins = ["", "cni", "kubenet"] as const;
export type NetworkPluginName = (typeof networkPlugins)[number];

/** "cri": docker-cri writes each container's CRI-format log file; "json-symlink": cri-dockerd's symlink to Docker's json-file log. */
export const containerLogModes = ["cri", "json-symlink"] as const;
export type ContainerLogMode = (typeof containerLogModes)[number];

/** Where the CRI socket comes from: a path we create, or an fd systemd passed us (fd://). */
export type Endpoint = { kind: "unix"; path: string } | { kind: "fd"; fd: number };

/** The one typed, frozen configuration object. Built only by parseFlags; nothing else reads argv or env. */
export interface Config {
  readonly containerRuntime: ContainerRuntime;
  readonly remoteRuntimeEndpoint: string;
  readonly endpoint: Endpoint;
  /** The flag value as given, for logs and messages. */
  readonly endpointText: string;
  /** Group (name or gid) the unix socket is handed to; "" keeps docker-cri's primary group. Not with fd://. */
  readonly socketGroup: string;
  readonly dockerEndpoint: string;
  readonly rootDirectory: string;
  readonly podInfraContainerImage: string;
  readonly imagePullProgressDeadlineMs: number;
  readonly runtimeRequestTimeoutMs: number;
  readonly streamingBindHost: string;
  readonly streamingBindPort: number;
  readonly streamingConnectionIdleTimeoutMs: number;
  readonly runtimeCgroups: string;
  /** undefined: take Docker's driver; set: Docker's must match it. */
  readonly cgroupDriver: CgroupDriverName | undefined;
  readonly networkPlugin: NetworkPluginName;
  readonly cniConfDir: string;
  readonly cniBinDirs: readonly string[];
  readonly cniCacheDir: string;
  readonly networkPluginMtu: number;
  readonly hairpinMode: HairpinMode;
  readonly podCidr: string;
  readonly ipv6DualStack: boolean;
  readonly nonMasqueradeCidr: string;
  /** undefined disables the metrics endpoint. */
  readonly metricsBind: { readonly host: string; readonly port: number } | undefined;
  readonly logLevel: LogLevel;
  readonly containerLogMode: ContainerLogMode;
  /** Test-only pause points from the environment (all 0 in production); see test-hooks.ts. */
  readonly testHooks: TestHooks;
}
