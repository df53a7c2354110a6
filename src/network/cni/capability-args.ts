import type { PodPortMapping } from "../pod-network.js";
import { bandwidthFromAnnotations } from "./bandwidth-annotations.js";

export interface CapabilityInputs {
  readonly portMappings: readonly PodPortMapping[];
  readonly annotations: Readonly<Record<string, string>>;
  /** The node's pod CIDRs (from --pod-cidr or UpdateRuntimeConfig), one per family. */
  readonly podCidrs: readonly string[];
  readonly dns: { readonly servers: readonly string[]; readonly searches: readonly string[]; readonly options: readonly string[] } | undefined;
}

/**
 * The runtime capability data the kubelet's CNI driver offered plugins, by the names of the CNI
 * conventions; each plugin receives, in `runtimeConfig`, only those its config declares:
 *
 * - `portMappings`: the pod's host ports (mappings without a host port publish nothing), each
 *   `{hostPort, containerPort, protocol, hostIP}` with the protocol in lower case;
 * - `bandwidth`: from the pod's bandwidth annotations, when it has any;
 * - `ipRanges`: one range set per pod CIDR, when the node has one, so that host-local allocates
 *   from the node's CIDR;
 * - `dns`: the pod's DNS servers, searches and options, when it has a DNS config.
 */
export function capabilityArgs(input: CapabilityInputs): Record<string, unknown> {
  const out: Record<string, unknown> = {
    portMappings: input.portMappings
      .filter((p) => p.hostPort > 0)
      .map((p) => ({ hostPort: p.hostPort, containerPort: p.containerPort, protocol: p.protocol, ...(p.hostIp === "" ? {} : { hostIP: p.hostIp }) })),
  };
  const bandwidth = bandwidthFromAnnotations(input.annotations);
  if (bandwidth !== undefined) out.bandwidth = bandwidth;
  if (input.podCidrs.length > 0) out.ipRanges = input.podCidrs.map((subnet) => [{ subnet }]);
  if (input.dns !== undefined) out.dns = { servers: [...input.dns.servers], searches: [...input.dns.searches], options: [...input.dns.options] };
  return out;
}
