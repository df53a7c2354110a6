import { missingBinaries } from "./find-binaries.js";
import { notReadyReason, type NetworkPlugin, type NetworkPluginSettings, type NetworkStatus } from "./network-plugin.js";

/** The CNI plugins kubenet's generated configuration chains. */
export const kubenetBinaries = ["bridge", "host-local", "loopback", "portmap"] as const;

/** --network-plugin=kubenet: ready once it has a pod CIDR and the CNI plugins it drives exist. */
export class KubenetPlugin implements NetworkPlugin {
  readonly name = "kubenet";
  #podCidr: string;

  constructor(private readonly settings: NetworkPluginSettings) {
    this.#podCidr = settings.podCidr;
  }

  async status(): Promise<NetworkStatus> {
    if (this.#podCidr === "") {
      return { ready: false, reason: notReadyReason, message: "docker: network plugin is not ready: kubenet does not have netConfig. This is most likely due to lack of PodCIDR" };
    }
    const missing = await missingBinaries(kubenetBinaries, this.settings.binDirs);
    if (missing.length > 0) {
      return { ready: false, reason: notReadyReason, message: `docker: network plugin is not ready: kubenet needs CNI plugins not found in ${this.settings.binDirs.join(",")}: ${missing.join(", ")}` };
    }
    return { ready: true, reason: "", message: "" };
  }

  setPodCidr(cidr: string): void {
    this.#podCidr = cidr;
  }

  podCidr(): string {
    return this.#podCidr;
  }
}
