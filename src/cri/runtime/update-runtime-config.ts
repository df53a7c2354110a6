import type { MessageInitShape } from "@bufbuild/protobuf";
import type { UpdateRuntimeConfigRequest, UpdateRuntimeConfigResponseSchema } from "../../gen/index.js";
import { CriError } from "../../errors/index.js";
import { parseCidrList } from "../../util/net-address.js";
import type { RpcContext } from "../context.js";
import type { RuntimeInfoDeps } from "./runtime-deps.js";

/**
 * UpdateRuntimeConfig: the kubelet pushes the node's pod CIDR (comma-separated for dual-stack); the
 * network plugin keeps it. An empty CIDR changes nothing, as in dockershim.
 */
export function updateRuntimeConfig(deps: Pick<RuntimeInfoDeps, "network">, request: UpdateRuntimeConfigRequest, ctx: RpcContext): Promise<MessageInitShape<typeof UpdateRuntimeConfigResponseSchema>> {
  const cidr = request.runtimeConfig?.networkConfig?.podCidr ?? "";
  if (cidr === "") return Promise.resolve({});
  const parsed = parseCidrList(cidr);
  if (parsed === undefined || parsed.length === 0 || parsed.length > 2 || (parsed.length === 2 && parsed[0]?.family === parsed[1]?.family)) {
    return Promise.reject(new CriError("InvalidArgument", `Invalid pod CIDR "${cidr}": expected one CIDR, or an IPv4 and an IPv6 CIDR separated by a comma`));
  }
  if (deps.network.podCidr() !== cidr) {
    ctx.log.info({ podCidr: cidr, previous: deps.network.podCidr() || undefined }, "Pod CIDR updated");
    deps.network.setPodCidr(cidr);
  }
  return Promise.resolve({});
}
