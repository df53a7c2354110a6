import type { MessageInitShape } from "@bufbuild/protobuf";
import { CgroupDriver, type RuntimeConfigRequest, type RuntimeConfigResponseSchema } from "../../gen/index.js";
import type { RpcContext } from "../context.js";
import type { RuntimeInfoDeps } from "./runtime-deps.js";

/** RuntimeConfig: the kubelet (KubeletCgroupDriverFromCRI) adopts the driver Docker uses. */
export function runtimeConfig(deps: Pick<RuntimeInfoDeps, "cgroupDriver">, _request: RuntimeConfigRequest, _ctx: RpcContext): Promise<MessageInitShape<typeof RuntimeConfigResponseSchema>> {
  return Promise.resolve({
    linux: { cgroupDriver: deps.cgroupDriver === "systemd" ? CgroupDriver.SYSTEMD : CgroupDriver.CGROUPFS },
  });
}
