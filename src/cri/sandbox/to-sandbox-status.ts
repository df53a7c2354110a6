import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ContainerInspect } from "../../docker/index.js";
import { NamespaceMode, PodSandboxState, type PodSandboxStatusSchema } from "../../gen/index.js";
import { dockerTimeToNanos, extractLabels, parseSandboxName, runtimeHandlerLabel, sandboxNamespaceOptions, sandboxStateOf } from "../translate/index.js";

export type SandboxStatusShape = MessageInitShape<typeof PodSandboxStatusSchema>;

/**
 * A sandbox's CRI status from its (cached) inspect, as PodSandboxStatus reports it: READY while the
 * pause container runs, Docker's bridge address or, with a network plugin, the pod IPs the
 * checkpoint recorded (`podIps`). A destroyed sandbox is NOTREADY.
 */
export function sandboxStatusOf(c: ContainerInspect, podIps: readonly string[] | undefined, destroyed = false): SandboxStatusShape | undefined {
  const metadata = parseSandboxName(c.name);
  if (metadata === undefined) return undefined;
  const { labels, annotations } = extractLabels(c.config.labels);
  const namespaces = sandboxNamespaceOptions(c.hostConfig);
  const running = c.state.running && !destroyed;
  let ips: string[] = [];
  if (running && namespaces.network !== NamespaceMode.NODE) {
    if (podIps !== undefined) ips = [...podIps];
    else {
      ips = dockerNetworkIps(c);
    }
  }
  return {
    id: c.id,
    metadata,
    state: destroyed ? PodSandboxState.SANDBOX_NOTREADY : sandboxStateOf(c.state.status),
    createdAt: dockerTimeToNanos(c.created),
    network: { ip: ips[0] ?? "", additionalIps: ips.slice(1).map((ip) => ({ ip })) },
    linux: { namespaces: { options: namespaces } },
    labels,
    annotations,
    runtimeHandler: c.config.labels[runtimeHandlerLabel] ?? "",
  };
}

/**
 * Docker's own networking: the addresses of the sandbox's network (`HostConfig.NetworkMode`, where
 * "default" is "bridge"), else of the first network that has one. Read from
 * `NetworkSettings.Networks` only: the top-level copies of the default network's endpoint are gone
 * from API 1.52.
 */
function dockerNetworkIps(c: ContainerInspect): string[] {
  const networks = c.networkSettings.networks;
  const mode = c.hostConfig.networkMode;
  const own = networks[mode === "default" || mode === "" ? "bridge" : mode];
  const others = Object.values(networks);
  const v4 = own?.ipAddress || (others.find((n) => n.ipAddress !== "")?.ipAddress ?? "");
  const v6 = own?.globalIPv6Address || (others.find((n) => n.globalIPv6Address !== "")?.globalIPv6Address ?? "");
  return [v4, v6].filter((ip) => ip !== "");
}
