import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ContainersApi } from "../../docker/index.js";
import type { ContainerStatusSchema } from "../../gen/index.js";
import type { Logger } from "../../logger/index.js";
import type { NetworkPlugin } from "../../network/index.js";
import type { CheckpointStore, NameRegistrar } from "../../store/index.js";
import type { CapabilityEnvironment } from "../translate/index.js";
import type { HostLimits } from "../../host/host-limits.js";
import type { KeyedMutex } from "../../util/keyed-mutex.js";

/** The Docker container calls the sandbox RPCs make; DockerClient's `containers` satisfies it. */
export type SandboxContainers = Pick<ContainersApi, "create" | "start" | "stop" | "remove" | "inspect" | "list">;

/** Makes sure an image is present, pulling it if missing; resolves once it can be run. */
export type EnsureImage = (ref: string, signal: AbortSignal, log: Logger) => Promise<unknown>;

/** Docker's OCI runtimes, which are the CRI runtime handlers. */
export interface DockerRuntimes {
  /** As read at start-up. */
  readonly known: readonly string[];
  /** Asks Docker again (runtimes can be added with a daemon reload). */
  refresh(signal: AbortSignal): Promise<readonly string[]>;
}

/** Everything the pod sandbox RPCs need. */
export interface SandboxDeps {
  readonly containers: SandboxContainers;
  readonly ensureImage: EnsureImage;
  /** The --network-plugin; non-host-network sandboxes are set up and torn down through it. */
  readonly network: Pick<NetworkPlugin, "name" | "sandboxNetworkMode" | "setUpPod" | "tearDownPod">;
  readonly checkpoints: CheckpointStore;
  /** Which sandbox each pod name resolved to in this process. */
  readonly names: NameRegistrar;
  /** Serializes work per pod name (RunPodSandbox) and per sandbox id (Stop/Remove). */
  readonly locks: KeyedMutex;
  /** --pod-infra-container-image. */
  readonly podInfraImage: string;
  readonly cgroupDriver: "cgroupfs" | "systemd";
  readonly hostLimits: Pick<HostLimits, "minOomScoreAdj">;
  /** What the host lets containers hold: a privileged sandbox gets Docker's privileged mode only when it works. */
  readonly capabilities: Pick<CapabilityEnvironment, "full" | "bounding">;
  readonly runtimes: DockerRuntimes;
  /** Deadline of a rollback, which must not depend on the (maybe cancelled) request. */
  readonly cleanupTimeoutMs: number;
  /** Test-only: pause between creating and starting a sandbox container (0 = off). */
  readonly pauseAfterCreateMs: number;
  /** The container family's removal (it also ends the container's log copy); plain Docker removal when absent. */
  readonly removeAppContainer?: (id: string, signal: AbortSignal, log: Logger) => Promise<void>;
  /** The container family's statuses of the sandbox's app containers, for PodSandboxStatus; none when absent. */
  readonly containerStatuses?: (sandboxId: string, signal: AbortSignal, log: Logger) => Promise<MessageInitShape<typeof ContainerStatusSchema>[]>;
}
