import { findCniConfig } from "./cni-config.js";
import { missingBinaries } from "./find-binaries.js";
import { notReadyReason, type NetworkPlugin, type NetworkPluginSettings, type NetworkStatus } from "./network-plugin.js";

/** --network-plugin=cni: ready once the conf dir holds a valid config whose plugin binaries exist. */
export class CniPlugin implements NetworkPlugin {
  readonly name = "cni";
  #podCidr: string;

  constructor(private readonly settings: NetworkPluginSettings) {
    this.#podCidr = settings.podCidr;
  }

  async status(): Promise<NetworkStatus> {
    const { config, problems } = await findCniConfig(this.settings.confDir);
    if (config === undefined) {
      return { ready: false, reason: notReadyReason, message: `docker: network plugin is not ready: cni config uninitialized: ${problems.join("; ")}` };
    }
    const missing = await missingBinaries(config.pluginTypes, this.settings.binDirs);
    if (missing.length > 0) {
      return {
        ready: false,
        reason: notReadyReason,
        message: `docker: network plugin is not ready: ${config.path} needs CNI plugins not found in ${this.settings.binDirs.join(",")}: ${missing.join(", ")}`,
      };
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
