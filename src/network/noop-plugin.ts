import type { NetworkPlugin, NetworkStatus } from "./network-plugin.js";
import type { PodNetworkResult } from "./pod-network.js";

/**
 * --network-plugin="": pods use Docker's own bridge network, which is ready whenever Docker is.
 * Docker wires the sandbox itself (network mode "default") and reports its IP in inspect, so setup
 * and teardown have nothing to do.
 */
export class NoopPlugin implements NetworkPlugin {
  readonly name = "";
  readonly sandboxNetworkMode = "default";
  #podCidr = "";

  status(): Promise<NetworkStatus> {
    return Promise.resolve({ ready: true, reason: "", message: "" });
  }

  setPodCidr(cidr: string): void {
    this.#podCidr = cidr;
  }

  podCidr(): string {
    return this.#podCidr;
  }

  setUpPod(): Promise<PodNetworkResult> {
    return Promise.resolve({ ips: [] });
  }

  tearDownPod(): Promise<void> {
    return Promise.resolve();
  }
}
