import type { ContainersApi, EngineFeatures, ExecApi } from "../../docker/index.js";
import type { KeyedMutex } from "../../util/keyed-mutex.js";
import type { CapabilityEnvironment } from "../translate/capabilities.js";
import type { ContainerLogManager } from "./container-logs.js";
import type { ImageIdentities } from "./image-identity.js";
import type { KillProcessTreeResult } from "./kill-process-tree.js";

/** The Docker container calls the container RPCs make; DockerClient's `containers` satisfies it. */
export type ContainerDockerApi = Pick<ContainersApi, "create" | "start" | "stop" | "remove" | "inspect" | "list" | "update">;

/** Everything the container RPCs need. */
export interface ContainerDeps {
  readonly containers: ContainerDockerApi;
  readonly exec: Pick<ExecApi, "create" | "start" | "inspect">;
  /** Image id → repo digests, for image_ref and image_id. */
  readonly images: ImageIdentities;
  readonly logs: ContainerLogManager;
  /** Containers whose log copy was already told the output is complete (see flushContainerLog). */
  readonly flushedLogs: Set<string>;
  /** Serializes CreateContainer per Docker name. */
  readonly locks: KeyedMutex;
  readonly cgroupDriver: "cgroupfs" | "systemd";
  /** The lowest oom_score_adj this host lets a container have. */
  readonly minOomScoreAdj: number;
  readonly capabilities: CapabilityEnvironment;
  readonly apparmorEnabled: boolean;
  /** What the engine can do now (negotiated API version, mount and device features). */
  engine(): EngineFeatures;
  /** The CDI devices Docker knows now (`GET /info` DiscoveredDevices; asked only where engine().cdiDeviceList). */
  cdiDevices(signal: AbortSignal): Promise<readonly string[]>;
  /** Device nodes under the host's /dev (for privileged containers on hosts that limit capabilities). */
  hostDevices(): Promise<readonly string[]>;
  /**
   * Kills a process and every process below it, given its host pid and the container it must belong
   * to (each process's cgroup is checked first, see kill-process-tree.ts); resolves with what it did.
   */
  killProcessTree(pid: number, containerId: string): Promise<KillProcessTreeResult>;
  /** How long a rollback or a log flush may take, independent of the request's deadline. */
  readonly cleanupTimeoutMs: number;
}
