import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ListMetricDescriptorsRequest, ListMetricDescriptorsResponseSchema } from "../../gen/index.js";
import type { RpcContext } from "../context.js";
import { baseLabelKeys, cadvisorMetrics } from "./cadvisor-metrics.js";

/** ListMetricDescriptors: the fixed cAdvisor set, the same for the daemon's whole life as CRI requires. */
export function listMetricDescriptors(_deps: unknown, _request: ListMetricDescriptorsRequest, _ctx: RpcContext): Promise<MessageInitShape<typeof ListMetricDescriptorsResponseSchema>> {
  return Promise.resolve({
    descriptors: cadvisorMetrics.map((m) => ({ name: m.name, help: m.help, labelKeys: [...baseLabelKeys, ...m.extraLabelKeys] })),
  });
}
