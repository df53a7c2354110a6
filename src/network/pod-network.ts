/**
 * Pod network setup and teardown, behind one interface for every --network-plugin. The Docker
 * bridge ("") lets Docker wire the sandbox (network mode "default") and has nothing to do here;
 * CNI and kubenet create the sandbox with network mode "none" and configure its namespace through
 * `setUp`. Teardown must work from what the sandbox checkpoint holds alone (the container may be
 * gone and docker-cri restarted), and must succeed when there is nothing left to tear down.
 */
export interface PodPortMapping {
  readonly protocol: "tcp" | "udp" | "sctp";
  readonly containerPort: number;
  readonly hostPort: number;
  readonly hostIp: string;
}

export interface PodNetworkRef {
  readonly namespace: string;
  readonly name: string;
  /** The sandbox container's full id (CNI's container id). */
  readonly sandboxId: string;
  /** `/proc/<pid>/ns/net` of the running sandbox; "" when it is not running (teardown after a crash). */
  readonly netnsPath: string;
  readonly portMappings: readonly PodPortMapping[];
  /** The pod's uid, passed to CNI plugins as K8S_POD_UID; absent or "" when unknown (a cri-dockerd checkpoint). */
  readonly uid?: string;
}

/** How a teardown is meant. */
export interface PodNetworkTeardownOptions {
  /**
   * RemovePodSandbox: after a plugin has failed DEL of this sandbox a few times, give up (log, keep
   * what DEL needs for a later GC) rather than fail the removal forever. StopPodSandbox leaves it
   * unset, so every failure reaches the kubelet, which retries.
   */
  readonly removing?: boolean;
}

export interface PodNetworkSetup extends PodNetworkRef {
  readonly annotations: Readonly<Record<string, string>>;
  /** The pod's DNS config, which some CNI plugins take as runtime config. */
  readonly dns: { readonly servers: readonly string[]; readonly searches: readonly string[]; readonly options: readonly string[] } | undefined;
}

export interface PodNetworkResult {
  /** The pod's IPs, primary first; empty means "ask Docker" (the bridge plugin). */
  readonly ips: readonly string[];
}

export interface PodNetwork {
  /** The Docker network mode a non-host-network sandbox is created with. */
  readonly sandboxNetworkMode: "default" | "none";
  setUpPod(pod: PodNetworkSetup, signal: AbortSignal): Promise<PodNetworkResult>;
  tearDownPod(pod: PodNetworkRef, signal: AbortSignal, options?: PodNetworkTeardownOptions): Promise<void>;
}
