import type { NetworkPlugin, NetworkStatus } from "./network-plugin.js";

/** --network-plugin="": pods use Docker's own bridge network, which is ready whenever Docker is. */
export class NoopPlugin implements NetworkPlugin {
  readonly name = "";
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
}
