import { CriError, errorMessage } from "../../errors/index.js";
import type { Logger } from "../../logger/index.js";
import { KeyedMutex } from "../../util/keyed-mutex.js";
import type { PodNetworkRef, PodNetworkResult, PodNetworkSetup } from "../pod-network.js";
import { parseCniConfig, type CniNetworkConfig } from "./cni-config.js";
import { podIpsOf } from "./cni-result.js";
import type { Attachment, CniRunner } from "./cni-runner.js";

/** The interface the pod's network gets inside its namespace, as the kubelet named it. */
export const podInterface = "eth0";
const loopbackInterface = "lo";

/** The networks a pod is attached to: the pod network on eth0, and the loopback plugin on lo when installed. */
export interface PodNetworks {
  readonly main: CniNetworkConfig;
  readonly loopback: CniNetworkConfig | undefined;
}

/**
 * After this many failed DELs of one sandbox, RemovePodSandbox goes ahead without the network being
 * torn down (the cache records stay for a later GC): a plugin that never succeeds must not keep the
 * kubelet's removal failing forever. StopPodSandbox always reports the failure, so that the kubelet
 * retries it.
 */
export const removalGivesUpAfterFailures = 3;

/**
 * Sets a pod's networks up and tears them down, one pod at a time (ADD and DEL of one sandbox never
 * overlap; different pods run in parallel). Teardown works from the CNI result cache alone: the
 * config, CNI_ARGS and runtime capabilities ADD used, whatever the config directory or pod CIDR say
 * by then. Without a cache record (never set up, or docker-cri lost it) it runs DEL with today's
 * config, which plugins must tolerate for attachments they do not know.
 */
export class PodAttacher {
  readonly #runner: CniRunner;
  readonly #log: Logger;
  readonly #locks = new KeyedMutex();
  /** Consecutive failed teardowns per sandbox id. */
  readonly #delFailures = new Map<string, number>();
  /** Sandboxes this process tore down completely: a second teardown (Stop, then Remove) has nothing to do. */
  readonly #tornDown = new Set<string>();

  constructor(runner: CniRunner, log: Logger) {
    this.#runner = runner;
    this.#log = log;
  }

  async setUp(pod: PodNetworkSetup, networks: PodNetworks, capabilityArgs: Readonly<Record<string, unknown>>, signal: AbortSignal): Promise<PodNetworkResult> {
    if (pod.netnsPath === "") throw new CriError("InvalidArgument", `Cannot set up the network of sandbox "${pod.sandboxId}": it has no network namespace`);
    return this.#locks.run(
      pod.sandboxId,
      async () => {
        this.#tornDown.delete(pod.sandboxId);
        const args = cniArgs(pod);
        if (networks.loopback !== undefined) {
          await this.#runner.add(networks.loopback, { containerId: pod.sandboxId, netns: pod.netnsPath, ifName: loopbackInterface, args, capabilityArgs: {} }, signal);
        }
        const result = await this.#runner.add(networks.main, { containerId: pod.sandboxId, netns: pod.netnsPath, ifName: podInterface, args, capabilityArgs }, signal);
        const ips = podIpsOf(result, podInterface);
        if (ips.length === 0) {
          throw new CriError("Internal", `CNI network "${networks.main.name}" gave sandbox "${pod.sandboxId}" no IP address`);
        }
        this.#log.info({ podSandboxId: pod.sandboxId, pod: `${pod.namespace}/${pod.name}`, network: networks.main.name, ips }, "Pod network set up");
        return { ips };
      },
      signal,
    );
  }

  /**
   * DEL of every attachment of the sandbox: the cached ones (pod interface first, loopback last),
   * else the `fallback` networks. `removing` marks RemovePodSandbox, which gives up after
   * `removalGivesUpAfterFailures` failures (see there).
   */
  async tearDown(ref: PodNetworkRef, fallback: PodNetworks | undefined, fallbackCapabilityArgs: Readonly<Record<string, unknown>>, signal: AbortSignal, removing: boolean): Promise<void> {
    await this.#locks.run(
      ref.sandboxId,
      async () => {
        const work = await this.#plan(ref, fallback, fallbackCapabilityArgs);
        const errors: string[] = [];
        for (const w of work) {
          try {
            await this.#runner.del(w.list, w.at, w.prevResult, signal);
          } catch (err) {
            errors.push(errorMessage(err));
          }
        }
        if (errors.length === 0) {
          this.#delFailures.delete(ref.sandboxId);
          if (removing) this.#tornDown.delete(ref.sandboxId);
          else this.#tornDown.add(ref.sandboxId);
          if (work.length > 0) this.#log.info({ podSandboxId: ref.sandboxId, networks: work.map((w) => w.list.name) }, "Pod network torn down");
          return;
        }
        const failures = (this.#delFailures.get(ref.sandboxId) ?? 0) + 1;
        const message = `Cannot tear down the network of sandbox "${ref.sandboxId}" (${failures} failed attempt${failures === 1 ? "" : "s"}): ${errors.join("; ")}`;
        if (removing && failures >= removalGivesUpAfterFailures) {
          this.#delFailures.delete(ref.sandboxId);
          this.#log.error({ podSandboxId: ref.sandboxId, failures, errors, cacheFiles: work.map((w) => this.#runner.cache.pathOf(w.list.name, ref.sandboxId, w.at.ifName)) }, "Giving up on tearing down the pod network so that the sandbox can be removed; its addresses may stay allocated");
          return;
        }
        this.#delFailures.set(ref.sandboxId, failures);
        throw new CriError("Internal", message);
      },
      signal,
    );
  }

  /** CHECK every cached attachment of the sandbox. */
  async check(ref: PodNetworkRef, signal: AbortSignal): Promise<void> {
    await this.#locks.run(
      ref.sandboxId,
      async () => {
        const cached = await this.#runner.cache.listFor(ref.sandboxId);
        if (cached.length === 0) throw new CriError("NotFound", `Sandbox "${ref.sandboxId}" has no cached CNI attachment to check`);
        for (const a of cached) {
          const list = parseCached(a.config);
          if (typeof list === "string") throw new CriError("Internal", `Cached CNI config of sandbox "${ref.sandboxId}" is unusable: ${list}`);
          await this.#runner.check(list, { containerId: ref.sandboxId, netns: ref.netnsPath, ifName: a.ifName, args: a.cniArgs, capabilityArgs: a.capabilityArgs }, signal);
        }
      },
      signal,
    );
  }

  async #plan(ref: PodNetworkRef, fallback: PodNetworks | undefined, fallbackCapabilityArgs: Readonly<Record<string, unknown>>): Promise<{ list: CniNetworkConfig; at: Attachment; prevResult: Readonly<Record<string, unknown>> | undefined }[]> {
    const cached = await this.#runner.cache.listFor(ref.sandboxId);
    if (cached.length > 0) {
      const work = [];
      for (const a of cached) {
        const list = parseCached(a.config);
        if (typeof list === "string") {
          this.#log.warn({ podSandboxId: ref.sandboxId, network: a.networkName, problem: list }, "Ignoring an unusable CNI cache record");
          continue;
        }
        // Never the cached netns: after a restart that /proc/<pid> may be another process's.
        work.push({ list, at: { containerId: ref.sandboxId, netns: ref.netnsPath, ifName: a.ifName, args: a.cniArgs, capabilityArgs: a.capabilityArgs }, prevResult: a.result });
      }
      return work.sort((x, y) => Number(x.at.ifName === loopbackInterface) - Number(y.at.ifName === loopbackInterface));
    }
    if (fallback === undefined || this.#tornDown.has(ref.sandboxId)) return [];
    const args = cniArgs(ref);
    const work: { list: CniNetworkConfig; at: Attachment; prevResult: undefined }[] = [
      { list: fallback.main, at: { containerId: ref.sandboxId, netns: ref.netnsPath, ifName: podInterface, args, capabilityArgs: fallbackCapabilityArgs }, prevResult: undefined },
    ];
    if (fallback.loopback !== undefined) {
      work.push({ list: fallback.loopback, at: { containerId: ref.sandboxId, netns: ref.netnsPath, ifName: loopbackInterface, args, capabilityArgs: {} }, prevResult: undefined });
    }
    return work;
  }
}

/** CNI_ARGS as the kubelet passed them; IgnoreUnknown so that plugins that know none of them accept them. */
export function cniArgs(pod: PodNetworkRef): [string, string][] {
  const args: [string, string][] = [
    ["IgnoreUnknown", "1"],
    ["K8S_POD_NAMESPACE", pod.namespace],
    ["K8S_POD_NAME", pod.name],
    ["K8S_POD_INFRA_CONTAINER_ID", pod.sandboxId],
  ];
  if (pod.uid !== undefined && pod.uid !== "") args.push(["K8S_POD_UID", pod.uid]);
  return args;
}

/** A cached config: a list, or (libcni's AddNetwork) a single plugin's config, which becomes a list of one. */
function parseCached(config: string): CniNetworkConfig | string {
  return parseCniConfig("", config);
}
