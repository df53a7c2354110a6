import { CriError, errorMessage } from "../errors/index.js";
import type { Logger } from "../logger/index.js";
import { capabilityArgs } from "./cni/capability-args.js";
import { parseCniConfigList, type CniNetworkConfig } from "./cni/cni-config.js";
import { CniConfigSource } from "./cni/cni-config-source.js";
import { CniResultCache } from "./cni/cni-result-cache.js";
import { CniRunner } from "./cni/cni-runner.js";
import { versionAtLeast } from "./cni/cni-version.js";
import { PodAttacher, podInterface, type PodNetworks } from "./cni/pod-attacher.js";
import { findBinary } from "./find-binaries.js";
import { defaultExecTimeoutMs, notReadyReason, type NetworkPlugin, type NetworkPluginSettings, type NetworkStatus } from "./network-plugin.js";
import type { PodNetworkRef, PodNetworkResult, PodNetworkSetup, PodNetworkTeardownOptions } from "./pod-network.js";

/** How long a 1.1.0 network's STATUS answer is reused: the kubelet asks for Status every few seconds. */
const statusReuseMs = 5_000;

/**
 * --network-plugin=cni: pods get the first usable config of --cni-conf-dir (re-read when the
 * directory changes) on eth0, plus the `loopback` plugin on lo when it is installed, as the kubelet's
 * CNI driver did. Ready once such a config exists (and, for a 1.1.0 config, its plugins' STATUS
 * succeeds).
 */
export class CniPlugin implements NetworkPlugin {
  readonly name = "cni";
  /** The plugin configures the sandbox's namespace itself, so Docker must leave it empty. */
  readonly sandboxNetworkMode = "none";
  readonly #settings: NetworkPluginSettings;
  readonly #log: Logger;
  readonly #source: CniConfigSource;
  readonly #runner: CniRunner;
  readonly #attacher: PodAttacher;
  #podCidr: string;
  #statusCache: { readonly bytes: string; readonly at: number; readonly error: string } | undefined;

  constructor(settings: NetworkPluginSettings, log: Logger) {
    this.#settings = settings;
    this.#log = log;
    this.#podCidr = settings.podCidr;
    this.#source = new CniConfigSource(settings.confDir, settings.binDirs, log);
    this.#runner = new CniRunner({ binDirs: settings.binDirs, timeoutMs: settings.execTimeoutMs ?? defaultExecTimeoutMs, cache: new CniResultCache(settings.cacheDir), log });
    this.#attacher = new PodAttacher(this.#runner, log);
  }

  async status(): Promise<NetworkStatus> {
    const { config, problems } = await this.#source.current();
    if (config === undefined) {
      return { ready: false, reason: notReadyReason, message: `docker: network plugin is not ready: cni config uninitialized: ${problems.join("; ")}` };
    }
    const statusError = await this.#pluginStatus(config);
    if (statusError !== "") {
      return { ready: false, reason: notReadyReason, message: `docker: network plugin is not ready: ${config.path}: ${statusError}` };
    }
    return { ready: true, reason: "", message: "" };
  }

  setPodCidr(cidr: string): void {
    this.#podCidr = cidr;
  }

  podCidr(): string {
    return this.#podCidr;
  }

  async setUpPod(pod: PodNetworkSetup, signal: AbortSignal): Promise<PodNetworkResult> {
    const { config, problems } = await this.#source.current();
    if (config === undefined) {
      throw new CriError("Unavailable", `Cannot set up the network of pod "${pod.namespace}/${pod.name}": no usable CNI config: ${problems.join("; ")}`);
    }
    const caps = capabilityArgs({ portMappings: pod.portMappings, annotations: pod.annotations, podCidrs: this.#podCidrs(), dns: pod.dns });
    return this.#attacher.setUp(pod, await this.#networks(config), caps, signal);
  }

  async tearDownPod(pod: PodNetworkRef, signal: AbortSignal, options: PodNetworkTeardownOptions = {}): Promise<void> {
    // Only used when the cache has nothing for this sandbox (see PodAttacher).
    const { config } = await this.#source.current();
    const fallback = config === undefined ? undefined : await this.#networks(config);
    const caps = capabilityArgs({ portMappings: pod.portMappings, annotations: {}, podCidrs: this.#podCidrs(), dns: undefined });
    await this.#attacher.tearDown(pod, fallback, caps, signal, options.removing === true);
  }

  /** CNI CHECK of a running pod's attachments (0.4.0+ configs). */
  checkPod(pod: PodNetworkRef, signal: AbortSignal): Promise<void> {
    return this.#attacher.check(pod, signal);
  }

  /**
   * CNI GC of the current network: DEL of every cached attachment whose sandbox is not in
   * `liveSandboxIds`, then (1.1.0 configs) the plugins' own GC. Returns the attachments deleted.
   */
  async garbageCollect(liveSandboxIds: readonly string[], signal: AbortSignal): Promise<string[]> {
    const { config } = await this.#source.current();
    if (config === undefined) return [];
    return this.#runner.gc(config, liveSandboxIds.map((containerId) => ({ containerId, ifName: podInterface })), signal);
  }

  close(): void {
    this.#source.close();
  }

  #podCidrs(): string[] {
    return this.#podCidr.split(",").map((c) => c.trim()).filter((c) => c !== "");
  }

  async #networks(main: CniNetworkConfig): Promise<PodNetworks> {
    const hasLoopback = (await findBinary("loopback", this.#settings.binDirs)) !== undefined;
    return { main, loopback: hasLoopback ? loopbackNetwork : undefined };
  }

  /** STATUS of a 1.1.0 config's plugins, reused for a few seconds; "" when ready. */
  async #pluginStatus(config: CniNetworkConfig): Promise<string> {
    if (!versionAtLeast(config.cniVersion, "1.1.0")) return "";
    const now = Date.now();
    const cached = this.#statusCache;
    if (cached?.bytes === config.bytes && now - cached.at < statusReuseMs) return cached.error;
    let error = "";
    try {
      await this.#runner.status(config, AbortSignal.timeout(this.#settings.execTimeoutMs ?? defaultExecTimeoutMs));
    } catch (err) {
      error = errorMessage(err);
      this.#log.debug({ err }, "CNI STATUS says the network is not ready");
    }
    this.#statusCache = { bytes: config.bytes, at: now, error };
    return error;
  }
}

/**
 * The loopback network the kubelet's CNI driver attached every pod to (name "cni-loopback", so that
 * cached attachments made by cri-dockerd are found under the same name). 0.3.1: every loopback
 * plugin released since 0.6 speaks it.
 */
const loopbackNetwork: CniNetworkConfig = (() => {
  const list = { cniVersion: "0.3.1", name: "cni-loopback", plugins: [{ type: "loopback" }] };
  const parsed = parseCniConfigList(list, "", JSON.stringify(list));
  // A constant list: it parses.
  return parsed as CniNetworkConfig;
})();
