import { CriError } from "../../errors/index.js";
import { parseCniConfigList, type CniNetworkConfig } from "../cni/cni-config.js";
import type { NetworkPluginSettings } from "../network-plugin.js";
import { networkOf } from "./network-of.js";

export interface KubenetConfigInput {
  /** CNI network name ("kubenet"): host-local keeps its allocations under it. */
  readonly networkName: string;
  /** The node's bridge ("cbr0"). */
  readonly bridgeName: string;
  /** One pod CIDR, or an IPv4 and an IPv6 one for dual-stack. */
  readonly podCidrs: readonly string[];
  readonly mtu: number;
  readonly hairpinMode: NetworkPluginSettings["hairpinMode"];
  /** host-local's allocation directory; its default (/var/lib/cni/networks) when absent. */
  readonly ipamDataDir?: string;
  /** Chain the bandwidth plugin, for a pod that has bandwidth annotations. */
  readonly bandwidth: boolean;
}

/**
 * The CNI 0.4.0 configuration list kubenet runs for each pod (0.4.0 so that any CNI plugins release
 * since 0.8 runs it, with cached results on DEL): the `bridge` plugin on the node's bridge as the
 * pods' gateway, with `host-local` allocating from the pod CIDR(s) and a default route per family;
 * then `portmap` for host ports, and `bandwidth` when the pod asks for shaping.
 *
 * Hairpin (a pod reaching itself through a service's virtual IP, which sends the packet back out of
 * the port it came in on): `hairpin-veth` turns hairpin mode on for each pod's bridge port
 * (`hairpinMode`), `promiscuous-bridge` puts the bridge into promiscuous mode (`promiscMode`),
 * `none` does neither. Masquerading is not the bridge plugin's (`ipMasq` would masquerade everything
 * leaving the pod CIDR); kubenet's own rule honours --non-masquerade-cidr (kubenet-host-rules.ts).
 */
export function kubenetNetworkConfig(input: KubenetConfigInput): CniNetworkConfig {
  if (input.podCidrs.length === 0) throw new CriError("FailedPrecondition", "kubenet has no pod CIDR yet");
  const subnets = input.podCidrs.map((c) => {
    const net = networkOf(c);
    if (net === undefined) throw new CriError("InvalidArgument", `Invalid pod CIDR "${c}"`);
    return net;
  });
  const routes = [...new Set(subnets.map((s) => (s.includes(":") ? "::/0" : "0.0.0.0/0")))].map((dst) => ({ dst }));
  const plugins: Record<string, unknown>[] = [
    {
      type: "bridge",
      bridge: input.bridgeName,
      mtu: input.mtu,
      isGateway: true,
      ipMasq: false,
      hairpinMode: input.hairpinMode === "hairpin-veth",
      promiscMode: input.hairpinMode === "promiscuous-bridge",
      ipam: {
        type: "host-local",
        ranges: subnets.map((subnet) => [{ subnet }]),
        routes,
        ...(input.ipamDataDir === undefined ? {} : { dataDir: input.ipamDataDir }),
      },
    },
    { type: "portmap", capabilities: { portMappings: true } },
  ];
  if (input.bandwidth) plugins.push({ type: "bandwidth", capabilities: { bandwidth: true } });
  const list = { cniVersion: "0.4.0", name: input.networkName, plugins };
  const bytes = JSON.stringify(list);
  const parsed = parseCniConfigList(list, "", bytes);
  // Our own generated list: a parse failure is a bug here, not an input error.
  if (typeof parsed === "string") throw new CriError("Internal", `Generated kubenet config is invalid: ${parsed}`);
  return parsed;
}
