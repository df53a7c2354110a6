import type { GetEventsRequest } from "../../gen/index.js";
import type { RpcContext } from "../context.js";
import type { ContainerEventHub, ContainerEventShape } from "./container-event-hub.js";

/**
 * GetContainerEvents: a stream that lasts until the client cancels it or docker-cri stops (then it
 * completes normally, and the kubelet reconnects to the next instance).
 */
export async function* getContainerEvents(hub: Pick<ContainerEventHub, "subscribe">, _request: GetEventsRequest, ctx: RpcContext): AsyncGenerator<ContainerEventShape, void, undefined> {
  ctx.log.debug("Container event subscriber connected");
  try {
    yield* hub.subscribe(ctx.signal);
  } finally {
    ctx.log.debug("Container event subscriber gone");
  }
}
