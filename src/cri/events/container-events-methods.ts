import type { ContainerInspect } from "../../docker/index.js";
import type { RuntimeService } from "../../gen/index.js";
import type { ContainerDeps } from "../container/container-deps.js";
import { toContainerStatus } from "../container/to-container-status.js";
import type { ServiceImpl } from "../service-impl.js";
import type { ContainerEventHub, ContainerStatusShape } from "./container-event-hub.js";
import { getContainerEvents } from "./get-container-events.js";

export { ContainerEventHub } from "./container-event-hub.js";
export type { ContainerEventHubDeps, ContainerEventShape } from "./container-event-hub.js";

/** GetContainerEvents. */
export function containerEventsMethods(hub: Pick<ContainerEventHub, "subscribe">): ServiceImpl<typeof RuntimeService> {
  return {
    getContainerEvents: (req, ctx) => getContainerEvents(hub, req, ctx),
  };
}

/** An event's container statuses are exactly what ContainerStatus reports (the container family's conversion). */
export function eventContainerStatus(deps: Pick<ContainerDeps, "images">): (c: ContainerInspect, signal: AbortSignal) => Promise<ContainerStatusShape> {
  return (c, signal) => toContainerStatus(deps, c, signal);
}
