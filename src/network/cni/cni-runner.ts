import { CriError, errorMessage } from "../../errors/index.js";
import type { Logger } from "../../logger/index.js";
import { findBinary } from "../find-binaries.js";
import type { CniNetworkConfig, CniPluginConfig } from "./cni-config.js";
import { parseCniResult, type CniResult } from "./cni-result.js";
import type { CniResultCache } from "./cni-result-cache.js";
import { versionAtLeast } from "./cni-version.js";
import { execPlugin, type CniCommand } from "./exec-plugin.js";

/** One pod's attachment to one network: the per-call half of libcni's RuntimeConf. */
export interface Attachment {
  readonly containerId: string;
  /** The pod's network namespace; "" on DEL when it is gone. */
  readonly netns: string;
  readonly ifName: string;
  readonly args: readonly (readonly [string, string])[];
  /** Runtime capability data by name; each plugin gets the ones its `capabilities` ask for. */
  readonly capabilityArgs: Readonly<Record<string, unknown>>;
}

export interface CniRunnerOptions {
  readonly binDirs: readonly string[];
  /** Bound on each plugin execution. */
  readonly timeoutMs: number;
  readonly cache: CniResultCache;
  readonly log: Logger;
}

/**
 * Runs network configuration lists the way the spec (and libcni) does: ADD through the plugins in
 * order, each given the previous one's result as `prevResult`; DEL in reverse order with the cached
 * ADD result as `prevResult` (0.4.0+); CHECK in order with the cached result (0.4.0+, unless the list
 * says `disableCheck`); STATUS and GC for 1.1.0 lists. Every plugin gets the list's `name` and
 * `cniVersion`, and in `runtimeConfig` only the capabilities it declares. An error stops the list.
 *
 * The cache record is written before ADD starts (without a result) and completed after it: a
 * docker-cri that dies half-way still knows, after its restart, which config and arguments DEL needs.
 * When a plugin fails ADD, the record gets the last result the list produced, for the rollback's DEL.
 */
export class CniRunner {
  readonly #o: CniRunnerOptions;

  constructor(options: CniRunnerOptions) {
    this.#o = options;
  }

  get cache(): CniResultCache {
    return this.#o.cache;
  }

  async add(list: CniNetworkConfig, at: Attachment, signal: AbortSignal): Promise<CniResult> {
    await this.#o.cache.write({ ...cacheFields(list, at), result: undefined });
    let prev: Readonly<Record<string, unknown>> | undefined;
    let result: CniResult | undefined;
    try {
      for (const plugin of list.plugins) {
        const out = await this.#exec(list, plugin, "ADD", at, prev, signal);
        const parsed = parseCniResult(out);
        if (typeof parsed === "string") {
          throw new CriError("Internal", `CNI plugin "${plugin.type}" ADD on network "${list.name}" returned no usable result: ${parsed}`);
        }
        result = parsed;
        prev = parsed.raw;
      }
    } catch (err) {
      // The rollback's DEL gets what the plugins that did succeed returned: plugins such as firewall
      // or portmap find what to remove only in prevResult.
      if (prev !== undefined) {
        await this.#o.cache.write({ ...cacheFields(list, at), result: prev }).catch((e: unknown) => {
          this.#o.log.warn({ err: e, network: list.name, containerId: at.containerId }, "Cannot cache the partial ADD result for the rollback");
        });
      }
      throw err;
    }
    if (result === undefined) throw new CriError("Internal", `CNI network "${list.name}" has no plugins`);
    await this.#o.cache.write({ ...cacheFields(list, at), result: result.raw });
    return result;
  }

  /**
   * DEL through the list in reverse; `prevResult` is the cached ADD result (ignored before 0.4.0).
   * The cache record goes only once every plugin succeeded, so that a retry has it.
   */
  async del(list: CniNetworkConfig, at: Attachment, prevResult: Readonly<Record<string, unknown>> | undefined, signal: AbortSignal): Promise<void> {
    const prev = versionAtLeast(list.cniVersion, "0.4.0") ? prevResult : undefined;
    for (const plugin of [...list.plugins].reverse()) {
      await this.#exec(list, plugin, "DEL", at, prev, signal);
    }
    await this.#o.cache.remove(list.name, at.containerId, at.ifName);
  }

  /** CHECK (0.4.0+): the plugins verify that the attachment is still as ADD made it. */
  async check(list: CniNetworkConfig, at: Attachment, signal: AbortSignal): Promise<void> {
    if (!versionAtLeast(list.cniVersion, "0.4.0")) {
      throw new CriError("FailedPrecondition", `CNI network "${list.name}" is version ${list.cniVersion}, which has no CHECK (0.4.0 and later have)`);
    }
    if (list.disableCheck) return;
    const cached = await this.#o.cache.read(list.name, at.containerId, at.ifName);
    if (cached?.result === undefined) {
      throw new CriError("FailedPrecondition", `No cached ADD result for container "${at.containerId}" on CNI network "${list.name}"; CHECK needs one`);
    }
    for (const plugin of list.plugins) await this.#exec(list, plugin, "CHECK", at, cached.result, signal);
  }

  /** STATUS (1.1.0): throws when a plugin says the network cannot take ADDs now; nothing to ask before 1.1.0. */
  async status(list: CniNetworkConfig, signal: AbortSignal): Promise<void> {
    if (!versionAtLeast(list.cniVersion, "1.1.0")) return;
    for (const plugin of list.plugins) await this.#exec(list, plugin, "STATUS", noAttachment, undefined, signal);
  }

  /**
   * GC, as libcni does it: DEL every cached attachment of this network that is not in `valid`, then
   * (1.1.0, unless `disableGC`) let each plugin collect what it holds for attachments not in `valid`.
   * Returns the attachments deleted; a failing DEL is logged and the rest go on.
   */
  async gc(list: CniNetworkConfig, valid: readonly { containerId: string; ifName: string }[], signal: AbortSignal): Promise<string[]> {
    const keep = new Set(valid.map((v) => `${v.containerId}/${v.ifName}`));
    const deleted: string[] = [];
    const failures: string[] = [];
    for (const a of await this.#o.cache.list((name) => name.startsWith(`${list.name}-`))) {
      if (a.networkName !== list.name || keep.has(`${a.containerId}/${a.ifName}`)) continue;
      try {
        await this.del(list, { containerId: a.containerId, netns: "", ifName: a.ifName, args: a.cniArgs, capabilityArgs: a.capabilityArgs }, a.result, signal);
        deleted.push(`${a.containerId}/${a.ifName}`);
      } catch (err) {
        failures.push(errorMessage(err));
        this.#o.log.warn({ containerId: a.containerId, ifName: a.ifName, network: list.name, err }, "CNI GC: cannot delete a stale attachment");
      }
    }
    if (versionAtLeast(list.cniVersion, "1.1.0") && !list.disableGC) {
      const validAttachments = valid.map((v) => ({ containerID: v.containerId, ifname: v.ifName }));
      for (const plugin of list.plugins) {
        const stdin = JSON.stringify({ ...plugin.raw, name: list.name, cniVersion: list.cniVersion, "cni.dev/valid-attachments": validAttachments });
        try {
          await this.#run(plugin.type, "GC", noAttachment, stdin, signal);
        } catch (err) {
          failures.push(errorMessage(err));
        }
      }
    }
    if (failures.length > 0) throw new CriError("Internal", `CNI GC of network "${list.name}" failed: ${failures.join("; ")}`);
    return deleted;
  }

  async #exec(list: CniNetworkConfig, plugin: CniPluginConfig, command: CniCommand, at: Attachment, prev: Readonly<Record<string, unknown>> | undefined, signal: AbortSignal): Promise<unknown> {
    const conf: Record<string, unknown> = { ...plugin.raw, name: list.name, cniVersion: list.cniVersion };
    if (prev !== undefined) conf.prevResult = prev;
    const runtimeConfig: Record<string, unknown> = {};
    for (const cap of plugin.capabilities) {
      const data = at.capabilityArgs[cap];
      if (data !== undefined) runtimeConfig[cap] = data;
    }
    if (Object.keys(runtimeConfig).length > 0) conf.runtimeConfig = runtimeConfig;
    return this.#run(plugin.type, command, at, JSON.stringify(conf), signal);
  }

  async #run(type: string, command: CniCommand, at: Attachment, stdin: string, signal: AbortSignal): Promise<unknown> {
    const pluginPath = await findBinary(type, this.#o.binDirs);
    if (pluginPath === undefined) {
      throw new CriError("FailedPrecondition", `CNI plugin "${type}" not found in ${this.#o.binDirs.join(",")}`);
    }
    const started = performance.now();
    try {
      const out = await execPlugin({
        pluginPath,
        command,
        containerId: at.containerId,
        netns: at.netns,
        ifName: at.ifName,
        args: at.args,
        binDirs: this.#o.binDirs,
        stdin,
        signal,
        timeoutMs: this.#o.timeoutMs,
      });
      this.#o.log.debug({ plugin: type, command, containerId: at.containerId || undefined, ifName: at.ifName || undefined, durationMs: Math.round(performance.now() - started) }, "CNI plugin ran");
      return out;
    } catch (err) {
      this.#o.log.debug({ plugin: type, command, containerId: at.containerId || undefined, err, durationMs: Math.round(performance.now() - started) }, "CNI plugin failed");
      throw err;
    }
  }
}

const noAttachment: Attachment = { containerId: "", netns: "", ifName: "", args: [], capabilityArgs: {} };

function cacheFields(list: CniNetworkConfig, at: Attachment) {
  return {
    containerId: at.containerId,
    ifName: at.ifName,
    networkName: list.name,
    config: list.bytes,
    netns: at.netns,
    cniArgs: at.args,
    capabilityArgs: at.capabilityArgs,
  };
}
