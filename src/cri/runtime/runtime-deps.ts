import type { EngineFeatures } from "../../docker/index.js";
import type { NetworkPlugin } from "../../network/index.js";

/** The Docker facts the runtime-info RPCs need; DockerClient satisfies it. */
export interface DockerRuntimeInfo {
  version(signal?: AbortSignal): Promise<{ version: string; apiVersion: string }>;
  ping(signal?: AbortSignal): Promise<void>;
}

export interface RuntimeInfoDeps {
  docker: DockerRuntimeInfo;
  network: NetworkPlugin;
  /** Docker's cgroup driver, read once at start-up (it cannot change without restarting dockerd). */
  cgroupDriver: "cgroupfs" | "systemd";
  /** What the engine can do now; Status advertises the runtime handler features from it. */
  engine(): EngineFeatures;
  /** Docker's runtimes (`docker info` Runtimes), offered as CRI runtime handlers. */
  runtimeHandlers: readonly string[];
  /** How long Status waits for Docker's ping before reporting RuntimeReady=false. */
  statusTimeoutMs: number;
  /** Non-secret effective configuration, returned by a verbose Status. */
  configForStatus: Readonly<Record<string, unknown>>;
}
