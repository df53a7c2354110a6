import { CriError } from "../errors/index.js";
import type { Logger } from "../logger/index.js";
import { bandwidthFromAnnotations } from "./cni/bandwidth-annotations.js";
import { capabilityArgs } from "./cni/capability-args.js";
import { parseCniConfigList, type CniNetworkConfig } from "./cni/cni-config.js";
import { CniResultCache } from "./cni/cni-result-cache.js";
import { CniRunner } from "./cni/cni-runner.js";
import { PodAttacher, type PodNetworks } from "./cni/pod-attacher.js";
import { missingBinaries } from "./find-binaries.js";
import { detectMtu } from "./kubenet/detect-mtu.js";
import { kubenetNetworkConfig } from "./kubenet/kubenet-config.js";
import { ensureHostRules, kubenetHostRules } from "./kubenet/kubenet-host-rules.js";
import { networkOf } from "./kubenet/network-of.js";
import { defaultExecTimeoutMs, notReadyReason, type NetworkPlugin, type NetworkPluginSettings, type NetworkStatus } from "./network-plugin.js";
import type { PodNetworkRef, PodNetworkResult, PodNetworkSetup, PodNetworkTeardownOptions } from "./pod-network.js";

/** The CNI plugins kubenet's generated configuration chains. */
export const kubenetBinaries = ["bridge", "host-local", "loopback", "portmap"] as const;

/** What kubenet's names default to; tests give their own so that they never touch a real node's bridge. */
export interface KubenetOptions {
  /** The node bridge, "cbr0". */
  readonly bridgeName?: string;
  /** The CNI network name, "kubenet" (host-local's allocations live under it). */
  readonly networkName?: string;
  /** host-local's allocation directory, /var/lib/cni/networks by default. */
  readonly ipamDataDir?: string;
  /** Where MTU detection reads /proc and /sys, "/" by default. */
  readonly hostRoot?: string;
}

/**
 * --network-plugin=kubenet: the node's pods share a Linux bridge (cbr0) with addresses from the
 * node's pod CIDR (--pod-cidr, or the kubelet's UpdateRuntimeConfig; two CIDRs for dual-stack),
 * through a CNI configuration generated here (kubenet-config.ts) and run like any CNI config, with
 * its result cached so that DEL after a restart uses the configuration ADD used even if the CIDR
 * changed. The MTU is --network-plugin-mtu, else the default route interface's. Ready once it has a
 * pod CIDR and the CNI plugins it drives exist.
 */
export class KubenetPlugin implements NetworkPlugin {
  readonly name = "kubenet";
  /** The plugin configures the sandbox's namespace itself, so Docker must leave it empty. */
  readonly sandboxNetworkMode = "none";
  readonly #settings: NetworkPluginSettings;
  readonly #log: Logger;
  readonly #bridgeName: string;
  readonly #networkName: string;
  readonly #options: KubenetOptions;
  readonly #attacher: PodAttacher;
  #podCidr: string;
  #mtu: Promise<number> | undefined;
  /** The host rules last ensured, by their inputs, so that each pod setup does not re-run iptables. */
  #rulesKey = "";

  constructor(settings: NetworkPluginSettings, log: Logger, options: KubenetOptions = {}) {
    this.#settings = settings;
    this.#log = log;
    this.#options = options;
    this.#bridgeName = options.bridgeName ?? "cbr0";
    this.#networkName = options.networkName ?? "kubenet";
    this.#podCidr = settings.podCidr;
    const runner = new CniRunner({ binDirs: settings.binDirs, timeoutMs: settings.execTimeoutMs ?? defaultExecTimeoutMs, cache: new CniResultCache(settings.cacheDir), log });
    this.#attacher = new PodAttacher(runner, log);
  }

  async status(): Promise<NetworkStatus> {
    if (this.#podCidr === "") {
      return { ready: false, reason: notReadyReason, message: "docker: network plugin is not ready: kubenet does not have netConfig. This is most likely due to lack of PodCIDR" };
    }
    const missing = await missingBinaries(kubenetBinaries, this.#settings.binDirs);
    if (missing.length > 0) {
      return { ready: false, reason: notReadyReason, message: `docker: network plugin is not ready: kubenet needs CNI plugins not found in ${this.#settings.binDirs.join(",")}: ${missing.join(", ")}` };
    }
    return { ready: true, reason: "", message: "" };
  }

  setPodCidr(cidr: string): void {
    if (cidr !== this.#podCidr) this.#log.info({ podCidr: cidr, previous: this.#podCidr || undefined }, "kubenet pod CIDR set");
    this.#podCidr = cidr;
  }

  podCidr(): string {
    return this.#podCidr;
  }

  async setUpPod(pod: PodNetworkSetup, signal: AbortSignal): Promise<PodNetworkResult> {
    const cidrs = this.#podCidrs();
    if (cidrs.length === 0) {
      throw new CriError("Unavailable", `Cannot set up the network of pod "${pod.namespace}/${pod.name}": kubenet has no pod CIDR yet (--pod-cidr, or the kubelet's UpdateRuntimeConfig)`);
    }
    const bandwidth = bandwidthFromAnnotations(pod.annotations) !== undefined;
    if (bandwidth && (await missingBinaries(["bandwidth"], this.#settings.binDirs)).length > 0) {
      throw new CriError("FailedPrecondition", `Pod "${pod.namespace}/${pod.name}" has bandwidth annotations, but the CNI "bandwidth" plugin is not in ${this.#settings.binDirs.join(",")}`);
    }
    await this.#ensureHostRules(cidrs, signal);
    const networks = await this.#networks(cidrs, bandwidth);
    const caps = capabilityArgs({ portMappings: pod.portMappings, annotations: pod.annotations, podCidrs: [], dns: undefined });
    return this.#attacher.setUp(pod, networks, caps, signal);
  }

  async tearDownPod(pod: PodNetworkRef, signal: AbortSignal, options: PodNetworkTeardownOptions = {}): Promise<void> {
    // The cache normally has the config ADD used; the generated one only stands in when it does not.
    const cidrs = this.#podCidrs();
    const fallback = cidrs.length === 0 ? undefined : await this.#networks(cidrs, false);
    const caps = capabilityArgs({ portMappings: pod.portMappings, annotations: {}, podCidrs: [], dns: undefined });
    await this.#attacher.tearDown(pod, fallback, caps, signal, options.removing === true);
  }

  /** The pod CIDRs in network form (host bits cleared), ignoring anything that is not a CIDR. */
  #podCidrs(): string[] {
    return this.#podCidr
      .split(",")
      .map((c) => networkOf(c.trim()))
      .filter((c): c is string => c !== undefined);
  }

  async #networks(cidrs: readonly string[], bandwidth: boolean): Promise<PodNetworks> {
    const main = kubenetNetworkConfig({
      networkName: this.#networkName,
      bridgeName: this.#bridgeName,
      podCidrs: cidrs,
      mtu: await this.#effectiveMtu(),
      hairpinMode: this.#settings.hairpinMode,
      ...(this.#options.ipamDataDir === undefined ? {} : { ipamDataDir: this.#options.ipamDataDir }),
      bandwidth,
    });
    return { main, loopback: kubenetLoopback };
  }

  #effectiveMtu(): Promise<number> {
    if (this.#settings.mtu > 0) return Promise.resolve(this.#settings.mtu);
    this.#mtu ??= detectMtu(this.#options.hostRoot).then((d) => {
      this.#log.info({ mtu: d.mtu, from: d.iface || "fallback" }, "kubenet MTU detected");
      return d.mtu;
    });
    return this.#mtu;
  }

  async #ensureHostRules(cidrs: readonly string[], signal: AbortSignal): Promise<void> {
    const input = { bridgeName: this.#bridgeName, podCidrs: cidrs, nonMasqueradeCidr: this.#settings.nonMasqueradeCidr };
    const key = JSON.stringify(input);
    if (key === this.#rulesKey) return;
    await ensureHostRules(kubenetHostRules(input), signal);
    this.#rulesKey = key;
    this.#log.info(input, "kubenet host rules in place (masquerade outside the non-masquerade CIDR, forwarding through the bridge)");
  }
}

/** kubenet's loopback network, under its own name as dockershim's kubenet had it. */
const kubenetLoopback: CniNetworkConfig = (() => {
  const list = { cniVersion: "0.3.1", name: "kubenet-loopback", plugins: [{ type: "loopback" }] };
  const parsed = parseCniConfigList(list, "", JSON.stringify(list));
  // A constant list: it parses.
  return parsed as CniNetworkConfig;
})();
